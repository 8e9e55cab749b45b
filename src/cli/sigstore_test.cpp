// sigstore (cosign-format) signatures end to end. Debian's skopeo and podman
// are built without sigstore, so the other verifier is
// src/testing/cosign_check.py: the format's checks written from the
// specification in Python (cryptography, PyNaCl), sharing no code with
// sheaf. Every tampering is refused by sheaf verify, by sheaf pull under a
// sigstoreSigned policy, and by the checker. docker-registry on 127.0.0.1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
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

const std::string kChecker = std::string(SHEAF_SOURCE_DIR) + "/src/testing/cosign_check.py";

class SigstoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/bin/docker-registry")) return;
    if (run_command({"/usr/bin/python3", "-c", "import nacl.secret, cryptography"}).exit_code != 0) return;
    shared_ = new Shared;
    auto& s = *shared_;
    fs::path source = s.dir / "hello.c";
    write_file(source, "#include <stdio.h>\nint main(void) { puts(\"hello, sigstore\"); return 0; }\n");
    CommandResult cc = run_command({"/usr/bin/gcc", "-static", "-O2", "-o", (s.dir / "hello").string(), source.string()});
    if (cc.exit_code != 0) throw std::runtime_error("cc -static: " + cc.err);
    std::string hello = read_file_bytes(s.dir / "hello");
    s.apt.repo.add_with("stable", "app", "1.0", "", [&](testing::DebTree& t) { t.file("usr/bin/app", hello, 0755); });
    s.apt.repo.add_with("stable", "tool", "1.0", "", [](testing::DebTree& t) { t.file("usr/bin/tool", "tool\n", 0755); });
    s.apt.publish("stable");
    s.registry = std::make_unique<testing::TestRegistry>(s.dir / "registry");
    s.store = (s.dir / "store").string();
    s.app = build("\"app\"", "demo");
    s.tool = build("\"app\", \"tool\"", "demo-tool");
    s.bits = build("\"app\"", "demo-bits", "\n[[paths]]\npath = \"/etc/bits\"\ntype = \"file\"\ncontent = \"bits\"\n");
    // The signing key, made by sheaf without a passphrase; an Ed25519 key
    // with one; and another signer's key, made by the independent checker.
    s.key = s.dir / "signer";
    CommandResult made = run_sheaf(s.store, {"key", "generate", "--no-passphrase", "-o", s.key.string()});
    if (made.exit_code != 0) throw std::runtime_error("sheaf key generate: " + made.err);
    s.ed = s.dir / "ed";
    write_file(s.dir / "ed.pass", "horse battery\n");
    made = run_sheaf(s.store, {"key", "generate", "--algorithm", "ed25519", "--passphrase-file",
                               (s.dir / "ed.pass").string(), "-o", s.ed.string()});
    if (made.exit_code != 0) throw std::runtime_error("sheaf key generate: " + made.err);
    s.other = s.dir / "other";
    made = run_command({"/usr/bin/python3", kChecker, "keygen", "--prefix", s.other.string(), "--passphrase", "p"});
    if (made.exit_code != 0) throw std::runtime_error("cosign_check.py keygen: " + made.err);
    s.policy = s.dir / "policy.json";
    write_file(s.policy, policy_for(pub(s.key)));
  }
  static void TearDownTestSuite() { delete shared_; }
  void SetUp() override {
    if (!shared_) GTEST_SKIP() << "docker-registry, python3-nacl or python3-cryptography is missing (tools/dev deps)";
  }

  struct Shared {
    testing::TempDir dir;
    testing::SignedAptRepo apt;
    std::unique_ptr<testing::TestRegistry> registry;
    std::string store, app, tool, bits;
    fs::path key, ed, other, policy;
  };

  static fs::path pub(const fs::path& prefix) { return prefix.string() + ".pub"; }
  static fs::path priv(const fs::path& prefix) { return prefix.string() + ".key"; }

  // Registry images must carry a sigstore signature by `key`; images built
  // here are accepted; everything else is rejected.
  static std::string policy_for(const fs::path& key) {
    json requirement = {{"type", "sigstoreSigned"}, {"keyPath", key.string()}};
    json policy = {{"default", {{{"type", "reject"}}}},
                   {"transports",
                    {{"docker", {{shared_->registry->host(), {requirement}}}},
                     {"sheaf", {{"", {{{"type", "insecureAcceptAnything"}}}}}}}}};
    return policy.dump(2);
  }

  static std::string build(const std::string& include, const std::string& name, const std::string& extra = "") {
    fs::path project = shared_->dir / ("project-" + name);
    testing::make_dirs(project);
    write_file(project / "sheaf.toml", shared_->apt.app_spec(name, include, extra));
    CommandResult r = run_sheaf(shared_->store, {"build", "-f", (project / "sheaf.toml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  // sheaf sign IMAGE --key for docker://HOST/REPO, then sheaf push there.
  static void sign_and_push(const std::string& image, const std::string& repo_tag, const fs::path& key,
                            const std::vector<std::string>& extra = {}) {
    auto& s = *shared_;
    std::vector<std::string> args{"sign", image, "--identity", s.registry->ref(repo_tag), "--key", priv(key).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult sign = run_sheaf(s.store, args);
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
    CommandResult push = run_sheaf(s.store, {"push", image, s.registry->ref(repo_tag)});
    ASSERT_EQ(push.exit_code, 0) << push.err;
  }

  // The independent checker's verdict on REPO:TAG (it reads the manifest's
  // digest from the registry itself).
  static CommandResult check(const std::string& repo, const std::string& tag, const fs::path& key,
                             const std::string& identity = "") {
    std::vector<std::string> argv{"/usr/bin/python3", kChecker, "verify", "--registry", shared_->registry->host(),
                                  "--repository", repo, "--tag", tag, "--key", pub(key).string()};
    if (!identity.empty()) argv.insert(argv.end(), {"--identity", shared_->registry->host() + "/" + identity});
    return run_command(argv);
  }

  static CommandResult tamper(const std::string& repo, const std::string& digest, const std::string& how,
                              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", kChecker, "tamper", "--registry", shared_->registry->host(),
                                  "--repository", repo, "--digest", digest, "--how", how};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
  }

  static CommandResult sheaf_pull(const std::string& ref, const fs::path& policy, const std::string& store) {
    return run_sheaf(store, {"pull", ref, "--policy", policy.string()});
  }

  static std::string store_state(const std::string& store) {
    return run_sheaf(store, {"image", "ls"}).out + run_sheaf(store, {"pkg", "ls"}).out;
  }

  static Shared* shared_;
  testing::TempDir dir_;
};
SigstoreTest::Shared* SigstoreTest::shared_ = nullptr;

TEST_F(SigstoreTest, ASheafSignatureIsAcceptedBySheafAndTheIndependentChecker) {
  auto& s = *shared_;
  sign_and_push("demo", "sig/demo:1", s.key);
  CommandResult checked = check("sig/demo", "1", s.key, "sig/demo:1");
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  // The signature never changes the image's digest.
  CommandResult show = run_sheaf(s.store, {"image", "show", "demo", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(json::parse(show.out)["digest"], s.app);

  std::string store = (dir_ / "store").string();
  CommandResult verify = run_sheaf(store, {"verify", s.registry->ref("sig/demo:1"), "--key", pub(s.key).string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(contains(verify.out, "(sigstore): good, by sha256:")) << verify.out;
  CommandResult pull = sheaf_pull(s.registry->ref("sig/demo:1"), s.policy, store);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(last_line(pull.out), s.app);
  // Kept with the pulled image, and checked again from the store.
  const std::string local = "127.0.0.1_" + s.registry->host().substr(10) + "/sig/demo:1";
  CommandResult again = run_sheaf(store, {"verify", local, "--policy", s.policy.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  CommandResult by_key = run_sheaf(store, {"verify", local, "--key", pub(s.key).string()});
  EXPECT_EQ(by_key.exit_code, 0) << by_key.out << by_key.err;
  CommandResult other_key = run_sheaf(store, {"verify", local, "--key", pub(s.other).string()});
  EXPECT_EQ(other_key.exit_code, 3) << other_key.out;

  // A second signer's signature joins the first in the same .sig manifest.
  sign_and_push("demo", "sig/demo:1", s.ed, {"--passphrase-file", (s.dir / "ed.pass").string()});
  EXPECT_EQ(check("sig/demo", "1", s.ed, "sig/demo:1").exit_code, 0);
  EXPECT_EQ(check("sig/demo", "1", s.key, "sig/demo:1").exit_code, 0);
  CommandResult both = run_sheaf((dir_ / "store2").string(), {"verify", s.registry->ref("sig/demo:1"), "--json"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(json::parse(both.out)["signatures"].size(), 2u) << both.out;

  if (::geteuid() != 0) return;  // sheaf run needs root
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo-tool", s.registry->ref("sig/unsigned:1")}).exit_code, 0);
  fs::path open_policy = dir_ / "open.json";
  write_file(open_policy, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  ASSERT_EQ(sheaf_pull(s.registry->ref("sig/unsigned:1"), open_policy, store).exit_code, 0);
  CommandResult accepted = run_sheaf(store, {"run", local, "--policy", s.policy.string()});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_EQ(accepted.out, "hello, sigstore\n");
  CommandResult refused = run_sheaf(store, {"run", "127.0.0.1_" + s.registry->host().substr(10) + "/sig/unsigned:1",
                                            "--policy", s.policy.string()});
  EXPECT_EQ(refused.exit_code, 125) << refused.err;
  EXPECT_TRUE(contains(refused.err, "sigstoreSigned (" + pub(s.key).string() + ") needs a sigstore signature"))
      << refused.err;
}

TEST_F(SigstoreTest, AKeyAndASignatureOfTheIndependentImplementationWorkInSheaf) {
  auto& s = *shared_;
  // sheaf signs with the checker's key (cosign's format, written by Python).
  write_file(dir_ / "p", "p\n");
  sign_and_push("demo-tool", "theirs/key:1", s.other, {"--passphrase-file", (dir_ / "p").string()});
  EXPECT_EQ(check("theirs/key", "1", s.other, "theirs/key:1").exit_code, 0);
  // The checker signs an image sheaf pushed; sheaf pull and verify accept it.
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo", s.registry->ref("theirs/signed:1")}).exit_code, 0);
  CommandResult signed_ = run_command({"/usr/bin/python3", kChecker, "sign", "--registry", s.registry->host(),
                                       "--repository", "theirs/signed", "--digest", s.app, "--key", priv(s.other).string(),
                                       "--passphrase", "p", "--identity", s.registry->host() + "/theirs/signed:1"});
  ASSERT_EQ(signed_.exit_code, 0) << signed_.err;
  fs::path policy = dir_ / "policy.json";
  write_file(policy, policy_for(pub(s.other)));
  CommandResult pull = sheaf_pull(s.registry->ref("theirs/signed:1"), policy, (dir_ / "store").string());
  EXPECT_EQ(pull.exit_code, 0) << pull.err;
  CommandResult verify = run_sheaf((dir_ / "store").string(), {"verify", s.registry->ref("theirs/signed:1"), "--key",
                                                                pub(s.other).string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // And the checker opens sheaf's keys, with and without a passphrase.
  CommandResult opened = run_command({"/usr/bin/python3", kChecker, "decrypt", "--key", priv(s.key).string(), "--public",
                                      pub(s.key).string()});
  EXPECT_EQ(opened.exit_code, 0) << opened.out;
  EXPECT_EQ(opened.out, "ecdsa-p256\n");
  opened = run_command({"/usr/bin/python3", kChecker, "decrypt", "--key", priv(s.ed).string(), "--passphrase",
                        "horse battery", "--public", pub(s.ed).string()});
  EXPECT_EQ(opened.out, "ed25519\n");
}

// Each tampering, refused by the checker, by sheaf verify --key and by sheaf
// pull under the policy, the store left as it was.
TEST_F(SigstoreTest, EveryTamperingIsRefusedBySheafAndTheChecker) {
  auto& s = *shared_;
  struct Case {
    std::string repo;
    std::function<void()> make;  // pushes REPO:1 and spoils its signature
    std::string sheaf_says;
    bool by_policy = true;  // refused by the policy, not by a digest check before it
  };
  auto signed_then = [&](const std::string& repo, const std::string& how) {
    return [repo, how] {
      sign_and_push("demo", repo + ":1", shared_->key);
      CommandResult t = tamper(repo, shared_->app, how);
      ASSERT_EQ(t.exit_code, 0) << t.err;
    };
  };
  std::vector<Case> cases{
      {"t/payload-bit", signed_then("t/payload-bit", "payload-bit"), "not a signature of its payload by the trusted key"},
      {"t/signature-bit", signed_then("t/signature-bit", "signature-bit"), "not a signature of its payload by the trusted key"},
      {"t/garbage-signature", signed_then("t/garbage-signature", "garbage-signature"), "its signature is not base64"},
      {"t/truncated",
       [] {
         sign_and_push("demo", "t/truncated:1", shared_->key);
         // The registry's own copy of the .sig manifest, cut in half.
         fs::path link = shared_->dir / ("registry/data/docker/registry/v2/repositories/t/truncated/_manifests/tags/sha256-" +
                                         shared_->app.substr(7) + ".sig/current/link");
         fs::path file = shared_->registry->blob_file(read_file_bytes(link));
         std::string bytes = read_file_bytes(file);
         write_file(file, bytes.substr(0, bytes.size() / 2));
       },
       "cannot be read"},
      {"t/other-key", [] { sign_and_push("demo", "t/other-key:1", shared_->other, {"--passphrase-file", (shared_->dir / "p").string()}); },
       "not a signature of its payload by the trusted key"},
      {"t/replay",
       [] {
         // demo's valid signature, laid beside demo-tool pushed under the same tag.
         sign_and_push("demo", "t/replay:1", shared_->key);
         ASSERT_EQ(run_sheaf(shared_->store, {"push", "demo-tool", shared_->registry->ref("t/replay:1")}).exit_code, 0);
         ASSERT_EQ(tamper("t/replay", shared_->app, "copy", {"--to-digest", shared_->tool}).exit_code, 0);
       },
       "it signs the manifest " + s.app},
      {"t/identity",
       [] {
         // Signed for another repository, and laid beside the image pushed here.
         sign_and_push("demo", "elsewhere/demo:1", shared_->key);
         ASSERT_EQ(run_sheaf(shared_->store, {"push", "demo", shared_->registry->ref("t/identity:1")}).exit_code, 0);
         ASSERT_EQ(tamper("elsewhere/demo", shared_->app, "copy", {"--to-repository", "t/identity"}).exit_code, 0);
       },
       "elsewhere/demo:1, which matchRepoDigestOrExact"},
      {"t/missing", [] { ASSERT_EQ(run_sheaf(shared_->store, {"push", "demo", shared_->registry->ref("t/missing:1")}).exit_code, 0); },
       "needs a sigstore signature, and there is none"},
      {"t/manifest-bit",
       [] {
         // One bit of the image manifest, as the registry keeps it (an
         // image of its own: the registry keeps one copy per digest).
         sign_and_push("demo-bits", "t/manifest-bit:1", shared_->key);
         fs::path file = shared_->registry->blob_file(shared_->bits);
         std::string bytes = read_file_bytes(file);
         std::size_t at = bytes.find("\"size\":");  // a digit of a size: still JSON
         ASSERT_NE(at, std::string::npos);
         at += 7;
         bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
         write_file(file, bytes);
       },
       "digest", false},
  };
  write_file(s.dir / "p", "p\n");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.repo);
    c.make();
    CommandResult checked = check(c.repo, "1", s.key, c.repo + ":1");
    EXPECT_EQ(checked.exit_code, 1) << checked.out << checked.err;
    std::string store = (dir_ / c.repo / "store").string();
    CommandResult verify = run_sheaf(store, {"verify", s.registry->ref(c.repo + ":1"), "--key", pub(s.key).string()});
    EXPECT_EQ(verify.exit_code, 3) << verify.out << verify.err;
    std::string before = store_state(store);
    CommandResult pull = sheaf_pull(s.registry->ref(c.repo + ":1"), s.policy, store);
    EXPECT_EQ(pull.exit_code, 3) << pull.err;
    if (c.by_policy) {
      EXPECT_TRUE(contains(pull.err, s.registry->ref(c.repo + ":1") + " is refused by the trust policy " + s.policy.string()))
          << pull.err;
    }
    EXPECT_TRUE(contains(pull.err, c.sheaf_says)) << pull.err;
    EXPECT_EQ(store_state(store), before);
  }
}

TEST_F(SigstoreTest, UnsupportedKeysAndWrongPassphrasesAreClearErrors) {
  auto& s = *shared_;
  // An RSA key in cosign's format (cosign reads those; sheaf does not).
  ASSERT_EQ(run_command({"/usr/bin/python3", kChecker, "keygen", "--prefix", (dir_ / "rsa").string(), "--algorithm", "rsa"})
                .exit_code,
            0);
  auto before = run_sheaf(s.store, {"verify", "demo", "--json"}).out;
  CommandResult rsa = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x/demo:1"), "--key",
                                          (dir_ / "rsa.key").string()});
  EXPECT_EQ(rsa.exit_code, 3);
  EXPECT_TRUE(contains(rsa.err, (dir_ / "rsa.key").string() + ": an RSA key; sheaf signs and verifies with ECDSA P-256 or Ed25519"))
      << rsa.err;
  CommandResult rsa_pub = run_sheaf(s.store, {"verify", "demo", "--key", (dir_ / "rsa.pub").string()});
  EXPECT_EQ(rsa_pub.exit_code, 3);
  EXPECT_TRUE(contains(rsa_pub.err, "an RSA key")) << rsa_pub.err;
  fs::path policy = dir_ / "rsa-policy.json";
  write_file(policy, policy_for(dir_ / "rsa.pub"));
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo", s.registry->ref("rsa/demo:1")}).exit_code, 0);
  CommandResult rsa_policy = sheaf_pull(s.registry->ref("rsa/demo:1"), policy, (dir_ / "store").string());
  EXPECT_EQ(rsa_policy.exit_code, 3);
  EXPECT_TRUE(contains(rsa_policy.err, "an RSA key")) << rsa_policy.err;
  // A wrong passphrase: named, and nothing written.
  write_file(dir_ / "wrong", "battery horse\n");
  CommandResult wrong = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x/demo:1"), "--key",
                                            priv(s.ed).string(), "--passphrase-file", (dir_ / "wrong").string()});
  EXPECT_EQ(wrong.exit_code, 3);
  EXPECT_TRUE(contains(wrong.err, priv(s.ed).string() + ": the passphrase does not open this key")) << wrong.err;
  // No passphrase at all, and no terminal to ask on.
  CommandResult none = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x/demo:1"), "--key",
                                           priv(s.ed).string()});
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_TRUE(contains(none.err, "is protected by a passphrase: give --passphrase-file FILE, set SHEAF_PASSPHRASE"))
      << none.err;
  EXPECT_EQ(run_sheaf(s.store, {"verify", "demo", "--json"}).out, before);
  // SHEAF_PASSPHRASE opens it.
  CommandResult env = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x/demo:1"), "--key",
                                          priv(s.ed).string(), "--json"},
                                {.env = {{"SHEAF_PASSPHRASE", "horse battery"}}});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(json::parse(env.out)["kind"], "sigstore");
  // sheaf key generate refuses to replace a key, and needs a passphrase.
  CommandResult again = run_sheaf(s.store, {"key", "generate", "--no-passphrase", "-o", s.key.string()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(contains(again.err, "exists; sheaf key generate does not replace a key")) << again.err;
  CommandResult no_pass = run_sheaf(s.store, {"key", "generate", "-o", (dir_ / "new").string()});
  EXPECT_EQ(no_pass.exit_code, 2);
  EXPECT_TRUE(contains(no_pass.err, "no passphrase for the private key")) << no_pass.err;
  EXPECT_FALSE(fs::exists(dir_ / "new.key"));
  CommandResult bad = run_sheaf(s.store, {"key", "generate", "--algorithm", "rsa", "-o", (dir_ / "new").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "--algorithm takes ecdsa-p256 or ed25519")) << bad.err;
  CommandResult both = run_sheaf(s.store, {"sign", "demo", "--identity", s.registry->ref("x/demo:1"), "--key",
                                           priv(s.key).string(), "--sign-by", "ABCD"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

}  // namespace
}  // namespace sheaf
