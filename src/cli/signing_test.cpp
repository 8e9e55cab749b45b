// Simple signing and the trust policy, against the ecosystem's own
// verifiers: sheaf signs and pushes, skopeo and podman (Debian's, built
// without sigstore) check it with a policy.json requiring the test key; skopeo
// signs and pushes, sheaf checks it. Every tampering is refused by sheaf and
// by skopeo under the same policy. docker-registry on 127.0.0.1, lookaside
// stores in file:// directories and, once, over loopback HTTP.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/oci_tools.hpp"
#include "testing/registry.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::last_line;
using testing::read_file_bytes;
using testing::run_command;
using testing::run_sheaf;
using testing::write_file;

class SigningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/bin/docker-registry") || testing::tool("skopeo").empty()) return;
    shared_ = new Shared;
    auto& s = *shared_;
    // A static program, so that the image runs with nothing else in it.
    fs::path source = s.dir / "hello.c";
    write_file(source, "#include <stdio.h>\nint main(void) { puts(\"hello, signed\"); return 0; }\n");
    CommandResult cc = run_command({"/usr/bin/gcc", "-static", "-O2", "-o", (s.dir / "hello").string(), source.string()});
    if (cc.exit_code != 0) throw std::runtime_error("cc -static: " + cc.err);
    std::string hello = read_file_bytes(s.dir / "hello");
    s.apt.repo.add_with("stable", "app", "1.0", "", [&](testing::DebTree& t) { t.file("usr/bin/app", hello, 0755); });
    s.apt.repo.add_with("stable", "tool", "1.0", "", [](testing::DebTree& t) { t.file("usr/bin/tool", "tool\n", 0755); });
    // An arm64 app too, for an index (its image is signed and pulled, never run).
    s.apt.repo.add_with(
        "stable", "app", "1.0", "", [&](testing::DebTree& t) { t.file("usr/bin/app", "arm64 app\n", 0755); }, "arm64");
    s.apt.repo.publish("stable", {.key = &s.apt.key, .arches = {"amd64", "arm64"}});
    s.registry = std::make_unique<testing::TestRegistry>(s.dir / "registry");
    s.store = (s.dir / "store").string();
    s.app = build("\"app\"", "demo", s.store, s.dir / "app-layout");
    s.tool = build("\"app\", \"tool\"", "demo-tool", s.store);
    s.key = std::make_unique<testing::GpgKey>(s.dir / "key", "sheaf signer");
    s.other = std::make_unique<testing::GpgKey>(s.dir / "other", "someone else");
    // One lookaside directory, read and written, as registries.d names it.
    s.lookaside = s.dir / "lookaside";
    testing::make_dirs(s.lookaside);
    s.registries_d = s.dir / "registries.d";
    testing::make_dirs(s.registries_d);
    write_file(s.registries_d / "test.yaml", "docker:\n  " + s.registry->host() + ":\n    lookaside: file://" +
                                                 s.lookaside.string() + "\n    lookaside-staging: file://" +
                                                 s.lookaside.string() + "\n");
    s.policy = s.dir / "policy.json";
    write_file(s.policy, signed_policy(s.key->keyring()));
  }
  static void TearDownTestSuite() { delete shared_; }
  void SetUp() override {
    if (!shared_) GTEST_SKIP() << "docker-registry or skopeo is not installed (tools/dev deps installs them)";
  }

  struct Shared {
    testing::TempDir dir;
    testing::SignedAptRepo apt;
    std::unique_ptr<testing::TestRegistry> registry;
    std::unique_ptr<testing::GpgKey> key, other;
    std::string store, app, tool;
    fs::path lookaside, registries_d, policy;
  };

  // Images in the registry must be signed by `keyring`; images built here
  // are accepted; everything else is rejected.
  static std::string signed_policy(const fs::path& keyring, const std::string& identity = "") {
    json requirement = {{"type", "signedBy"}, {"keyType", "GPGKeys"}, {"keyPath", keyring.string()}};
    if (!identity.empty()) requirement["signedIdentity"] = json::parse(identity);
    json policy = {{"default", {{{"type", "reject"}}}},
                   {"transports",
                    {{"docker", {{shared_->registry->host(), {requirement}}}},
                     {"sheaf", {{"", {{{"type", "insecureAcceptAnything"}}}}}}}}};
    return policy.dump(2);
  }

  static std::string build(const std::string& include, const std::string& name, const std::string& store,
                           const fs::path& layout = {}) {
    fs::path project = shared_->dir / ("project-" + name);
    testing::make_dirs(project);
    write_file(project / "sheaf.toml", shared_->apt.app_spec(name, include));
    std::vector<std::string> args{"build", "-f", (project / "sheaf.toml").string()};
    if (!layout.empty()) args.insert(args.end(), {"-o", layout.string()});
    CommandResult r = run_sheaf(store, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  static testing::CommandOptions gpg_env(const testing::GpgKey& key) {
    return {.env = {{"GNUPGHOME", key.home().string()}}};
  }

  // sheaf sign IMAGE for docker://HOST/REPO with a key, then sheaf push there.
  static void sign_and_push(const std::string& image, const std::string& repo, const testing::GpgKey& key) {
    auto& s = *shared_;
    CommandResult sign = run_sheaf(s.store, {"sign", image, "--identity", s.registry->ref(repo), "--sign-by", key.fingerprint()},
                                   gpg_env(key));
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
    CommandResult push = run_sheaf(s.store, {"push", image, s.registry->ref(repo), "--registries.d", s.registries_d.string()});
    ASSERT_EQ(push.exit_code, 0) << push.err;
  }

  // The lookaside directory of an image in the registry.
  static fs::path signatures_of(const std::string& repo, const std::string& digest) {
    return shared_->lookaside / (repo + "@sha256=" + digest.substr(7));
  }

  // skopeo copy under the policy, from the registry into an OCI layout.
  static CommandResult skopeo_copy(const std::string& ref, const fs::path& policy, const fs::path& scratch) {
    return run_command({testing::tool("skopeo"), "--policy", policy.string(), "--registries.d",
                        shared_->registries_d.string(), "copy", "--src-tls-verify=false", "--remove-signatures", ref,
                        "oci:" + (scratch / "skopeo-layout").string() + ":x"});
  }

  // sheaf pull under the policy into an empty store.
  static CommandResult sheaf_pull(const std::string& ref, const fs::path& policy, const std::string& store) {
    return run_sheaf(store, {"pull", ref, "--policy", policy.string(), "--registries.d", shared_->registries_d.string()});
  }

  static std::string store_state(const std::string& store) {
    return run_sheaf(store, {"image", "ls"}).out + run_sheaf(store, {"pkg", "ls"}).out;
  }

  static Shared* shared_;
  testing::TempDir dir_;
};
SigningTest::Shared* SigningTest::shared_ = nullptr;

TEST_F(SigningTest, ASheafSignatureIsAcceptedBySkopeoPodmanAndSheafAndLeavesTheDigestAlone) {
  auto& s = *shared_;
  sign_and_push("demo", "signed/demo:1", *s.key);
  // The signature is in the store and the image's digest is what it was.
  CommandResult show = run_sheaf(s.store, {"image", "show", "demo", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(json::parse(show.out)["digest"], s.app);
  EXPECT_TRUE(fs::exists(signatures_of("signed/demo", s.app) / "signature-1"));

  CommandResult skopeo = skopeo_copy(s.registry->ref("signed/demo:1"), s.policy, dir_.path());
  EXPECT_EQ(skopeo.exit_code, 0) << skopeo.err;

  // podman reads registries.d from $HOME/.config/containers when it exists.
  fs::path home = dir_ / "home";
  testing::make_dirs(home / ".config/containers");
  fs::copy(s.registries_d, home / ".config/containers/registries.d", fs::copy_options::recursive);
  CommandResult podman = run_command(
      testing::podman({"--root", (dir_ / "podman-root").string(), "--runroot", (dir_ / "podman-run").string(), "pull",
                       "--tls-verify=false", "--signature-policy", s.policy.string(),
                       "docker://" + s.registry->host() + "/signed/demo:1"}),
      {.env = {{"HOME", home.string()}}});
  EXPECT_EQ(podman.exit_code, 0) << podman.err;

  std::string store = (dir_ / "store").string();
  CommandResult pull = sheaf_pull(s.registry->ref("signed/demo:1"), s.policy, store);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(last_line(pull.out), s.app);
  EXPECT_TRUE(contains(pull.err, "1 signatures")) << pull.err;
  CommandResult verify = run_sheaf(store, {"verify", s.registry->ref("signed/demo:1"), "--gpg-keyring",
                                           s.key->keyring().string(), "--registries.d", s.registries_d.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(contains(verify.out, "good, by " + s.key->fingerprint())) << verify.out;
  CommandResult other_key = run_sheaf(store, {"verify", s.registry->ref("signed/demo:1"), "--gpg-keyring",
                                              s.other->keyring().string(), "--registries.d", s.registries_d.string()});
  EXPECT_EQ(other_key.exit_code, 3) << other_key.out;
  // The pulled image keeps its signature: verified again from the store.
  CommandResult local = run_sheaf(store, {"verify", "127.0.0.1_" + s.registry->host().substr(10) + "/signed/demo:1",
                                          "--policy", s.policy.string()});
  EXPECT_EQ(local.exit_code, 0) << local.out << local.err;
}

TEST_F(SigningTest, ASkopeoSignatureIsAcceptedBySheafPullAndVerify) {
  auto& s = *shared_;
  CommandResult copy = run_command({testing::tool("skopeo"), "--registries.d", s.registries_d.string(), "copy",
                                    "--dest-tls-verify=false", "--sign-by", s.key->fingerprint(),
                                    "oci:" + (s.dir / "app-layout").string() + ":latest",
                                    s.registry->ref("by-skopeo/demo:1")},
                                   gpg_env(*s.key));
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  // The skopeo copy has no sheaf document, so the store must hold the
  // packages: pulled first from a push by sheaf, without signatures.
  std::string store = (dir_ / "store").string();
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo", s.registry->ref("unsigned/demo:1")}).exit_code, 0);
  fs::path open_policy = dir_ / "open.json";
  write_file(open_policy, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  ASSERT_EQ(sheaf_pull(s.registry->ref("unsigned/demo:1"), open_policy, store).exit_code, 0);
  CommandResult pull = sheaf_pull(s.registry->ref("by-skopeo/demo:1"), s.policy, store);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(last_line(pull.out), s.app);
  CommandResult verify = run_sheaf(store, {"verify", s.registry->ref("by-skopeo/demo:1"), "--gpg-keyring",
                                           s.key->keyring().string(), "--registries.d", s.registries_d.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// Each tampering, refused by skopeo and by sheaf under the same policy, and
// the store left as it was.
TEST_F(SigningTest, EveryTamperingIsRefusedBySkopeoAndBySheaf) {
  auto& s = *shared_;
  struct Case {
    std::string repo;
    std::function<void(const fs::path& dir)> tamper;  // on the image's lookaside directory
    std::string sheaf_says;
  };
  auto flip = [](std::size_t from_end) {
    return [from_end](const fs::path& dir) {
      std::string bytes = read_file_bytes(dir / "signature-1");
      std::size_t at = from_end == 0 ? bytes.size() / 2 : bytes.size() - from_end;
      bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
      write_file(dir / "signature-1", bytes);
    };
  };
  std::vector<Case> cases{
      {"t/payload-bit", flip(0), "signature 1:"},
      {"t/signature-bit", flip(8), "signature 1:"},
      {"t/truncated",
       [](const fs::path& dir) {
         std::string bytes = read_file_bytes(dir / "signature-1");
         write_file(dir / "signature-1", bytes.substr(0, bytes.size() / 2));
       },
       "signature 1:"},
      {"t/garbage", [](const fs::path& dir) { write_file(dir / "signature-1", "not a signature\n"); },
       "not an OpenPGP signed message"},
      {"t/too-large", [](const fs::path& dir) { write_file(dir / "signature-1", std::string((5u << 20), 'x')); },
       "over the limit"},
      {"t/missing", [](const fs::path& dir) { fs::remove(dir / "signature-1"); }, "there is none"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.repo);
    sign_and_push("demo", c.repo + ":1", *s.key);
    c.tamper(signatures_of(c.repo, s.app));
    fs::path scratch = dir_ / c.repo;
    testing::make_dirs(scratch);
    EXPECT_NE(skopeo_copy(s.registry->ref(c.repo + ":1"), s.policy, scratch).exit_code, 0);
    std::string store = (scratch / "store").string();
    std::string before = store_state(store);
    CommandResult pull = sheaf_pull(s.registry->ref(c.repo + ":1"), s.policy, store);
    EXPECT_EQ(pull.exit_code, 3) << pull.err;
    EXPECT_TRUE(contains(pull.err, c.sheaf_says)) << pull.err;
    if (c.repo != "t/too-large") {  // that one is an error of the lookaside store, as in containers/image
      EXPECT_TRUE(contains(pull.err, s.registry->ref(c.repo + ":1") + " is refused by the trust policy " +
                                         s.policy.string()))
          << pull.err;
      EXPECT_TRUE(contains(pull.err, "(scope transports.docker[\"" + s.registry->host() + "\"])")) << pull.err;
    }
    EXPECT_EQ(store_state(store), before);
  }
}

TEST_F(SigningTest, AnotherKeyAReplayAndAnotherRepositoryAreRefusedBySkopeoAndBySheaf) {
  auto& s = *shared_;
  // Signed by a key the policy does not name.
  sign_and_push("demo", "other-key/demo:1", *s.other);
  // A valid signature of demo, laid beside demo-tool under the same tag (a
  // replay: the registry now serves another manifest).
  sign_and_push("demo", "replay/demo:1", *s.key);
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo-tool", s.registry->ref("replay/demo:1")}).exit_code, 0);
  fs::create_directories(signatures_of("replay/demo", s.tool));
  fs::copy_file(signatures_of("replay/demo", s.app) / "signature-1", signatures_of("replay/demo", s.tool) / "signature-1");
  // Signed for another repository, and laid beside the image pushed here
  // (sheaf push itself keeps a signature for another repository home).
  sign_and_push("demo", "signed-for-elsewhere/demo:1", *s.key);
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo", s.registry->ref("pushed-here/demo:1")}).exit_code, 0);
  fs::create_directories(signatures_of("pushed-here/demo", s.app));
  fs::copy_file(signatures_of("signed-for-elsewhere/demo", s.app) / "signature-1",
                signatures_of("pushed-here/demo", s.app) / "signature-1");
  struct Case {
    std::string repo, sheaf_says;
  };
  for (const Case& c : {Case{"other-key/demo", "which is not one of the trusted keys"},
                        Case{"replay/demo", "it signs the manifest " + s.app},
                        Case{"pushed-here/demo", "signed-for-elsewhere/demo:1, which matchRepoDigestOrExact"}}) {
    SCOPED_TRACE(c.repo);
    fs::path scratch = dir_ / c.repo;
    testing::make_dirs(scratch);
    EXPECT_NE(skopeo_copy(s.registry->ref(c.repo + ":1"), s.policy, scratch).exit_code, 0);
    std::string store = (scratch / "store").string();
    CommandResult pull = sheaf_pull(s.registry->ref(c.repo + ":1"), s.policy, store);
    EXPECT_EQ(pull.exit_code, 3) << pull.err;
    EXPECT_TRUE(contains(pull.err, c.sheaf_says)) << pull.err;
    EXPECT_EQ(store_state(store), store_state((scratch / "empty").string()));
  }
}

TEST_F(SigningTest, OneValidSignatureAmongSeveralIsEnough) {
  auto& s = *shared_;
  // Two signatures for the same reference, one by a key the policy does not
  // trust. (A file that is not OpenPGP at all makes containers/image give up
  // on the whole image, so the other one is a real signature.)
  CommandResult sign = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("several/demo:1"), "--sign-by",
                                           s.other->fingerprint()},
                                 gpg_env(*s.other));
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  sign_and_push("demo", "several/demo:1", *s.key);
  ASSERT_TRUE(fs::exists(signatures_of("several/demo", s.app) / "signature-2"));
  CommandResult skopeo = skopeo_copy(s.registry->ref("several/demo:1"), s.policy, dir_.path());
  EXPECT_EQ(skopeo.exit_code, 0) << skopeo.err;
  CommandResult pull = sheaf_pull(s.registry->ref("several/demo:1"), s.policy, (dir_ / "store").string());
  EXPECT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_TRUE(contains(pull.err, "2 signatures")) << pull.err;
}

TEST_F(SigningTest, ALookasideServedOverHttpIsReadAndNeededOnlyByAPolicyThatAsks) {
  auto& s = *shared_;
  sign_and_push("demo", "over-http/demo:1", *s.key);
  fs::path registries_d = dir_ / "registries.d";
  testing::make_dirs(registries_d);
  {
    testing::HttpServer server(s.lookaside);
    write_file(registries_d / "http.yaml",
               "docker:\n  " + s.registry->host() + "/over-http:\n    lookaside: " + server.url() + "\n");
    CommandResult pull = run_sheaf((dir_ / "store").string(), {"pull", s.registry->ref("over-http/demo:1"), "--policy",
                                                               s.policy.string(), "--registries.d", registries_d.string()});
    EXPECT_EQ(pull.exit_code, 0) << pull.err;
    EXPECT_GT(server.downloads_of("/signature-1"), 0u);
  }
  // The server is gone: a policy that needs the signatures cannot be
  // satisfied, one that does not goes on without them.
  CommandResult needed = run_sheaf((dir_ / "store2").string(), {"pull", s.registry->ref("over-http/demo:1"), "--policy",
                                                                s.policy.string(), "--registries.d", registries_d.string()});
  EXPECT_EQ(needed.exit_code, 3);
  EXPECT_TRUE(contains(needed.err, "cannot read the signature http://127.0.0.1:")) << needed.err;
  fs::path open_policy = dir_ / "open.json";
  write_file(open_policy, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  CommandResult open = run_sheaf((dir_ / "store2").string(), {"pull", s.registry->ref("over-http/demo:1"), "--policy",
                                                              open_policy.string(), "--registries.d", registries_d.string()});
  EXPECT_EQ(open.exit_code, 0) << open.err;
  EXPECT_TRUE(contains(open.err, "warning: cannot read the signature")) << open.err;
  EXPECT_TRUE(contains(open.err, "pulled without those signatures")) << open.err;
}

TEST_F(SigningTest, BrokenPoliciesAreNamedWithTheFileAndThePlace) {
  auto& s = *shared_;
  struct Case {
    std::string text, says;
  };
  for (const Case& c : {Case{"{\n  \"default\": [\n    {\"type\": \"insecureAcceptAnything\"},,\n  ]\n}\n", ":3:"},
                        Case{R"({"default": [{"type": "acceptIfSunny"}]})", "at default[0]: unknown requirement type \"acceptIfSunny\""},
                        Case{R"({"default": [{"type": "reject"}], "transports": {"docker": {"h:1": [{"type": "signedBy", "keyType": "GPGKeys"}]}}})",
                             "at transports.docker[\"h:1\"][0]: signedBy needs keyPath, keyPaths or keyData"}}) {
    fs::path policy = dir_ / "policy.json";
    write_file(policy, c.text);
    CommandResult r = run_sheaf(s.store, {"verify", "demo", "--policy", policy.string()});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_TRUE(contains(r.err, policy.string())) << r.err;
    EXPECT_TRUE(contains(r.err, c.says)) << r.err;
  }
  // What sheaf does not check (certificates, transparency logs) is refused
  // where it applies.
  fs::path policy = dir_ / "fulcio.json";
  write_file(policy, R"({"default": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca.pem"}}]})");
  CommandResult r = run_sheaf(s.store, {"verify", "demo", "--policy", policy.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "asks for fulcio, which sheaf does not check")) << r.err;
}

TEST_F(SigningTest, AnUnwritableStagingDirectoryFailsThePushBeforeAnyUpload) {
  auto& s = *shared_;
  CommandResult sign = run_sheaf(s.store, {"sign", "demo-tool", "--identity", s.registry->ref("unwritable/demo:1"),
                                           "--sign-by", s.key->fingerprint()},
                                 gpg_env(*s.key));
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  // A staging "directory" beneath a regular file cannot be made, even by root.
  write_file(dir_ / "a-file", "x");
  fs::path registries_d = dir_ / "registries.d";
  testing::make_dirs(registries_d);
  write_file(registries_d / "bad.yaml", "default-docker:\n  lookaside-staging: file://" + (dir_ / "a-file/sub").string() + "\n");
  s.registry->clear_log();
  CommandResult push = run_sheaf(s.store, {"push", "demo-tool", s.registry->ref("unwritable/demo:1"), "--registries.d",
                                           registries_d.string()});
  EXPECT_EQ(push.exit_code, 3);
  EXPECT_TRUE(contains(push.err, "cannot write signatures to")) << push.err;
  EXPECT_TRUE(contains(push.err, "bad.yaml")) << push.err;
  for (const auto& line : s.registry->requests()) EXPECT_FALSE(contains(line, "PUT")) << line;
}

TEST_F(SigningTest, SheafRunHonoursThePolicy) {
  if (::geteuid() != 0) GTEST_SKIP() << "sheaf run needs root";
  auto& s = *shared_;
  sign_and_push("demo", "run/signed:1", *s.key);
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo-tool", s.registry->ref("run/unsigned:1")}).exit_code, 0);
  std::string store = (dir_ / "store").string();
  ASSERT_EQ(sheaf_pull(s.registry->ref("run/signed:1"), s.policy, store).exit_code, 0);
  // Pulled without a policy that asks for signatures (any image is accepted).
  fs::path open_policy = dir_ / "open.json";
  write_file(open_policy, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  ASSERT_EQ(sheaf_pull(s.registry->ref("run/unsigned:1"), open_policy, store).exit_code, 0);
  const std::string host = "127.0.0.1_" + s.registry->host().substr(10);
  CommandResult accepted = run_sheaf(store, {"run", host + "/run/signed:1", "--policy", s.policy.string()});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_EQ(accepted.out, "hello, signed\n");
  CommandResult refused = run_sheaf(store, {"run", host + "/run/unsigned:1", "--policy", s.policy.string()});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_TRUE(contains(refused.err, "pulled from " + s.registry->ref("run/unsigned:1"))) << refused.err;
  EXPECT_TRUE(contains(refused.err, "needs a signature, and there is none")) << refused.err;
  EXPECT_EQ(refused.out, "");
  // An image built here falls under the transport "sheaf": accepted by the
  // test policy, refused by one without a rule for it.
  EXPECT_EQ(run_sheaf(s.store, {"run", "demo", "--policy", s.policy.string()}).out, "hello, signed\n");
  fs::path docker_only = dir_ / "docker-only.json";
  write_file(docker_only, R"({"default": [{"type": "reject"}]})");
  CommandResult local = run_sheaf(s.store, {"run", "demo", "--policy", docker_only.string()});
  EXPECT_EQ(local.exit_code, 125);
  EXPECT_TRUE(contains(local.err, "demo (built in this store) is refused by the trust policy")) << local.err;
  EXPECT_TRUE(contains(local.err, "(scope default)")) << local.err;
}

// An index is signed as one; sheaf run of one of its images, named by its
// own digest, is judged by the index's signatures.
TEST_F(SigningTest, SheafRunTrustsAnImageOfASignedIndexThroughTheIndex) {
  if (::geteuid() != 0) GTEST_SKIP() << "sheaf run needs root";
  auto& s = *shared_;
  fs::path project = dir_ / "project-multi";
  testing::make_dirs(project);
  std::string spec = s.apt.app_spec("multi", "\"app\"");
  spec.replace(spec.find("arch = \"amd64\""), 14, "arch = [\"amd64\", \"arm64\"]");
  write_file(project / "sheaf.toml", spec);
  CommandResult built = run_sheaf(s.store, {"build", "-f", (project / "sheaf.toml").string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  sign_and_push("multi", "run/multi:1", *s.key);
  ASSERT_EQ(run_sheaf(s.store, {"push", "multi", s.registry->ref("run/multi-unsigned:1")}).exit_code, 0);

  std::string store = (dir_ / "store").string();
  ASSERT_EQ(sheaf_pull(s.registry->ref("run/multi:1"), s.policy, store).exit_code, 0);
  CommandResult shown = run_sheaf(store, {"image", "show", "--json", "--platform", "linux/amd64",
                                          "127.0.0.1_" + s.registry->host().substr(10) + "/run/multi:1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const std::string amd64 = json::parse(shown.out)["digest"];
  CommandResult by_digest = run_sheaf(store, {"run", amd64, "--policy", s.policy.string()});
  EXPECT_EQ(by_digest.exit_code, 0) << by_digest.err;
  EXPECT_EQ(by_digest.out, "hello, signed\n");

  // The same index unsigned, pulled under a policy that asks for nothing:
  // its image is refused by the signing policy, naming the index.
  std::string other = (dir_ / "other").string();
  fs::path open_policy = dir_ / "open.json";
  write_file(open_policy, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  ASSERT_EQ(sheaf_pull(s.registry->ref("run/multi-unsigned:1"), open_policy, other).exit_code, 0);
  CommandResult refused = run_sheaf(other, {"run", amd64, "--policy", s.policy.string()});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_TRUE(contains(refused.err, "(an image of the index sha256:")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "needs a signature, and there is none")) << refused.err;
  EXPECT_EQ(refused.out, "");
}

TEST_F(SigningTest, SignAndVerifySayWhatTheyDoAndRefuseBadArguments) {
  auto& s = *shared_;
  CommandResult help = run_sheaf(s.store, {"sign", "--help"});
  EXPECT_TRUE(contains(help.out, "--sign-by")) << help.out;
  EXPECT_TRUE(contains(run_sheaf(s.store, {"verify", "--help"}).out, "--gpg-keyring"));
  CommandResult no_prefix = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->host() + "/x:1", "--sign-by",
                                                s.key->fingerprint()});
  EXPECT_EQ(no_prefix.exit_code, 2);
  EXPECT_TRUE(contains(no_prefix.err, "docker://")) << no_prefix.err;
  CommandResult bad_key = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x:1"), "--sign-by", "alice"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_TRUE(contains(bad_key.err, "fingerprint")) << bad_key.err;
  CommandResult unknown_key = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x:1"), "--sign-by",
                                                  s.other->fingerprint()},
                                        gpg_env(*s.key));
  EXPECT_EQ(unknown_key.exit_code, 3);
  EXPECT_TRUE(contains(unknown_key.err, "gpg could not sign with the key")) << unknown_key.err;
  CommandResult no_image = run_sheaf(s.store, {"verify", "no-such-image", "--policy", s.policy.string()});
  EXPECT_EQ(no_image.exit_code, 3);
}

}  // namespace
}  // namespace sheaf
