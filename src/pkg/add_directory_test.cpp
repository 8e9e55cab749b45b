#include "pkg/add_directory.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include "base/error.hpp"
#include "store/maintenance.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::pkg {
namespace {

namespace fs = std::filesystem;
using testing::make_dirs;
using testing::TempDir;
using testing::write_file;

using testing::count_files;

class AddDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    make_dirs(tree_ / "usr/bin");
    make_dirs(tree_ / "etc");
    write_file(tree_ / "usr/bin/app", "#!/bin/sh\necho app\n", 0755);
    write_file(tree_ / "etc/app.conf", "setting = 1\n");
    ::symlink("app", (tree_ / "usr/bin/app-alias").c_str());
  }

  AddResult add(store::LocalStore& store, const fs::path& dir, std::string version = "1.0") {
    AddDirectoryRequest request;
    request.dir = dir;
    request.name = "app";
    request.version = std::move(version);
    request.arch = "amd64";
    request.depends = "libc6 (>= 2.34)";
    request.threads = 2;
    return add_directory(store, request);
  }

  TempDir tree_;
  TempDir store_dir_;
  store::LocalStore store_{store_dir_.path()};
};

TEST_F(AddDirectory, TheSameTreeGetsTheSameIdInAnotherStore) {
  TempDir other_dir;
  store::LocalStore other(other_dir.path());
  EXPECT_EQ(add(store_, tree_.path()).id, add(other, tree_.path()).id);
}

TEST_F(AddDirectory, MtimesDoNotChangeTheId) {
  Digest before = add(store_, tree_.path()).id;
  timespec times[2] = {{1, 0}, {2, 0}};
  ::utimensat(AT_FDCWD, (tree_ / "usr/bin/app").c_str(), times, 0);
  ::utimensat(AT_FDCWD, (tree_ / "usr").c_str(), times, 0);
  EXPECT_EQ(add(store_, tree_.path()).id, before);
}

TEST_F(AddDirectory, OneByteOneModeBitOrOneXattrChangesTheId) {
  Digest base = add(store_, tree_.path()).id;

  write_file(tree_ / "etc/app.conf", "setting = 2\n");
  Digest byte_changed = add(store_, tree_.path()).id;
  EXPECT_NE(byte_changed, base);
  write_file(tree_ / "etc/app.conf", "setting = 1\n");
  EXPECT_EQ(add(store_, tree_.path()).id, base);

  ::chmod((tree_ / "usr/bin/app").c_str(), 04755);
  EXPECT_NE(add(store_, tree_.path()).id, base);
  ::chmod((tree_ / "usr/bin/app").c_str(), 0755);
  EXPECT_EQ(add(store_, tree_.path()).id, base);

  if (::setxattr((tree_ / "etc/app.conf").c_str(), "user.mark", "1", 1, 0) == 0) {
    EXPECT_NE(add(store_, tree_.path()).id, base);
  }
}

TEST_F(AddDirectory, SharedFilesAreStoredOnce) {
  TempDir second;
  make_dirs(second / "usr/bin");
  write_file(second / "usr/bin/app", "#!/bin/sh\necho app\n", 0755);  // same content as tree_
  write_file(second / "usr/bin/other", "other\n", 0755);
  add(store_, tree_.path());
  AddDirectoryRequest request{.dir = second.path(), .name = "other", .version = "1.0", .arch = "amd64"};
  AddResult result = add_directory(store_, request);
  EXPECT_EQ(result.new_objects, 1u);  // only "other\n" was new
  EXPECT_EQ(count_files(store_dir_ / "objects"), 3u);
  store::DiskUsage usage = store::disk_usage(store_);
  EXPECT_GT(usage.dedup_ratio(), 1.0);
}

TEST_F(AddDirectory, RecordsTheOriginAndMetadataOutsideTheId) {
  AddResult result = add(store_, tree_.path());
  auto origins = store_.index().origins(result.id.str());
  ASSERT_EQ(origins.size(), 1u);
  EXPECT_EQ(origins[0], "{\"path\":\"" + tree_.path().string() + "\",\"type\":\"directory\"}");
  auto record = store_.index().package(result.id.str());
  ASSERT_TRUE(record);
  EXPECT_EQ(record->metadata, "{\"license\":\"NOASSERTION\",\"source\":{\"name\":\"app\",\"version\":\"1.0\"}}");

  // The same content added from elsewhere is the same package with two origins.
  TempDir copy;
  fs::copy(tree_.path(), copy.path(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing);
  ::chmod(copy.path().c_str(), 0755);
  AddResult again = add(store_, copy.path());
  EXPECT_EQ(again.id, result.id);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(store_.index().origins(result.id.str()).size(), 2u);
}

TEST_F(AddDirectory, AFailedAddLeavesTheStoreAsItWas) {
  add(store_, tree_.path());
  std::size_t objects_before = count_files(store_dir_ / "objects");
  std::size_t blobs_before = count_files(store_dir_ / "blobs");
  write_file(tree_ / "etc/new-content", "never stored");
  ASSERT_EQ(::mkfifo((tree_ / "etc/zz-fifo").c_str(), 0644), 0);
  EXPECT_THROW(add(store_, tree_.path(), "2.0"), Error);
  EXPECT_EQ(count_files(store_dir_ / "objects"), objects_before);
  EXPECT_EQ(count_files(store_dir_ / "blobs"), blobs_before);
  EXPECT_TRUE(fs::is_empty(store_dir_ / "tmp"));
  EXPECT_EQ(store_.index().packages().size(), 1u);
}

TEST_F(AddDirectory, OwnerOverridesEveryOwnerOnDisk) {
  ::link((tree_ / "etc/app.conf").c_str(), (tree_ / "etc/app.conf.bak").c_str());
  AddDirectoryRequest request{.dir = tree_.path(), .name = "app", .version = "1.0", .arch = "amd64"};
  request.owner = std::make_pair(0u, 42u);
  AddResult result = add_directory(store_, request);
  auto record = store_.index().package(result.id.str());
  auto manifest = fileset::Manifest::parse(*store_.read_blob(*Digest::parse(record->fileset)), "m");
  for (const auto& e : manifest.entries()) {
    if (e.type == fileset::EntryType::hardlink) continue;
    EXPECT_EQ(e.uid, 0u) << e.path;
    EXPECT_EQ(e.gid, 42u) << e.path;
  }
  EXPECT_EQ(manifest.entries().size(), 7u);
}

TEST_F(AddDirectory, ATreeThatChangesDuringTheAddLeavesTheStoreAsItWas) {
  AddDirectoryRequest request{.dir = tree_.path(), .name = "app", .version = "1.0", .arch = "amd64"};
  request.on_file = [&](std::string_view, std::uint64_t) { write_file(tree_ / "etc/late-arrival", "new"); };
  try {
    add_directory(store_, request);
    FAIL() << "the add succeeded although the tree changed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("changed while it was being read"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count_files(store_dir_ / "objects"), 0u);
  EXPECT_EQ(count_files(store_dir_ / "blobs"), 0u);
  EXPECT_TRUE(fs::is_empty(store_dir_ / "tmp"));
  EXPECT_TRUE(store_.index().packages().empty());
}

TEST_F(AddDirectory, RefusesBadMetadataBeforeReadingAnything) {
  AddDirectoryRequest request{.dir = tree_.path(), .name = "app", .version = "1.0", .arch = "amd64"};
  request.depends = "libc6 (>= ";
  try {
    add_directory(store_, request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(std::string(e.what()).find("--depends column"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(store_dir_ / "tmp"));
  EXPECT_EQ(count_files(store_dir_ / "objects"), 0u);
}

}  // namespace
}  // namespace sheaf::pkg
