// End-to-end tests of `sheaf build` and `sheaf image rm` against a real
// signed apt repository of packages built with dpkg-deb.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::last_line;
using testing::read_file_bytes;
using testing::run_sheaf;
using testing::write_file;

// Every regular file below `dir`, by relative path, with its bytes.
std::map<std::string, std::string> tree_bytes(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_file_bytes(e.path());
  }
  return out;
}

class BuildTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apt_ = new testing::SignedAptRepo;
    //   libc 1.0:  usr/lib/x86_64-linux-gnu/libc.so.6 (shipped under lib/, as bookworm's libc6 does)
    //   libbar 1.0 (Depends: libc)
    //   app 1.0 (Depends: libbar, libc (>= 1.0)): usr/bin/app
    //   clash-a, clash-b: both ship usr/bin/tool, differently
    apt_->repo.add_with("stable", "libc", "1.0", "",
                        [](testing::DebTree& t) { t.file("lib/x86_64-linux-gnu/libc.so.6", "libc 1.0\n", 0755); });
    apt_->repo.add("stable", "libbar", "1.0", "Depends: libc\n");
    apt_->repo.add_with("stable", "app", "1.0", "Depends: libbar, libc (>= 1.0)\n",
                        [](testing::DebTree& t) { t.file("usr/bin/app", "#!/bin/app\n", 0755); });
    apt_->repo.add_with("stable", "clash-a", "1.0", "",
                        [](testing::DebTree& t) { t.file("usr/bin/tool", "a\n", 0755); });
    apt_->repo.add_with("stable", "clash-b", "1.0", "",
                        [](testing::DebTree& t) { t.file("usr/bin/tool", "b\n", 0755); });
    apt_->publish("stable");
  }
  static void TearDownTestSuite() { delete apt_; }

  void SetUp() override {
    store_ = (dir_ / "store").string();
    write_spec(dir_ / "project", "\"app\"");
  }

  void write_spec(const fs::path& project, const std::string& include, const std::string& extra = "",
                  const std::string& image = "name = \"demo\"\nentrypoint = [\"/usr/bin/app\"]\n") {
    testing::make_dirs(project);
    write_file(project / "sheaf.toml",
               "[image]\n" + image + "\n[source.debian]\nsuites = [\"stable\"]\narch = " + "\"amd64\"\nmirror = \"" +
                   apt_->repo.file_url() + "\"\nkeyring = \"" + apt_->key.keyring().string() +
                   "\"\n\n[packages]\ninclude = [" + include + "]\n" + extra);
  }
  fs::path spec() const { return dir_ / "project/sheaf.toml"; }

  CommandResult build(std::vector<std::string> extra = {}, const testing::CommandOptions& options = {},
                      const std::string& store = "") {
    std::vector<std::string> args{"build", "-f", spec().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_sheaf(store.empty() ? store_ : store, args, options);
  }

  json verify_report() {
    CommandResult r = run_sheaf(store_, {"store", "verify", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out);
  }

  static testing::SignedAptRepo* apt_;
  testing::TempDir dir_;
  std::string store_;
};
testing::SignedAptRepo* BuildTest::apt_ = nullptr;

TEST_F(BuildTest, BuildLocksFetchesComposesAndWritesALayout) {
  CommandResult r = build({"-o", (dir_ / "out").string()}, {.env = {{"SOURCE_DATE_EPOCH", "1700000000"}}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "created " + (dir_ / "project/sheaf.lock").string() + " (3 packages)")) << r.err;
  std::string digest = last_line(r.out);
  ASSERT_TRUE(digest.starts_with("sha256:")) << r.out;
  EXPECT_EQ(digest.size(), 71u);

  json index = json::parse(read_file_bytes(dir_ / "out/index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["digest"], digest);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  json manifest = json::parse(read_file_bytes(dir_ / "out/blobs/sha256" / digest.substr(7)));
  ASSERT_EQ(manifest["layers"].size(), 4u);
  std::vector<std::string> names;
  for (const auto& layer : manifest["layers"]) names.push_back(layer["annotations"]["dev.sheaf.package.name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"libc", "libbar", "app", "sheaf-assembly"}));
  EXPECT_EQ(manifest["layers"][0]["annotations"]["dev.sheaf.package.purl"],
            "pkg:deb/debian/libc@1.0?arch=amd64&distro=debian-stable");
  std::string config_hex = manifest["config"]["digest"].get<std::string>().substr(7);
  json config = json::parse(read_file_bytes(dir_ / "out/blobs/sha256" / config_hex));
  EXPECT_EQ(config["created"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(config["config"]["Entrypoint"], json::array({"/usr/bin/app"}));
  EXPECT_EQ(config["rootfs"]["diff_ids"].size(), 4u);

  json report = verify_report();
  EXPECT_EQ(report["images"], 1);
  EXPECT_TRUE(report["damage"].empty());
}

TEST_F(BuildTest, ARebuildWithEverythingInTheStoreNeedsNoRepository) {
  CommandResult first = build();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // The mirror disappears: a lock that answers the spec and a full store suffice.
  fs::rename(apt_->repo.root(), dir_ / "moved-repo");
  CommandResult second = build({"--locked"});
  fs::rename(dir_ / "moved-repo", apt_->repo.root());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(last_line(second.out), last_line(first.out));
  EXPECT_TRUE(contains(second.err, "(0 made, 4 reused)")) << second.err;
}

TEST_F(BuildTest, TwoBuildsInDifferentPlacesAndEnvironmentsAreByteIdentical) {
  ASSERT_EQ(build({"-o", (dir_ / "out1").string(), "--oci-archive", (dir_ / "one.tar").string(), "--docker-archive",
                   (dir_ / "d1.tar").string()})
                .exit_code,
            0);
  // Another directory, another store, another umask, time zone and locale.
  fs::path other = dir_ / "elsewhere/deeper";
  testing::make_dirs(other);
  fs::copy_file(spec(), other / "sheaf.toml");
  fs::copy_file(dir_ / "project/sheaf.lock", other / "sheaf.lock");
  std::string script = "umask 077; exec \"$0\" \"$@\"";
  CommandResult r = testing::run_command(
      {"/bin/sh", "-c", script, testing::sheaf_binary(), "--store", (dir_ / "store2").string(), "build", "-f",
       (other / "sheaf.toml").string(), "-o", (dir_ / "out2").string(), "--oci-archive", (dir_ / "two.tar").string(),
       "--docker-archive", (dir_ / "d2.tar").string()},
      {.env = {{"TZ", "Asia/Kolkata"}, {"LC_ALL", "C.UTF-8"}, {"LANG", "de_DE.UTF-8"}}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto one = tree_bytes(dir_ / "out1");
  auto two = tree_bytes(dir_ / "out2");
  EXPECT_EQ(one.size(), 8u);  // oci-layout, index.json, the manifest, the config and 4 layers
  EXPECT_TRUE(one == two) << "the layouts differ";
  EXPECT_EQ(read_file_bytes(dir_ / "one.tar"), read_file_bytes(dir_ / "two.tar"));
  EXPECT_EQ(read_file_bytes(dir_ / "d1.tar"), read_file_bytes(dir_ / "d2.tar"));
}

TEST_F(BuildTest, TheOrderOfIncludeNeverChangesTheImage) {
  write_spec(dir_ / "project", "\"libbar\", \"app\"");
  CommandResult a = build();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  write_spec(dir_ / "project", "\"app\", \"libbar\"");
  CommandResult b = build({"--locked"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(last_line(a.out), last_line(b.out));
}

TEST_F(BuildTest, LockedRefusesToCreateOrChangeTheLock) {
  CommandResult r = build({"--locked"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "does not exist, and --locked forbids creating it")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "project/sheaf.lock"));
  ASSERT_EQ(build().exit_code, 0);
  std::string lock = read_file_bytes(dir_ / "project/sheaf.lock");
  write_spec(dir_ / "project", "\"app\", \"clash-a\"");
  r = build({"--locked"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "include gained 'clash-a'")) << r.err;
  EXPECT_EQ(read_file_bytes(dir_ / "project/sheaf.lock"), lock);
  r = build();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "updated")) << r.err;
}

TEST_F(BuildTest, APathConflictNamesBothPackagesAndRecordsNothing) {
  write_spec(dir_ / "project", "\"clash-a\", \"clash-b\"");
  CommandResult r = build({"-o", (dir_ / "out").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "path /usr/bin/tool is claimed by clash-a 1.0 (file, 0755")) << r.err;
  EXPECT_TRUE(contains(r.err, "and by clash-b 1.0")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
  EXPECT_EQ(verify_report()["images"], 0);

  write_spec(dir_ / "project", "\"clash-a\", \"clash-b\"", "drop_paths = [\"usr/bin/tool\"]\n");
  r = build();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "drop_paths removed 2 entries")) << r.err;
}

TEST_F(BuildTest, AMissingPackageIsAClearError) {
  write_spec(dir_ / "project", "\"apq\"");
  CommandResult r = build();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "no package 'apq' is available; did you mean 'app'?")) << r.err;
}

TEST_F(BuildTest, AMisspeltKeyNamesItsLineAndColumn) {
  write_spec(dir_ / "project", "\"app\"", "", "name = \"demo\"\nentrypiont = [\"/usr/bin/app\"]\n");
  CommandResult r = build();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, spec().string() + ":3:1")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean 'entrypoint'")) << r.err;
}

TEST_F(BuildTest, AUserThatClashesWithRootIsRefused) {
  write_spec(dir_ / "project", "\"app\"", "\n[[users]]\nname = \"admin\"\nuid = 0\n");
  CommandResult r = build();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "uid 0")) << r.err;
}

TEST_F(BuildTest, AnEntrypointMissingFromTheImageIsAWarning) {
  write_spec(dir_ / "project", "\"app\"", "", "entrypoint = [\"/usr/bin/python3\"]\n");
  CommandResult r = build();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "warning: " + spec().string() + ":2:14: entrypoint '/usr/bin/python3' is not a file"))
      << r.err;
}

TEST_F(BuildTest, OutputRefusesADirectoryThatIsNotALayoutAndAddsToOneThatIs) {
  testing::make_dirs(dir_ / "mine");
  write_file(dir_ / "mine/notes.txt", "keep");
  CommandResult r = build({"-o", (dir_ / "mine").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "holds 'notes.txt' besides an OCI layout")) << r.err;
  EXPECT_EQ(tree_bytes(dir_ / "mine").size(), 1u);

  ASSERT_EQ(build({"-o", (dir_ / "out").string(), "--tag", "demo:one"}).exit_code, 0);
  ASSERT_EQ(build({"-o", (dir_ / "out").string(), "--tag", "demo:two"}).exit_code, 0);
  r = build({"-o", (dir_ / "out").string(), "--tag", "demo:one"});
  ASSERT_EQ(r.exit_code, 0);
  json index = json::parse(read_file_bytes(dir_ / "out/index.json"));
  EXPECT_EQ(index["manifests"].size(), 2u) << "a second build under one ref name replaces the first";
}

TEST_F(BuildTest, ImagesAreNamedByTagDigestOrLayoutAndRemovedByImageRm) {
  CommandResult r = build({"-o", (dir_ / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string digest = last_line(r.out);
  // By a digest prefix, by tag, and by layout path.
  r = run_sheaf(store_, {"image", "rm", digest.substr(0, 7 + 12)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), digest);
  r = run_sheaf(store_, {"image", "rm", "demo"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "no image named demo:latest")) << r.err;

  ASSERT_EQ(build().exit_code, 0);
  r = run_sheaf(store_, {"image", "rm", (dir_ / "out").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(verify_report()["images"], 0);
  r = run_sheaf(store_, {"image", "rm", "sha256:0123"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "too short")) << r.err;

  // The image's blobs go at gc; the packages' layers stay with the packages.
  r = run_sheaf(store_, {"store", "gc"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json report = verify_report();
  EXPECT_TRUE(report["damage"].empty());
  ASSERT_EQ(build({"--locked"}).exit_code, 0);
}

TEST_F(BuildTest, ImageLsAndShowAnswerFromTheIndexAndManifests) {
  CommandResult r = build();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string digest = last_line(r.out);
  r = run_sheaf(store_, {"image", "ls", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json ls = json::parse(r.out);
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0]["digest"], digest);
  EXPECT_EQ(ls[0]["tags"], json::array({"demo:latest"}));
  EXPECT_EQ(ls[0]["packages"], 4);
  r = run_sheaf(store_, {"image", "show", "demo", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json show = json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& layer : show["layers"]) names.push_back(layer["packages"][0]["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"libc", "libbar", "app", "sheaf-assembly"}));
  EXPECT_EQ(show["config"]["entrypoint"], json::array({"/usr/bin/app"}));
  r = run_sheaf(store_, {"image", "show", digest.substr(7, 12)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "libbar")) << r.out;
  EXPECT_TRUE(contains(r.out, "tags:    demo:latest")) << r.out;
}

TEST_F(BuildTest, PkgRmRefusesAPackageAnImageHolds) {
  ASSERT_EQ(build().exit_code, 0);
  CommandResult r = run_sheaf(store_, {"pkg", "rm", "libbar"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "is part of 1 image(s)")) << r.err;
}

// Every error before the container starts is sheaf run's 125, as podman
// says it, whatever raised it: a passwd line whose uid is not a number was
// an exception that escaped run's own catch and exited 3.
TEST_F(BuildTest, RunExits125WhenTheImagesPasswdHasABadUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "sheaf run needs root";
  write_spec(dir_ / "project", "\"app\"",
             "\n[[paths]]\npath = \"/etc/passwd\"\ntype = \"file\"\n"
             "content = \"root:x:0:0:root:/root:/bin/sh\\nbroken:x:abc:0::/:/bin/sh\\n\"\n");
  CommandResult built = build();
  ASSERT_EQ(built.exit_code, 0) << built.err;
  CommandResult r = run_sheaf(store_, {"run", "--user", "broken", "demo"});
  EXPECT_EQ(r.exit_code, 125) << r.err;
  EXPECT_TRUE(contains(r.err, "sheaf: error: the image's /etc/passwd line 2 has 'abc' where a number belongs"))
      << r.err;
}

TEST_F(BuildTest, BuildHasHelp) {
  CommandResult r = run_sheaf(store_, {"build", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "--docker-archive")) << r.out;
  r = run_sheaf(store_, {"image", "rm", "--help"});
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
}  // namespace sheaf
