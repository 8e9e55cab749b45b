// Packages as registry artifacts (sheaf pkg push and pkg pull) and specs
// that include them by reference, against Debian's docker-registry on
// 127.0.0.1 and a signed file:// apt repository: the lock (format 3), the
// closure across sources, the shared layer blob, offline rebuilds, moved
// tags, two sources of one name, and artifacts whose content does not give
// their id.
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

class RegistryPackagesTest : public ::testing::Test {
 protected:
  // One apt repository, one publishing store with mylib 1.2 and 1.3 added
  // from directories, one registry: shared by every test (each pushes to
  // repositories of its own).
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/bin/docker-registry") || testing::tool("skopeo").empty()) return;  // SetUp skips
    shared_ = new Shared;
    auto& apt = shared_->apt;
    apt.repo.add_with("stable", "libc", "1.0", "",
                      [](testing::DebTree& t) { t.file("lib/x86_64-linux-gnu/libc.so.6", "libc\n", 0755); });
    // app needs what mylib provides: a Debian package depending on a registry one.
    apt.repo.add_with("stable", "app", "1.0", "Depends: libc, mylib-api (>= 1)\n",
                      [](testing::DebTree& t) { t.file("usr/bin/app", "#!/bin/app\n", 0755); });
    // A Debian package of the registry package's name, at a higher version.
    apt.repo.add_with("stable", "mylib", "9.0", "Provides: mylib-api (= 9)\n",
                      [](testing::DebTree& t) { t.file("usr/lib/mylib-debian.so", "debian\n"); });
    apt.publish("stable");
    shared_->registry = std::make_unique<testing::TestRegistry>(shared_->dir / "registry");
    shared_->publisher = (shared_->dir / "publisher").string();
    shared_->v12 = add(shared_->publisher, "1.2", "one-two");
    shared_->v13 = add(shared_->publisher, "1.3", "one-three");
  }
  static void TearDownTestSuite() { delete shared_; }
  void SetUp() override {
    if (!shared_) GTEST_SKIP() << "docker-registry or skopeo is not installed (tools/dev deps installs them)";
  }

  struct Shared {
    testing::TempDir dir;
    testing::SignedAptRepo apt;
    std::unique_ptr<testing::TestRegistry> registry;
    std::string publisher;  // a store holding mylib 1.2 and 1.3
    std::string v12, v13;   // their ids
  };

  // mylib VERSION, from a directory, into `store`; returns its id.
  static std::string add(const std::string& store, const std::string& version, const std::string& content) {
    fs::path dir = shared_->dir / ("mylib-" + version);
    testing::make_dirs(dir / "usr/lib");
    write_file(dir / "usr/lib/libmylib.so", content + "\n");
    CommandResult r = run_sheaf(store, {"pkg", "add", dir.string(), "--name", "mylib", "--version", version,
                                        "--arch", "amd64", "--depends", "libc", "--provides", "mylib-api (= " +
                                        version.substr(0, 1) + ")", "--owner", "0:0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  static json run_json(const std::string& store, std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = run_sheaf(store, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }

  // Pushes mylib VERSION from the publishing store to `ref`.
  static json push(const std::string& version, const std::string& ref) {
    return run_json(shared_->publisher, {"pkg", "push", "mylib@" + version, ref});
  }

  // A project whose spec includes `include` (TOML list items).
  fs::path project(const std::string& name, const std::string& include) {
    fs::path dir = dir_ / name;
    testing::make_dirs(dir);
    write_file(dir / "sheaf.toml", shared_->apt.app_spec(name, include));
    return dir / "sheaf.toml";
  }

  static std::string raw_manifest(const std::string& ref) {
    CommandResult r = run_command({testing::tool("skopeo"), "inspect", "--raw", "--tls-verify=false", ref});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // PUTs `manifest` under HOST/REPO:TAG, bypassing sheaf.
  static void put_manifest(const std::string& host, const std::string& repo_tag, const std::string& manifest,
                           const fs::path& scratch) {
    write_file(scratch, manifest);
    auto colon = repo_tag.rfind(':');
    CommandResult r = run_command({testing::tool("curl"), "-sSf", "-X", "PUT", "-H",
                                   "Content-Type: application/vnd.oci.image.manifest.v1+json", "--data-binary",
                                   "@" + scratch.string(),
                                   "http://" + host + "/v2/" + repo_tag.substr(0, colon) + "/manifests/" +
                                       repo_tag.substr(colon + 1)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string store_state(const std::string& store) {
    return run_sheaf(store, {"image", "ls"}).out + run_sheaf(store, {"pkg", "ls"}).out;
  }

  static Shared* shared_;
  testing::TempDir dir_;
};
RegistryPackagesTest::Shared* RegistryPackagesTest::shared_ = nullptr;

TEST_F(RegistryPackagesTest, APushedPackageIsAnArtifactThatPullsBackIntoAnEmptyStoreAsTheSamePackage) {
  auto& s = *shared_;
  const std::string ref = s.registry->ref("team/mylib");
  json pushed = push("1.2", ref);
  EXPECT_EQ(pushed["reference"], ref + ":1.2");  // the version is the tag
  EXPECT_EQ(pushed["package"]["id"], s.v12);
  EXPECT_EQ(pushed["uploaded"], 5u);  // the empty config, the document, FileSet, metadata and layer
  json manifest = json::parse(raw_manifest(ref + ":1.2"));
  EXPECT_EQ(manifest["artifactType"], "application/vnd.sheaf.package.v1+json");
  EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(manifest["annotations"]["dev.sheaf.package.id"], s.v12);
  EXPECT_EQ(manifest["annotations"]["dev.sheaf.package.kind"], "directory");
  std::vector<std::string> types;
  for (const auto& l : manifest["layers"]) types.push_back(l["mediaType"]);
  EXPECT_EQ(types, (std::vector<std::string>{"application/vnd.sheaf.package.v1+json", "application/vnd.sheaf.fileset.v1",
                                             "application/vnd.sheaf.package-metadata.v1+json",
                                             "application/vnd.oci.image.layer.v1.tar+gzip"}));
  EXPECT_EQ(manifest["layers"][0]["digest"], s.v12);
  EXPECT_EQ(manifest["layers"][3]["digest"], pushed["layer"]);

  // Pushing again sends nothing.
  json again = push("1.2", ref + ":1.2");
  EXPECT_EQ(again["uploaded"], 0u);
  EXPECT_EQ(again["digest"], pushed["digest"]);

  std::string empty = (dir_ / "empty").string();
  CommandResult r = run_sheaf(empty, {"pkg", "pull", ref + ":1.2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), s.v12);
  EXPECT_TRUE(contains(r.err, "layer downloaded")) << r.err;
  CommandResult show = run_sheaf(empty, {"pkg", "show", "mylib"});
  EXPECT_TRUE(contains(show.out, "provides:    mylib-api (= 1)")) << show.out;
  EXPECT_TRUE(contains(show.out, "\"reference\":\"" + ref + ":1.2\"")) << show.out;
  CommandResult verify = run_sheaf(empty, {"store", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // And once more: the store has it.
  json second = run_json(empty, {"pkg", "pull", ref + "@" + pushed["digest"].get<std::string>()});
  EXPECT_EQ(second["added"], false);
  EXPECT_EQ(second["bytes_downloaded"], 0u);
}

TEST_F(RegistryPackagesTest, PkgPushAndPullRefuseWhatTheyCannotDo) {
  auto& s = *shared_;
  CommandResult r = run_sheaf(s.publisher, {"pkg", "push", "mylib@1.2", s.registry->ref("team/x@sha256:" + std::string(64, 'a'))});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "names a digest")) << r.err;
  r = run_sheaf(s.publisher, {"pkg", "push", "nosuch", s.registry->ref("team/x")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // An image is not a package.
  std::string empty = (dir_ / "empty").string();
  fs::path spec = project("img", "\"libc\"");
  ASSERT_EQ(run_sheaf(empty, {"build", "-f", spec.string()}).exit_code, 0);
  ASSERT_EQ(run_sheaf(empty, {"push", "img", s.registry->ref("team/img:1")}).exit_code, 0);
  std::string other = (dir_ / "other").string();
  r = run_sheaf(other, {"pkg", "pull", s.registry->ref("team/img:1")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "is not a sheaf package")) << r.err;
  EXPECT_TRUE(contains(r.err, "use sheaf pull")) << r.err;
  r = run_sheaf(other, {"pkg", "pull", s.registry->ref("team/nothing:1")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "has no tag 1 in team/nothing")) << r.err;
}

// The acceptance: a package built from a directory, pushed, included by
// reference in another store's spec; its layer is the artifact's blob.
TEST_F(RegistryPackagesTest, ASpecIncludesARegistryPackageThatSatisfiesADebianDependencyAndBuildsOffline) {
  auto& s = *shared_;
  testing::TestRegistry registry(dir_ / "registry");  // its own: the test stops it
  json pushed = push("1.2", registry.ref("team/mylib:1.2"));
  const std::string ref = registry.ref("team/mylib:1.2");
  fs::path spec = project("demo", "\"app\", \"" + ref + "\"");
  std::string store = (dir_ / "store").string();
  CommandResult lock = run_sheaf(store, {"lock", "-f", spec.string()});
  ASSERT_EQ(lock.exit_code, 0) << lock.err;
  std::string text = read_file_bytes(spec.parent_path() / "sheaf.lock");
  EXPECT_TRUE(contains(text, "version = 3\n")) << text;
  EXPECT_TRUE(contains(text, "include = [\"app\", \"" + ref + "\"]\n")) << text;
  EXPECT_TRUE(contains(text, "[[package]]\nname = \"mylib\"\nversion = \"1.2\"\narch = \"amd64\"\nregistry = \"" + ref +
                                 "\"\nmanifest = \"" + pushed["digest"].get<std::string>() + "\"\nid = \"" + s.v12 +
                                 "\"\ndepends = \"libc\"\nprovides = \"mylib-api (= 1)\"\n"))
      << text;
  // The registry package's name is taken from the registry alone: Debian's
  // mylib 9.0 is no candidate.
  EXPECT_FALSE(contains(text, "9.0")) << text;

  CommandResult built = run_sheaf(store, {"build", "-f", spec.string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(contains(built.err, "pulled 1 registry packages")) << built.err;
  std::string image = last_line(built.out);
  json shown = run_json(store, {"image", "show", "demo"});
  bool found = false;
  for (const auto& layer : shown["layers"]) {
    for (const auto& p : layer["packages"]) {
      if (p["name"] == "mylib") {
        found = true;
        EXPECT_EQ(layer["digest"], pushed["layer"]);  // the same blob as the artifact's
        EXPECT_EQ(p["source"], ref);
      } else if (p["name"] == "app") {
        EXPECT_EQ(p["source"], "debian stable");
      }
    }
  }
  EXPECT_TRUE(found) << shown.dump(2);
  CommandResult which = run_sheaf(store, {"which", "mylib"});
  EXPECT_TRUE(contains(which.out, "mylib 1.2  " + ref)) << which.out;

  // Without the registry: the lock and the store answer.
  registry.stop();
  lock = run_sheaf(store, {"lock", "-f", spec.string()});
  ASSERT_EQ(lock.exit_code, 0) << lock.err;
  EXPECT_EQ(read_file_bytes(spec.parent_path() / "sheaf.lock"), text);
  CommandResult rebuilt = run_sheaf(store, {"build", "-f", spec.string(), "--locked"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(last_line(rebuilt.out), image);
  CommandResult fetched = run_sheaf(store, {"fetch", "-f", spec.string()});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err;
  // A store without the package must reach the registry, and says which.
  CommandResult cold = run_sheaf((dir_ / "cold").string(), {"build", "-f", spec.string(), "--locked"});
  EXPECT_EQ(cold.exit_code, 3);
  EXPECT_TRUE(contains(cold.err, "while fetching mylib 1.2 from " + ref)) << cold.err;
}

TEST_F(RegistryPackagesTest, TheLockedDigestWinsOverAMovedTagUntilLockUpdate) {
  auto& s = *shared_;
  const std::string ref = s.registry->ref("team/moving:stable");
  json first = push("1.2", ref);
  fs::path spec = project("moving", "\"app\", \"" + ref + "\"");
  std::string store = (dir_ / "store").string();
  ASSERT_EQ(run_sheaf(store, {"lock", "-f", spec.string()}).exit_code, 0);
  std::string locked = read_file_bytes(spec.parent_path() / "sheaf.lock");
  json second = push("1.3", ref);
  ASSERT_NE(first["digest"], second["digest"]);

  CommandResult built = run_sheaf(store, {"build", "-f", spec.string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(contains(built.err, ref + " now points at " + second["digest"].get<std::string>() + ", but the lock keeps " +
                                      first["digest"].get<std::string>()))
      << built.err;
  EXPECT_TRUE(contains(built.err, "'sheaf lock --update mylib' moves it")) << built.err;
  EXPECT_EQ(read_file_bytes(spec.parent_path() / "sheaf.lock"), locked);
  CommandResult show = run_sheaf(store, {"image", "show", "moving"});
  EXPECT_TRUE(contains(show.out, "mylib")) << show.out;
  EXPECT_TRUE(contains(show.out, "1.2")) << show.out;

  CommandResult updated = run_sheaf(store, {"lock", "-f", spec.string(), "--update", "mylib"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_TRUE(contains(updated.out, "~ mylib 1.2 -> 1.3")) << updated.out;
  std::string moved = read_file_bytes(spec.parent_path() / "sheaf.lock");
  EXPECT_TRUE(contains(moved, "manifest = \"" + second["digest"].get<std::string>() + "\"")) << moved;
  EXPECT_TRUE(contains(moved, "id = \"" + s.v13 + "\"")) << moved;
}

TEST_F(RegistryPackagesTest, TwoSourcesOfOneNameAreAnErrorNamingBoth) {
  auto& s = *shared_;
  const std::string a = s.registry->ref("team/two-a:1");
  const std::string b = s.registry->ref("team/two-b:1");
  push("1.2", a);
  push("1.3", b);
  std::string store = (dir_ / "store").string();
  fs::path spec = project("two", "\"libc\", \"" + a + "\", \"" + b + "\"");
  CommandResult r = run_sheaf(store, {"lock", "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "give the package mylib: " + a + " and " + b)) << r.err;
  EXPECT_FALSE(fs::exists(spec.parent_path() / "sheaf.lock"));

  spec = project("both", "\"mylib\", \"libc\", \"" + a + "\"");
  r = run_sheaf(store, {"lock", "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "includes mylib twice: from the Debian suites (" + spec.string() + ":")) << r.err;
  EXPECT_TRUE(contains(r.err, "and from " + a)) << r.err;
}

TEST_F(RegistryPackagesTest, AnArtifactWhoseContentDoesNotGiveItsIdIsRefusedAndLeavesNothing) {
  auto& s = *shared_;
  // 1.2's document, FileSet and metadata with 1.3's layer, in one repository
  // that holds the blobs of both.
  json a = push("1.2", s.registry->ref("team/tampered:1.2"));
  json b = push("1.3", s.registry->ref("team/tampered:1.3"));
  json manifest = json::parse(raw_manifest(s.registry->ref("team/tampered:1.2")));
  json other = json::parse(raw_manifest(s.registry->ref("team/tampered:1.3")));
  manifest["layers"][3] = other["layers"][3];
  put_manifest(s.registry->host(), "team/tampered:bad", manifest.dump(), dir_ / "bad.json");

  std::string store = (dir_ / "store").string();
  ASSERT_EQ(run_sheaf(store, {"pkg", "ls"}).exit_code, 0);
  std::string before = store_state(store);
  CommandResult r = run_sheaf(store, {"pkg", "pull", s.registry->ref("team/tampered:bad")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "its layer " + b["layer"].get<std::string>())) << r.err;
  EXPECT_TRUE(contains(r.err, "usr/lib/libmylib.so")) << r.err;
  EXPECT_EQ(store_state(store), before);

  // An id annotation that is not the document's.
  manifest = json::parse(raw_manifest(s.registry->ref("team/tampered:1.2")));
  manifest["annotations"]["dev.sheaf.package.id"] = s.v13;
  put_manifest(s.registry->host(), "team/tampered:lying", manifest.dump(), dir_ / "lying.json");
  r = run_sheaf(store, {"pkg", "pull", s.registry->ref("team/tampered:lying")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "its dev.sheaf.package.id annotation is " + s.v13 + ", but its package document is " +
                                  s.v12))
      << r.err;
  EXPECT_EQ(store_state(store), before);

  // The same through a spec: the build fails and leaves no image.
  fs::path spec = project("tampered", "\"libc\", \"" + s.registry->ref("team/tampered:bad") + "\"");
  r = run_sheaf(store, {"build", "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "while fetching mylib 1.2")) << r.err;
  EXPECT_EQ(run_sheaf(store, {"image", "ls"}).out, run_sheaf((dir_ / "never").string(), {"image", "ls"}).out);
  (void)a;
}

// Issue 22's acceptance: a package signed with a key of sheaf key generate,
// pushed with its signature, passes a package policy that requires the key;
// an unsigned copy of the same package, from another repository, does not.
TEST_F(RegistryPackagesTest, ASignedPackagePassesThePackagePolicyAndAnUnsignedCopyDoesNot) {
  auto& s = *shared_;
  const fs::path team = dir_ / "team", other = dir_ / "other";
  for (const auto& prefix : {team, other}) {
    CommandResult made = run_sheaf(s.publisher, {"key", "generate", "--no-passphrase", "-o", prefix.string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  const std::string team_id = last_line(run_sheaf(s.publisher, {"key", "generate", "--no-passphrase", "--force", "-o",
                                                                (dir_ / "team").string()})
                                            .out);
  json signed_ = run_json(s.publisher, {"pkg", "sign", "mylib@1.3", "--key", (team.string() + ".key")});
  EXPECT_EQ(signed_["key_id"], team_id);
  json shown = run_json(s.publisher, {"pkg", "show", "mylib@1.3"});
  ASSERT_EQ(shown["signatures"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["signatures"][0]["keyid"], team_id);
  json pushed = push("1.3", s.registry->ref("signed/mylib"));
  EXPECT_EQ(pushed["signatures"], 1u);
  // The same package, from a store that never signed it.
  const std::string copier = (dir_ / "copier").string();
  ASSERT_EQ(add(copier, "1.3", "one-three"), s.v13);
  ASSERT_EQ(run_sheaf(copier, {"pkg", "push", "mylib@1.3", s.registry->ref("unsigned/mylib")}).exit_code, 0);

  const std::string host = s.registry->host();
  fs::path policy = dir_ / "package-policy.toml";
  write_file(policy, "# registry packages from these repositories must be signed by the team\n"
                     "[[scope]]\nprefix = \"" + host + "/signed\"\nkeys = [\"team.pub\"]\n\n"
                     "[[scope]]\nprefix = \"" + host + "/unsigned\"\nkeys = [\"team.pub\"]\n");
  fs::path good = project("signed-app", "\"app\", \"" + s.registry->ref("signed/mylib:1.3") + "\"");
  CommandResult built = run_sheaf((dir_ / "store").string(), {"build", "-f", good.string(), "--package-policy", policy.string()});
  EXPECT_EQ(built.exit_code, 0) << built.err;
  json kept = run_json((dir_ / "store").string(), {"pkg", "show", "mylib@1.3"});
  ASSERT_EQ(kept["signatures"].size(), 1u) << kept.dump();  // pulled with the package
  EXPECT_EQ(kept["signatures"][0]["keyid"], team_id);

  fs::path bad = project("unsigned-app", "\"app\", \"" + s.registry->ref("unsigned/mylib:1.3") + "\"");
  const std::string store = (dir_ / "store2").string();
  CommandResult refused = run_sheaf(store, {"build", "-f", bad.string(), "--package-policy", policy.string()});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_TRUE(contains(refused.err, "the registry package mylib 1.3 (" + s.registry->ref("unsigned/mylib:1.3") +
                                        ") is refused by the package policy " + policy.string() + " (scope '" + host +
                                        "/unsigned' at " + policy.string() + ":6:1)"))
      << refused.err;
  EXPECT_TRUE(contains(refused.err, "missing: " + team.string() + ".pub")) << refused.err;
  EXPECT_TRUE(run_sheaf(store, {"image", "ls"}).out.find("unsigned-app") == std::string::npos);

  // Two keys required: the team's signature is not enough; one of two is.
  fs::path two = dir_ / "two.toml";
  write_file(two, "[[scope]]\nprefix = \"" + host + "\"\nkeys = [\"team.pub\", \"other.pub\"]\n");
  CommandResult both = run_sheaf((dir_ / "store").string(), {"build", "-f", good.string(), "--package-policy", two.string()});
  EXPECT_EQ(both.exit_code, 3);
  EXPECT_TRUE(contains(both.err, "it needs signatures by all of " + team.string() + ".pub, " + other.string() +
                                     ".pub and has " + team.string() + ".pub; missing: " + other.string() + ".pub"))
      << both.err;
  write_file(two, "[[scope]]\nprefix = \"" + host + "\"\nkeys = [\"team.pub\", \"other.pub\"]\nrequire = 1\n");
  EXPECT_EQ(run_sheaf((dir_ / "store").string(), {"build", "-f", good.string(), "--package-policy", two.string()}).exit_code, 0);
  // A scope without keys exempts; a typo is named at its place.
  write_file(two, "[[scope]]\nprefix = \"*\"\nkeys = [\"team.pub\"]\n[[scope]]\nprefix = \"" + host +
                      "/unsigned\"\nkeys = []\n");
  EXPECT_EQ(run_sheaf(store, {"build", "-f", bad.string(), "--package-policy", two.string()}).exit_code, 0);
  write_file(two, "[[scope]]\nprefix = \"" + host + "\"\nkey = [\"team.pub\"]\n");
  CommandResult typo = run_sheaf(store, {"build", "-f", bad.string(), "--package-policy", two.string()});
  EXPECT_EQ(typo.exit_code, 3);
  EXPECT_TRUE(contains(typo.err, two.string() + ":3:1: unknown key 'key' in [[scope]]; did you mean 'keys'?")) << typo.err;
}

TEST_F(RegistryPackagesTest, ASpecEntryThatIsNotAReferenceIsAnErrorAtItsLine) {
  fs::path spec = project("typo", "\"libc\", \"docker://127.0.0.1:1/Team/UPPER:1\"");
  CommandResult r = run_sheaf((dir_ / "store").string(), {"lock", "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, spec.string() + ":12:20: 'docker://127.0.0.1:1/Team/UPPER:1': repository component")) << r.err;
}

}  // namespace
}  // namespace sheaf
