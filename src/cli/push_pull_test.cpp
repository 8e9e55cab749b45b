// sheaf push and pull against Debian's docker-registry (distribution 2.8) on
// 127.0.0.1: plain http, TLS with a test CA, htpasswd users, and
// registry_proxy.py in front of one for the bearer-token flow, the referrers
// API and the faults of a broken registry. skopeo reads what sheaf pushed,
// and sheaf reads what skopeo pushed.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
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

class RegistryTest : public ::testing::Test {
 protected:
  // One repository, two images built into one store, one registry: shared by
  // every test (each pushes to its own repository or registry).
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/bin/docker-registry") || testing::tool("skopeo").empty()) return;  // SetUp skips
    shared_ = new Shared;
    auto& apt = shared_->apt;
    apt.repo.add_with("stable", "libc", "1.0", "", [](testing::DebTree& t) {
      // Bytes gzip cannot shrink, so that libc's layer is large enough to be
      // uploaded in chunks with --chunk-size 4096.
      std::string noise(200000, '\0');
      std::uint32_t x = 12345;
      for (auto& c : noise) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
      t.file("lib/x86_64-linux-gnu/libc.so.6", noise, 0755);
      t.file("usr/share/doc/libc/changelog", "libc (1.0) stable\n");
    });
    apt.repo.add_with("stable", "app", "1.0", "Depends: libc (>= 1.0)\n", [](testing::DebTree& t) {
      t.file("usr/bin/app", "#!/bin/app\n", 0755);
      t.file("usr/share/doc/app/README.long", std::string(5000, 'r'));
    });
    apt.repo.add_with("stable", "tool", "1.0", "Depends: libc\n",
                      [](testing::DebTree& t) { t.file("usr/bin/tool", "#!/bin/tool\n", 0755); });
    apt.publish("stable");
    shared_->registry = std::make_unique<testing::TestRegistry>(shared_->dir / "registry");
    shared_->store = (shared_->dir / "store").string();
    shared_->app = build(shared_->dir / "app", "\"app\"", "demo", shared_->store, shared_->dir / "app-layout");
    shared_->tool = build(shared_->dir / "tool", "\"app\", \"tool\"", "demo-tool", shared_->store);
  }
  static void TearDownTestSuite() { delete shared_; }
  void SetUp() override {
    if (!shared_) GTEST_SKIP() << "docker-registry or skopeo is not installed (tools/dev deps installs them)";
  }

  struct Shared {
    testing::TempDir dir;
    testing::SignedAptRepo apt;
    std::unique_ptr<testing::TestRegistry> registry;
    std::string store;
    std::string app;   // the digest of the image of app (and libc)
    std::string tool;  // app, libc and tool
  };

  static std::string build(const fs::path& project, const std::string& include, const std::string& name,
                           const std::string& store, const fs::path& layout = {}, const std::string& extra = "") {
    testing::make_dirs(project);
    write_file(project / "sheaf.toml", shared_->apt.app_spec(name, include, extra));
    std::vector<std::string> args{"build", "-f", (project / "sheaf.toml").string()};
    if (!layout.empty()) args.insert(args.end(), {"-o", layout.string()});
    CommandResult r = run_sheaf(store, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  static json run_json(const std::string& store, std::vector<std::string> args, const testing::CommandOptions& o = {}) {
    args.push_back("--json");
    CommandResult r = run_sheaf(store, args, o);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }

  // What skopeo says the registry holds under `ref`: its manifest digest.
  static std::string skopeo_digest(const std::string& ref, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{testing::tool("skopeo"), "inspect", "--tls-verify=false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(ref);
    CommandResult r = run_command(argv);
    if (r.exit_code != 0) return "error: " + r.err;
    return json::parse(r.out).value("Digest", "");
  }

  // The images and packages of a store, to check that a refused pull left it as it was.
  static std::string store_state(const std::string& store) {
    return run_sheaf(store, {"image", "ls"}).out + run_sheaf(store, {"pkg", "ls"}).out;
  }

  static Shared* shared_;
  testing::TempDir dir_;
};
RegistryTest::Shared* RegistryTest::shared_ = nullptr;

TEST_F(RegistryTest, APushedImageIsWhatSkopeoSeesAndPullsBackIntoAnEmptyStoreAsTheSameImage) {
  auto& s = *shared_;
  json pushed = run_json(s.store, {"push", "demo", s.registry->ref("team/demo:1")});
  EXPECT_EQ(pushed["digest"], s.app);
  EXPECT_EQ(pushed["referrers_api"], false);
  EXPECT_EQ(skopeo_digest(s.registry->ref("team/demo:1")), s.app);
  // The sheaf document is listed under the fallback tag.
  CommandResult raw = run_command({testing::tool("skopeo"), "inspect", "--raw", "--tls-verify=false",
                                   s.registry->ref("team/demo:sha256-" + s.app.substr(7))});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json referrers = json::parse(raw.out);
  ASSERT_EQ(referrers["manifests"].size(), 1u);
  EXPECT_EQ(referrers["manifests"][0]["artifactType"], "application/vnd.sheaf.document.v1+json");
  EXPECT_EQ(referrers["manifests"][0]["digest"], pushed["document"]);

  std::string empty = (dir_ / "empty").string();
  CommandResult r = run_sheaf(empty, {"pull", s.registry->ref("team/demo:1")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), s.app);
  std::string local = s.registry->host();
  local.replace(local.find(':'), 1, "_");
  local += "/team/demo:1";
  EXPECT_TRUE(contains(r.err, "as " + local)) << r.err;
  CommandResult show = run_sheaf(empty, {"image", "show", local});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(contains(show.out, "app")) << show.out;
  CommandResult which = run_sheaf(empty, {"which", "libc"});
  EXPECT_TRUE(contains(which.out, "libc 1.0")) << which.out;
  json verify = run_json(empty, {"store", "verify"});
  EXPECT_TRUE(verify["damage"].empty()) << verify.dump();
  EXPECT_EQ(verify["packages"], 3);  // libc, app and the assembly, each with its whole FileSet
  // The pulled image is a set of packages: an update that changes nothing gives it again.
  CommandResult update = run_sheaf(empty, {"image", "update", local, "--set", "app=1.0"});
  EXPECT_EQ(update.exit_code, 0) << update.err;
  EXPECT_EQ(last_line(update.out), s.app);
  // The store remembers where it came from.
  CommandResult again = run_sheaf(empty, {"pull", s.registry->ref("team/demo@" + s.app), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["layers_downloaded"], 0);
}

TEST_F(RegistryTest, ASecondImageUploadsOnlyWhatTheRegistryLacksAndMountsTheRest) {
  auto& s = *shared_;
  json first = run_json(s.store, {"push", "demo", s.registry->ref("mount/a:1")});
  // (Earlier tests may have pushed the same blobs to other repositories: then they are mounted.)
  EXPECT_EQ(first["uploaded"].get<int>() + first["mounted"].get<int>(), first["blobs"].get<int>());
  // The same image again: everything is there.
  json same = run_json(s.store, {"push", "demo", s.registry->ref("mount/a:1")});
  EXPECT_EQ(same["uploaded"], 0);
  EXPECT_EQ(same["present"], same["blobs"]);
  // Another repository of the same registry: the shared blobs are mounted.
  json second = run_json(s.store, {"push", "demo-tool", s.registry->ref("mount/b:1")});
  EXPECT_GT(second["mounted"].get<int>(), 0);
  // What is uploaded is tool's layer, its documents, the assembly's and the
  // image's own config, never libc's or app's layers.
  EXPECT_LT(second["bytes_uploaded"].get<int>(), 20000) << second.dump();
  EXPECT_EQ(skopeo_digest(s.registry->ref("mount/b:1")), s.tool);
}

TEST_F(RegistryTest, AMountFromARepositoryThatLostTheBlobFallsBackToAnUpload) {
  auto& s = *shared_;
  std::string store = (dir_ / "store").string();
  std::string digest = build(dir_ / "stale", "\"app\"", "stale", store);
  json first = run_json(store, {"push", "stale", s.registry->ref("stale/a:1")});
  EXPECT_EQ(first["uploaded"], first["blobs"]);
  // The registry forgets every blob of stale/a (DELETE, as a registry's
  // retention policy would), but the store still believes it holds them.
  CommandResult raw = run_command({testing::tool("skopeo"), "inspect", "--raw", "--tls-verify=false",
                                   s.registry->ref("stale/a:1")});
  json manifest = json::parse(raw.out);
  std::vector<std::string> blobs{manifest["config"]["digest"]};
  for (const auto& l : manifest["layers"]) blobs.push_back(l["digest"]);
  for (const auto& blob : blobs) {
    CommandResult del = run_command(
        {testing::tool("curl"), "-fsS", "-X", "DELETE", "http://" + s.registry->host() + "/v2/stale/a/blobs/" + blob});
    ASSERT_EQ(del.exit_code, 0) << del.err;
  }
  json second = run_json(store, {"push", "stale", s.registry->ref("stale/b:1")});
  EXPECT_EQ(second["digest"], digest);
  EXPECT_EQ(skopeo_digest(s.registry->ref("stale/b:1")), digest);
  EXPECT_LT(second["mounted"].get<int>(), second["blobs"].get<int>() - static_cast<int>(blobs.size()) + 1);
  // The store forgot what it learnt was stale: the next push tries no mount of those.
  json third = run_json(store, {"push", "stale", s.registry->ref("stale/c:1")});
  EXPECT_EQ(third["mounted"], third["blobs"]);  // all from stale/b now
}

TEST_F(RegistryTest, APullMakesTheLayersOfPackagesTheStoreHoldsInsteadOfDownloadingThem) {
  auto& s = *shared_;
  run_json(s.store, {"push", "demo", s.registry->ref("local/demo:1")});
  std::string store = (dir_ / "debs").string();
  CommandResult imported = run_sheaf(store, {"pkg", "import", (s.apt.repo.root() / "pool/stable/main").string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  s.registry->clear_log();
  json pulled = run_json(store, {"pull", s.registry->ref("local/demo:1")});
  EXPECT_EQ(pulled["digest"], s.app);
  // libc's and app's layers are made from the imported packages; only the
  // assembly's (files no .deb holds) comes from the registry.
  EXPECT_EQ(pulled["layers_made"], 2) << pulled.dump();
  EXPECT_EQ(pulled["layers_downloaded"], 1) << pulled.dump();
  CommandResult manifest = run_command({testing::tool("skopeo"), "inspect", "--raw", "--tls-verify=false",
                                        s.registry->ref("local/demo:1")});
  json m = json::parse(manifest.out);
  std::size_t layer_gets = 0;
  for (const auto& request : s.registry->requests()) {
    for (const auto& layer : m["layers"]) {
      if (request.starts_with("GET ") && contains(request, layer["digest"].get<std::string>())) ++layer_gets;
    }
  }
  EXPECT_EQ(layer_gets, 1u);
  json verify = run_json(store, {"store", "verify"});
  EXPECT_TRUE(verify["damage"].empty()) << verify.dump();
}

TEST_F(RegistryTest, AnImageNarrowedByDropPathsPullsAsPackagesHeldInPartThatABuildMakesWhole) {
  auto& s = *shared_;
  std::string store = (dir_ / "store").string();
  std::string digest =
      build(dir_ / "narrow", "\"app\"", "narrow", store, {}, "drop_paths = [\"/usr/share/doc/*\"]\n");
  run_json(store, {"push", "narrow", s.registry->ref("narrow/demo:1")});
  std::string other = (dir_ / "other").string();
  json pulled = run_json(other, {"pull", s.registry->ref("narrow/demo:1")});
  EXPECT_EQ(pulled["digest"], digest);
  json verify = run_json(other, {"store", "verify"});
  EXPECT_TRUE(verify["damage"].empty()) << verify.dump();
  EXPECT_EQ(verify["partial_packages"], 2);  // libc and app, without their docs
  CommandResult files = run_sheaf(other, {"pkg", "files", "app"});
  EXPECT_TRUE(contains(files.out, "README.long")) << files.out;  // the FileSet is whole; only content is absent
  // Building the spec fetches the .debs, which makes the packages whole.
  EXPECT_EQ(build(dir_ / "narrow", "\"app\"", "narrow", other, {}, "drop_paths = [\"/usr/share/doc/*\"]\n"), digest);
  EXPECT_EQ(run_json(other, {"store", "verify"})["partial_packages"], 0);
}

TEST_F(RegistryTest, AnImageWithoutASheafDocumentNeedsItsPackagesInTheStore) {
  auto& s = *shared_;
  // skopeo copies the layout sheaf wrote, manifest bytes and all, but no document.
  CommandResult copy = run_command({testing::tool("skopeo"), "copy", "--dest-tls-verify=false",
                                    "oci:" + (s.dir / "app-layout").string() + ":latest",
                                    s.registry->ref("nodoc/demo:1")});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(skopeo_digest(s.registry->ref("nodoc/demo:1")), s.app);
  std::string empty = (dir_ / "empty").string();
  CommandResult refused = run_sheaf(empty, {"pull", s.registry->ref("nodoc/demo:1")});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_TRUE(contains(refused.err, "has no sheaf document")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "the store lacks 3 of its packages")) << refused.err;
  EXPECT_EQ(store_state(empty), "");
  // A store that holds the packages takes it, but it has no recipe to update.
  std::string store = (dir_ / "debs").string();
  ASSERT_EQ(run_sheaf(store, {"pkg", "import", (s.apt.repo.root() / "pool/stable/main").string()}).exit_code, 0);
  CommandResult lacks_assembly = run_sheaf(store, {"pull", s.registry->ref("nodoc/demo:1")});
  EXPECT_EQ(lacks_assembly.exit_code, 3);
  EXPECT_TRUE(contains(lacks_assembly.err, "the store lacks 1 of its packages (sheaf-assembly")) << lacks_assembly.err;
  std::string built = (dir_ / "built").string();
  build(dir_ / "app", "\"app\"", "demo", built);
  ASSERT_EQ(run_sheaf(built, {"image", "rm", "demo"}).exit_code, 0);
  CommandResult taken = run_sheaf(built, {"pull", s.registry->ref("nodoc/demo:1"), "--tag", "nodoc"});
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_EQ(last_line(taken.out), s.app);
  EXPECT_TRUE(contains(taken.err, "has no sheaf document: its packages were all in the store")) << taken.err;
  CommandResult update = run_sheaf(built, {"image", "update", "nodoc", "--set", "app=1.0"});
  EXPECT_EQ(update.exit_code, 3);
  EXPECT_TRUE(contains(update.err, "pulled without its sheaf document")) << update.err;
}

TEST_F(RegistryTest, AnImageSheafDidNotBuildIsRefusedAndTheStoreIsUnchanged) {
  auto& s = *shared_;
  if (testing::tool("umoci").empty()) GTEST_SKIP() << "umoci is not installed";
  fs::path layout = dir_ / "foreign";
  ASSERT_EQ(run_command({testing::tool("umoci"), "init", "--layout", layout.string()}).exit_code, 0);
  ASSERT_EQ(run_command({testing::tool("umoci"), "new", "--image", layout.string() + ":t"}).exit_code, 0);
  write_file(dir_ / "hello.txt", "hello\n");
  CommandResult insert = run_command({testing::tool("umoci"), "insert", "--image", layout.string() + ":t",
                                      (dir_ / "hello.txt").string(), "/hello.txt"});
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  ASSERT_EQ(run_command({testing::tool("skopeo"), "copy", "--dest-tls-verify=false", "oci:" + layout.string() + ":t",
                         s.registry->ref("foreign/x:1")})
                .exit_code,
            0);
  std::string store = (dir_ / "store").string();
  CommandResult r = run_sheaf(store, {"pull", s.registry->ref("foreign/x:1")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "is not an image sheaf built")) << r.err;
  EXPECT_TRUE(contains(r.err, "names no package")) << r.err;
  EXPECT_EQ(store_state(store), "");
}

TEST_F(RegistryTest, FromAnImageIndexThePullTakesTheHostsPlatformOrSaysWhichItHas) {
  auto& s = *shared_;
  json pushed = run_json(s.store, {"push", "demo", s.registry->ref("multi/demo:1")});
  CommandResult raw = run_command({testing::tool("skopeo"), "inspect", "--raw", "--tls-verify=false",
                                   s.registry->ref("multi/demo:1")});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  auto put_index = [&](const std::string& tag, const json& platform) {
    json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests", {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", s.app},
                                  {"size", raw.out.size()},
                                  {"platform", platform}}}}};
    write_file(dir_ / "index.json", index.dump());
    CommandResult put = run_command({testing::tool("curl"), "-fsS", "-X", "PUT", "-H",
                                     "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary",
                                     "@" + (dir_ / "index.json").string(),
                                     "http://" + s.registry->host() + "/v2/multi/demo/manifests/" + tag});
    ASSERT_EQ(put.exit_code, 0) << put.err;
  };
  put_index("arm", {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}});
  std::string store = (dir_ / "store").string();
  CommandResult refused = run_sheaf(store, {"pull", s.registry->ref("multi/demo:arm"), "--arch", "amd64"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_TRUE(contains(refused.err, "is an image index with no image for linux/amd64 (it has: linux/arm64/v8)"))
      << refused.err;
  EXPECT_EQ(store_state(store), "");
  put_index("amd", {{"os", "linux"}, {"architecture", "amd64"}});
  CommandResult pulled = run_sheaf(store, {"pull", s.registry->ref("multi/demo:amd"), "--arch", "amd64"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(last_line(pulled.out), s.app);
}

TEST_F(RegistryTest, MissingTagsAndRepositoriesAreReportedAsSuch) {
  auto& s = *shared_;
  run_json(s.store, {"push", "demo", s.registry->ref("exists/demo:1")});
  std::string store = (dir_ / "store").string();
  CommandResult no_tag = run_sheaf(store, {"pull", s.registry->ref("exists/demo:nope")});
  EXPECT_EQ(no_tag.exit_code, 3);
  EXPECT_TRUE(contains(no_tag.err, "has no tag nope in exists/demo (HTTP 404)")) << no_tag.err;
  CommandResult no_repo = run_sheaf(store, {"pull", s.registry->ref("nothing/here:1")});
  EXPECT_EQ(no_repo.exit_code, 3);
  EXPECT_TRUE(contains(no_repo.err, "nothing/here")) << no_repo.err;
  EXPECT_TRUE(contains(no_repo.err, "404")) << no_repo.err;
  CommandResult bad = run_sheaf(store, {"pull", "127.0.0.1:5000/app"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "docker://HOST[:PORT]/REPOSITORY")) << bad.err;
  EXPECT_EQ(store_state(store), "");
}

TEST_F(RegistryTest, BasicAuthUsesTheAuthFilesAndNamesWrongCredentials) {
  auto& s = *shared_;
  testing::TestRegistry registry(dir_ / "registry", {.htpasswd = true});
  CommandResult none = run_sheaf(s.store, {"push", "demo", registry.ref("auth/demo:1")},
                                 {.env = {{"HOME", dir_.path().string()}, {"XDG_RUNTIME_DIR", ""}}});
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_TRUE(contains(none.err, "refused access with no credentials")) << none.err;
  EXPECT_TRUE(contains(none.err, "401")) << none.err;
  CommandResult wrong = run_sheaf(
      s.store, {"push", "demo", registry.ref("auth/demo:1"), "--authfile", registry.write_auth_file("sheaf", "nope").string()});
  EXPECT_EQ(wrong.exit_code, 3);
  EXPECT_TRUE(contains(wrong.err, "refused access with the credentials from")) << wrong.err;
  EXPECT_TRUE(contains(wrong.err, "auth-sheaf.json")) << wrong.err;
  // $REGISTRY_AUTH_FILE, as podman reads it.
  fs::path good = registry.write_auth_file();
  CommandResult pushed = run_sheaf(s.store, {"push", "demo", registry.ref("auth/demo:1")},
                                   {.env = {{"REGISTRY_AUTH_FILE", good.string()}}});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  // ~/.docker/config.json, as docker writes it.
  fs::path home = dir_ / "home";
  testing::make_dirs(home / ".docker");
  fs::copy_file(good, home / ".docker/config.json");
  CommandResult pulled = run_sheaf((dir_ / "pulled").string(), {"pull", registry.ref("auth/demo:1")},
                                   {.env = {{"HOME", home.string()}, {"XDG_RUNTIME_DIR", ""}}});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(last_line(pulled.out), s.app);
}

TEST_F(RegistryTest, TlsNeedsTheRegistrysCaUnlessVerificationIsOff) {
  auto& s = *shared_;
  testing::TestRegistry registry(dir_ / "registry", {.tls = true});
  CommandResult untrusted = run_sheaf(s.store, {"push", "demo", registry.ref("tls/demo:1"), "--timeout", "5"});
  EXPECT_EQ(untrusted.exit_code, 3);
  EXPECT_TRUE(contains(untrusted.err, "--cert-dir")) << untrusted.err;
  CommandResult trusted =
      run_sheaf(s.store, {"push", "demo", registry.ref("tls/demo:1"), "--cert-dir", registry.ca_dir().string()});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  CommandResult unverified = run_sheaf((dir_ / "pulled").string(),
                                       {"pull", registry.ref("tls/demo:1"), "--tls-verify=false"});
  ASSERT_EQ(unverified.exit_code, 0) << unverified.err;
  EXPECT_EQ(last_line(unverified.out), s.app);
  EXPECT_EQ(skopeo_digest(registry.ref("tls/demo:1"), {"--cert-dir", registry.ca_dir().string()}), s.app);
}

TEST_F(RegistryTest, TheBearerTokenFlowAsksTheRealmForTheScopesEachRequestNeeds) {
  auto& s = *shared_;
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.token = true});
  fs::path auth = dir_ / "auth.json";
  write_file(auth, "{\"auths\":{\"" + proxy.host() + "\":{\"auth\":\"c2hlYWY6c2VjcmV0\"}}}");  // sheaf:secret
  CommandResult anonymous = run_sheaf(s.store, {"push", "demo", proxy.ref("token/demo:1"), "--authfile",
                                                (dir_ / "missing.json").string()});
  EXPECT_EQ(anonymous.exit_code, 3);
  EXPECT_TRUE(contains(anonymous.err, "refused anonymous access")) << anonymous.err;
  CommandResult pushed = run_sheaf(s.store, {"push", "demo", proxy.ref("token/demo:1"), "--authfile", auth.string()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  CommandResult pulled =
      run_sheaf((dir_ / "pulled").string(), {"pull", proxy.ref("token/demo:1"), "--authfile", auth.string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(last_line(pulled.out), s.app);
}

TEST_F(RegistryTest, TheReferrersApiIsUsedWhenTheRegistryHasIt) {
  auto& s = *shared_;
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.referrers = true});
  json pushed = run_json(s.store, {"push", "demo", proxy.ref("refs/demo:1"), "--sbom"});
  EXPECT_EQ(pushed["referrers_api"], true);
  EXPECT_EQ(pushed["sboms"].size(), 2u);
  // No fallback tag was written.
  EXPECT_TRUE(skopeo_digest(s.registry->ref("refs/demo:sha256-" + s.app.substr(7))).starts_with("error"));
  json pulled = run_json((dir_ / "pulled").string(), {"pull", proxy.ref("refs/demo:1")});
  EXPECT_EQ(pulled["digest"], s.app);
  EXPECT_EQ(pulled["sheaf_document"], true);
  bool asked = false;
  for (const auto& line : proxy.requests()) {
    json r = json::parse(line);
    if (contains(r["path"].get<std::string>(), "/referrers/" + s.app)) asked = true;
  }
  EXPECT_TRUE(asked);
}

TEST_F(RegistryTest, ABlobWhoseBytesDoNotMatchItsDigestIsRefusedAndTheStoreIsUnchanged) {
  auto& s = *shared_;
  run_json(s.store, {"push", "demo", s.registry->ref("corrupt/demo:1")});
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.fault = "corrupt-blob"});
  std::string store = (dir_ / "store").string();
  CommandResult r = run_sheaf(store, {"pull", proxy.ref("corrupt/demo:1")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "hash to")) << r.err;
  EXPECT_EQ(store_state(store), "");
}

TEST_F(RegistryTest, AManifestOverTheSizeLimitIsRefused) {
  auto& s = *shared_;
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.fault = "huge-manifest"});
  std::string store = (dir_ / "store").string();
  CommandResult r = run_sheaf(store, {"pull", proxy.ref("huge/demo:1")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "larger than 4194304 bytes")) << r.err;
  EXPECT_EQ(store_state(store), "");
}

TEST_F(RegistryTest, DroppedConnectionsAreRetriedAndAnUploadResumes) {
  auto& s = *shared_;
  run_json(s.store, {"push", "demo", s.registry->ref("drop/demo:1")});
  {
    testing::RegistryProxy proxy(dir_ / "proxy1", s.registry->host(), {.fault = "drop-blob-once"});
    json pulled = run_json((dir_ / "pulled").string(), {"pull", proxy.ref("drop/demo:1")});
    EXPECT_EQ(pulled["digest"], s.app);
    std::size_t dropped = 0;
    for (const auto& line : proxy.requests()) dropped += json::parse(line)["status"] == "dropped";
    EXPECT_GT(dropped, 0u);
  }
  testing::RegistryProxy proxy(dir_ / "proxy2", s.registry->host(), {.fault = "drop-patch-once"});
  // Small chunks, so that libc's layer goes up in PATCHes, one of them cut.
  json pushed = run_json(s.store, {"push", "demo", proxy.ref("resume/demo:1"), "--chunk-size", "4096"});
  EXPECT_EQ(pushed["digest"], s.app);
  std::size_t dropped = 0, patches = 0;
  for (const auto& line : proxy.requests()) {
    json r = json::parse(line);
    dropped += r["status"] == "dropped";
    patches += r["method"] == "PATCH";
  }
  EXPECT_EQ(dropped, 1u);
  EXPECT_GT(patches, 2u);
  EXPECT_EQ(skopeo_digest(s.registry->ref("resume/demo:1")), s.app);
  json verified = run_json((dir_ / "resumed").string(), {"pull", s.registry->ref("resume/demo:1")});
  EXPECT_EQ(verified["digest"], s.app);
}

TEST_F(RegistryTest, ARegistryThatNeverAnswersTimesOut) {
  auto& s = *shared_;
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.fault = "hang"});
  auto start = std::chrono::steady_clock::now();
  CommandResult r = run_sheaf((dir_ / "store").string(),
                              {"pull", proxy.ref("hang/demo:1"), "--timeout", "1", "--retries", "1"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "cannot reach registry " + proxy.host())) << r.err;
  EXPECT_TRUE(contains(r.err, "gave up after 2 attempts")) << r.err;
  EXPECT_LT(seconds, 30);
}

TEST_F(RegistryTest, ARedirectToAnotherHostGetsNoCredentials) {
  auto& s = *shared_;
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.token = true, .fault = "redirect-blobs"});
  fs::path auth = dir_ / "auth.json";
  write_file(auth, "{\"auths\":{\"" + proxy.host() + "\":{\"auth\":\"c2hlYWY6c2VjcmV0\"}}}");
  ASSERT_EQ(run_sheaf(s.store, {"push", "demo", s.registry->ref("redirect/demo:1")}).exit_code, 0);
  CommandResult r =
      run_sheaf((dir_ / "store").string(), {"pull", proxy.ref("redirect/demo:1"), "--authfile", auth.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t redirected = 0, with_auth = 0;
  for (const auto& line : proxy.requests()) {
    json req = json::parse(line);
    if (req["path"].get<std::string>().starts_with("/data/")) {
      ++redirected;
      with_auth += req["auth"].get<bool>();
    }
  }
  EXPECT_GT(redirected, 0u);
  EXPECT_EQ(with_auth, 0u);
}

TEST_F(RegistryTest, ATagThatMovesDuringThePullGivesTheImageItFirstNamed) {
  auto& s = *shared_;
  run_json(s.store, {"push", "demo", s.registry->ref("moving/demo:1")});
  run_json(s.store, {"push", "demo-tool", s.registry->ref("moving/demo:moved")});
  testing::RegistryProxy proxy(dir_ / "proxy", s.registry->host(), {.fault = "move-tag"});
  json pulled = run_json((dir_ / "store").string(), {"pull", proxy.ref("moving/demo:1")});
  EXPECT_EQ(pulled["digest"], s.app);
  EXPECT_EQ(skopeo_digest(s.registry->ref("moving/demo:1")), s.tool);  // the tag did move
}

TEST_F(RegistryTest, ALayerThatDoesNotGiveItsPackageIsRefused) {
  auto& s = *shared_;
  // A store that holds the packages (so no sheaf document is needed) still
  // reads each layer, because the layer it makes itself has another digest.
  std::string store = (dir_ / "store").string();
  ASSERT_EQ(run_sheaf(store, {"pkg", "import", (s.apt.repo.root() / "pool/stable/main").string()}).exit_code, 0);
  build(dir_ / "app", "\"app\"", "demo", store);
  std::string before = store_state(store);
  // The image's layout, with app's layer replaced by a tar holding the
  // entries given (NAME or NAME>TARGET for a symlink): its digest, the
  // config's diff_id and the manifest are made to match.
  struct Case {
    std::string repo, entries, named;
  };
  for (const Case& c : {Case{"evil/dotdot", "../evil", "'../evil'"}, Case{"evil/absolute", "/etc/evil", "'/etc/evil'"},
                        Case{"evil/beneath", "usr>/etc,usr/evil", "'usr'"}}) {
    SCOPED_TRACE(c.repo);
    fs::path layout = dir_ / c.repo;
    fs::create_directories(layout.parent_path());
    fs::copy(s.dir / "app-layout", layout, fs::copy_options::recursive);
    CommandResult tamper = run_command(
        {"/usr/bin/python3", "-c",
         R"(import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
def blob(d): return os.path.join(root, 'blobs', 'sha256', d.split(':')[1])
def put(b):
    d = 'sha256:' + hashlib.sha256(b).hexdigest()
    open(blob(d), 'wb').write(b)
    return d
index = json.load(open(os.path.join(root, 'index.json')))
m = json.load(open(blob(index['manifests'][0]['digest'])))
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode='w', format=tarfile.USTAR_FORMAT) as t:
    for entry in sys.argv[2].split(','):
        name, _, target = entry.partition('>')
        info = tarfile.TarInfo(name)
        if target:
            info.type = tarfile.SYMTYPE; info.linkname = target
            t.addfile(info)
        else:
            data = b'evil\n'; info.size = len(data)
            t.addfile(info, io.BytesIO(data))
tar = raw.getvalue()
gz = gzip.compress(tar)
i = [k for k, l in enumerate(m['layers']) if l['annotations'].get('dev.sheaf.package.name') == 'app'][0]
m['layers'][i]['digest'] = put(gz); m['layers'][i]['size'] = len(gz)
c = json.load(open(blob(m['config']['digest'])))
c['rootfs']['diff_ids'][i] = 'sha256:' + hashlib.sha256(tar).hexdigest()
cb = json.dumps(c).encode(); m['config']['digest'] = put(cb); m['config']['size'] = len(cb)
mb = json.dumps(m).encode()
index['manifests'][0]['digest'] = put(mb); index['manifests'][0]['size'] = len(mb)
json.dump(index, open(os.path.join(root, 'index.json'), 'w'))
)",
         layout.string(), c.entries});
    ASSERT_EQ(tamper.exit_code, 0) << tamper.err;
    ASSERT_EQ(run_command({testing::tool("skopeo"), "copy", "--dest-tls-verify=false",
                           "oci:" + layout.string() + ":latest", s.registry->ref(c.repo + ":1")})
                  .exit_code,
              0);
    CommandResult r = run_sheaf(store, {"pull", s.registry->ref(c.repo + ":1")});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_TRUE(contains(r.err, c.named)) << r.err;
    EXPECT_TRUE(contains(r.err, "does not give its annotated packages")) << r.err;
    EXPECT_EQ(store_state(store), before);
    EXPECT_FALSE(fs::exists("/etc/evil"));
  }
}

TEST_F(RegistryTest, APushRemakesLayerBlobsTheStoreLost) {
  auto& s = *shared_;
  std::string store = (dir_ / "store").string();
  std::string digest = build(dir_ / "lost", "\"app\"", "lost", store);
  CommandResult manifest = run_sheaf(store, {"image", "show", "lost", "--json"});
  ASSERT_EQ(manifest.exit_code, 0) << manifest.err;
  std::size_t removed = 0;
  json show = json::parse(manifest.out);
  for (const auto& layer : show["layers"]) {
    std::string d = layer["digest"].get<std::string>();
    removed += fs::remove(fs::path(store) / "blobs/sha256" / d.substr(7));
  }
  ASSERT_GT(removed, 0u);
  json pushed = run_json(store, {"push", "lost", s.registry->ref("lost/demo:1")});
  EXPECT_EQ(pushed["layers_rebuilt"], removed);
  EXPECT_EQ(skopeo_digest(s.registry->ref("lost/demo:1")), digest);
}

TEST_F(RegistryTest, PushAndPullHaveHelp) {
  for (const char* verb : {"push", "pull"}) {
    CommandResult r = run_sheaf((dir_ / "store").string(), {verb, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(contains(r.out, "docker://HOST[:PORT]/REPOSITORY")) << r.out;
    EXPECT_TRUE(contains(r.out, "--authfile")) << r.out;
  }
}

}  // namespace
}  // namespace sheaf
