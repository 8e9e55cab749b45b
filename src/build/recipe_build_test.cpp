#include "build/recipe_build.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

#include "base/error.hpp"
#include "base/process.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::build {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class RecipeSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // greet-1.0.tar.gz: greet-1.0/{Makefile, src/greet.c}, all at 2023-11-14.
    write(dir_.path() / "pack/greet-1.0/Makefile", "all:\n");
    write(dir_.path() / "pack/greet-1.0/src/greet.c", "int main(void) { return 0; }\n");
    auto tar = run_capture({"tar", "-C", (dir_.path() / "pack").string(), "--mtime=@1700000000", "--sort=name",
                            "--owner=0", "--group=0", "-czf", (dir_.path() / "greet-1.0.tar.gz").string(),
                            "greet-1.0"});
    ASSERT_TRUE(tar && tar->exit_code == 0);
    write(dir_.path() / "fix.patch", "--- a\n+++ b\n");
    write(dir_.path() / "vendor/lib.c", "int lib;\n");
    fs::create_symlink("lib.c", dir_.path() / "vendor/alias.c");
  }

  spec::Recipe recipe(const std::string& sources) {
    std::string text = "[package]\nname = \"greet\"\nversion = \"1.0-1\"\n[environment]\nessential = false\n"
                       "build_essential = false\n" +
                       sources + "[build]\nsteps = [\"make\"]\nsource_date_epoch = 1600000000\n";
    return spec::Recipe::parse(text, dir_.path() / "greet.toml");
  }

  std::string source(const std::string& path, const std::string& extra = "") {
    std::string pin = pin_of(dir_.path() / path);
    std::string key = fs::is_directory(dir_.path() / path) ? "fileset" : "sha256";
    return "[[sources]]\npath = \"" + path + "\"\n" + key + " = \"" + pin + "\"\n" + extra;
  }

  testing::TempDir dir_;
};

TEST_F(RecipeSourcesTest, EachKindOfSourceLandsWhereTheRecipeSays) {
  spec::Recipe r = recipe(source("greet-1.0.tar.gz", "strip_components = 1\n") + source("fix.patch") +
                          source("vendor", "dest = \"third_party/vendor\"\n"));
  fs::path out = dir_.path() / "out";
  fs::create_directories(out);
  PreparedSources prepared = prepare_sources(r, out);
  EXPECT_EQ(prepared.newest_archive_entry, 1700000000);
  EXPECT_EQ(prepared.source_date_epoch, 1600000000);  // the recipe's own
  EXPECT_EQ(read(out / "Makefile"), "all:\n");
  EXPECT_EQ(read(out / "src/greet.c"), "int main(void) { return 0; }\n");
  EXPECT_EQ(read(out / "fix.patch"), "--- a\n+++ b\n");
  EXPECT_EQ(read(out / "third_party/vendor/lib.c"), "int lib;\n");
  EXPECT_EQ(fs::read_symlink(out / "third_party/vendor/alias.c"), "lib.c");
  struct stat st {};
  ASSERT_EQ(::stat((out / "src/greet.c").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1700000000);  // an archive's times are kept
  ASSERT_EQ(::stat((out / "fix.patch").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1600000000);  // a file takes SOURCE_DATE_EPOCH
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// A file's mode comes from the recipe, not from the disk: the pin covers the
// bytes alone, and a rebuild reads them from the store.
TEST_F(RecipeSourcesTest, AFilesModeIsTheRecipesNotTheDisks) {
  write(dir_.path() / "run.sh", "#!/bin/sh\n");
  fs::permissions(dir_.path() / "run.sh", fs::perms(0755));
  write(dir_.path() / "tool.sh", "#!/bin/sh\n");
  fs::permissions(dir_.path() / "tool.sh", fs::perms(0644));
  spec::Recipe r = recipe(source("run.sh") + source("tool.sh", "executable = true\n") +
                          source("greet-1.0.tar.gz", "strip_components = 1\n"));
  fs::path out = dir_.path() / "out";
  fs::create_directories(out);
  prepare_sources(r, out);
  EXPECT_EQ(fs::status(out / "run.sh").permissions(), fs::perms(0644));
  EXPECT_EQ(fs::status(out / "tool.sh").permissions(), fs::perms(0755));
  EXPECT_NE(testing::error_message_of([&] { recipe(source("greet-1.0.tar.gz", "executable = true\n")); })
                .find("executable applies to plain files only"),
            std::string::npos);
}

TEST_F(RecipeSourcesTest, ASourceThatDiffersFromItsPinIsRefusedBeforeAnythingRuns) {
  spec::Recipe r = recipe(source("fix.patch") + source("vendor"));
  write(dir_.path() / "fix.patch", "--- changed\n");
  fs::path out = dir_.path() / "out";
  fs::create_directories(out);
  std::string message = testing::error_message_of([&] { prepare_sources(r, out); });
  EXPECT_NE(message.find("the source 'fix.patch' (" + (dir_.path() / "greet.toml").string() +
                         ":7:1) has the sha256 " + pin_of(dir_.path() / "fix.patch") + ", not the "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("the recipe pins; nothing was built"), std::string::npos) << message;
  // A directory: one more file changes its FileSet id.
  spec::Recipe d = recipe(source("vendor"));
  write(dir_.path() / "vendor/extra.h", "\n");
  fs::remove_all(out);
  fs::create_directories(out);
  message = testing::error_message_of([&] { prepare_sources(d, out); });
  EXPECT_NE(message.find("has the FileSet id"), std::string::npos) << message;
}

TEST_F(RecipeSourcesTest, AnArchiveThatReachesOutsideIsRefused) {
  // A tar whose member climbs out with "..": made by Python, which writes
  // what it is told.
  fs::path evil = dir_.path() / "evil.tar";
  auto py = run_capture({"python3", "-c",
                         "import tarfile, io, sys\n"
                         "t = tarfile.open(sys.argv[1], 'w')\n"
                         "i = tarfile.TarInfo('pkg/../../escaped'); data = b'x'; i.size = 1\n"
                         "t.addfile(i, io.BytesIO(data)); t.close()\n",
                         evil.string()});
  ASSERT_TRUE(py && py->exit_code == 0);
  spec::Recipe r = recipe(source("evil.tar"));
  fs::path out = dir_.path() / "out/src";
  fs::create_directories(out);
  std::string message = testing::error_message_of([&] { prepare_sources(r, out); });
  EXPECT_NE(message.find("holds 'pkg/../../escaped', which would land outside the build's source directory"),
            std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(dir_.path() / "out/escaped"));
  EXPECT_FALSE(fs::exists(dir_.path() / "escaped"));
}

TEST(RecipeInputs, TheKeyIsAFunctionOfTheInputsOnly) {
  RecipeInputs a{Digest::of("recipe"), {{"greet-1.0.tar.gz", Digest::of("tar").str()}}, {"sha256:1", "sha256:2"}, "amd64"};
  RecipeInputs b = a;
  EXPECT_EQ(a.key(), b.key());
  EXPECT_EQ(a.origin(), b.origin());
  b.environment.push_back("sha256:3");
  EXPECT_NE(a.key(), b.key());
  b = a;
  b.sources[0].second = Digest::of("other").str();
  EXPECT_NE(a.key(), b.key());
  EXPECT_NE(a.origin().find("\"type\":\"recipe\""), std::string::npos);
  EXPECT_NE(a.origin().find("\"key\":\"" + a.key() + "\""), std::string::npos);
}

fileset::Entry entry(std::string path, fileset::EntryType type, std::string target = "") {
  fileset::Entry e;
  e.path = std::move(path);
  e.type = type;
  e.mode = type == fileset::EntryType::symlink ? 0777 : type == fileset::EntryType::dir ? 0755 : 0644;
  e.uid = 1000;
  e.gid = 1000;
  e.target = std::move(target);
  if (type == fileset::EntryType::file) e.digest = Digest::of("");
  return e;
}

TEST(ShapeOutput, OwnersAreRootsUnlessTheRecipeSaysAndEscapingSymlinksAreRefused) {
  using fileset::EntryType;
  auto manifest = fileset::Manifest::from_entries(
      {entry("usr", EntryType::dir), entry("usr/bin", EntryType::dir), entry("usr/bin/greet", EntryType::file),
       entry("var", EntryType::dir), entry("var/lib", EntryType::dir), entry("var/lib/greet", EntryType::dir),
       entry("var/lib/greet/state", EntryType::file), entry("usr/bin/hi", EntryType::symlink, "greet")});
  auto shaped = shape_output(manifest, {{"var/lib/greet", 7, 8, {}}, {"var/lib/greet/**", 7, 9, {}}});
  EXPECT_EQ(shaped.find("usr/bin/greet")->uid, 0u);
  EXPECT_EQ(shaped.find("var/lib/greet")->gid, 8u);
  EXPECT_EQ(shaped.find("var/lib/greet/state")->uid, 7u);
  EXPECT_EQ(shaped.find("var/lib/greet/state")->gid, 9u);

  auto climbing = fileset::Manifest::from_entries(
      {entry("usr", EntryType::dir), entry("usr/x", EntryType::symlink, "../../etc/shadow")});
  EXPECT_EQ(testing::error_message_of([&] { shape_output(climbing, {}); }),
            "the output's symlink '/usr/x' (-> '../../etc/shadow') climbs out of the package's root");
  auto into_build = fileset::Manifest::from_entries({entry("x", EntryType::symlink, "/build/src/x")});
  EXPECT_EQ(testing::error_message_of([&] { shape_output(into_build, {}); }),
            "the output's symlink '/x' points into the build sandbox ('/build/src/x'), which no image has");
}

}  // namespace
}  // namespace sheaf::build
