#include "build/shlibdeps.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::build {
namespace {

namespace fs = std::filesystem;
using testing::error_message_of;
using ::testing::HasSubstr;

fileset::Entry file(std::string path) {
  fileset::Entry e;
  e.path = std::move(path);
  e.type = fileset::EntryType::file;
  e.mode = 0644;
  return e;
}

fileset::Entry symlink(std::string path, std::string target) {
  fileset::Entry e;
  e.path = std::move(path);
  e.type = fileset::EntryType::symlink;
  e.mode = 0777;
  e.target = std::move(target);
  return e;
}

fileset::Manifest manifest(std::vector<fileset::Entry> entries) {
  fileset::add_missing_parents(entries);
  return fileset::Manifest::from_entries(std::move(entries));
}

// An output that holds the host's /bin/sh (dash: NEEDED libc.so.6) at
// usr/bin/tool, and a text file that is no ELF.
class SharedLibraryDependsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dest_ / "usr/bin");
    fs::copy_file("/bin/dash", dest_ / "usr/bin/tool");
    testing::write_file(dest_ / "usr/bin/script", "#!/bin/sh\n");
  }
  testing::TempDir dir_;
  fs::path dest_ = dir_ / "dest";
};

TEST_F(SharedLibraryDependsTest, DependsOnThePackageThatShipsEachSoname) {
  LibraryIndex env("amd64");
  env.add("libc6", "2.36-9+deb12u10",
          manifest({file("usr/lib/x86_64-linux-gnu/libc.so.6"), file("usr/lib/x86_64-linux-gnu/libm.so.6")}));
  env.add("libc6-dev", "2.36-9+deb12u10", manifest({symlink("usr/lib/x86_64-linux-gnu/libc.so", "libc.so.6")}));
  SharedLibraryDepends found = shared_library_depends(dest_, env, {"base-files"});
  EXPECT_EQ(found.added, std::vector<std::string>{"libc6 (>= 2.36-9+deb12u10)"});
  EXPECT_EQ(found.depends, (std::vector<std::string>{"base-files", "libc6 (>= 2.36-9+deb12u10)"}));
  // A relation of the recipe's on the provider stands as written.
  found = shared_library_depends(dest_, env, {"libc6 (>= 2.34)"});
  EXPECT_TRUE(found.added.empty());
  EXPECT_EQ(found.depends, std::vector<std::string>{"libc6 (>= 2.34)"});
}

TEST_F(SharedLibraryDependsTest, ASonameTheOutputShipsNeedsNothing) {
  fs::create_directories(dest_ / "usr/lib/x86_64-linux-gnu");
  testing::write_file(dest_ / "usr/lib/x86_64-linux-gnu/libc.so.6", "not really");
  LibraryIndex env("amd64");
  SharedLibraryDepends found = shared_library_depends(dest_, env, {});
  EXPECT_TRUE(found.added.empty());
}

TEST_F(SharedLibraryDependsTest, AMissingOrAmbiguousSonameIsAnErrorUnlessTheRecipeChooses) {
  LibraryIndex none("amd64");
  EXPECT_THAT(error_message_of([&] { shared_library_depends(dest_, none, {}); }),
              HasSubstr("the output's /usr/bin/tool needs libc.so.6, which no package of the build environment "
                        "ships in a library directory"));
  // Two packages answer to the name, each from a directory of its own below
  // the triplet's, as libraries chosen through alternatives do.
  LibraryIndex two("amd64");
  two.add("libc-one", "1", manifest({file("usr/lib/x86_64-linux-gnu/one/libc.so.6")}));
  two.add("libc-two", "2", manifest({file("usr/lib/x86_64-linux-gnu/two/libc.so.6")}));
  EXPECT_THAT(
      error_message_of([&] { shared_library_depends(dest_, two, {}); }),
      HasSubstr("needs libc.so.6, which several packages of the build environment ship: libc-one "
                "(/usr/lib/x86_64-linux-gnu/one/libc.so.6), libc-two (/usr/lib/x86_64-linux-gnu/two/libc.so.6)"));
  SharedLibraryDepends chosen = shared_library_depends(dest_, two, {"libc-two | libc-one"});
  EXPECT_TRUE(chosen.added.empty());
  // The system directory wins over the private ones.
  two.add("libc6", "3", manifest({symlink("usr/lib/x86_64-linux-gnu/libc.so.6", "one/libc.so.6")}));
  EXPECT_EQ(shared_library_depends(dest_, two, {}).added, std::vector<std::string>{"libc6 (>= 3)"});
  // Deeper directories are not library directories.
  LibraryIndex deep("amd64");
  deep.add("plugin", "1", manifest({file("usr/lib/x86_64-linux-gnu/a/b/libc.so.6")}));
  EXPECT_THAT(error_message_of([&] { shared_library_depends(dest_, deep, {}); }), HasSubstr("no package"));
}

TEST_F(SharedLibraryDependsTest, ABrokenElfFileIsNamed) {
  std::string bytes = testing::read_file_bytes(dest_ / "usr/bin/tool");
  testing::write_file(dest_ / "usr/bin/broken", bytes.substr(0, 100));
  LibraryIndex env("amd64");
  env.add("libc6", "2.36", manifest({file("usr/lib/x86_64-linux-gnu/libc.so.6")}));
  EXPECT_THAT(error_message_of([&] { shared_library_depends(dest_, env, {}); }),
              HasSubstr("the output's /usr/bin/broken starts like an ELF file, but sheaf cannot read its dynamic "
                        "section: the ELF file is truncated"));
}

}  // namespace
}  // namespace sheaf::build
