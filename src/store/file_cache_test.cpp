#include "store/file_cache.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/byte_source.hpp"
#include "store/maintenance.hpp"
#include "store/write_batch.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::store {
namespace {

namespace fs = std::filesystem;

fileset::FileIdentity identity(std::uint64_t ino, std::int64_t ctime_ns = 1000) {
  return {.dev = 7, .ino = ino, .size = 5, .mtime_ns = 900, .ctime_ns = ctime_ns, .mode = 0100644, .uid = 1, .gid = 2};
}

class FileCacheTest : public ::testing::Test {
 protected:
  // Stores "hello" and remembers inode 42 as holding it, with an xattr.
  void SetUp() override {
    auto batch = store_.begin_write();
    MemorySource source("hello");
    content_ = batch->put(source);
    FileCache cache(store_, 7);
    cache.remember(identity(42), {content_, {{"user.k", std::string("v\0", 2)}}});
    batch->commit([&](Index::Transaction& t) { cache.save(t); });
  }

  testing::TempDir dir_;
  LocalStore store_{dir_.path()};
  fileset::ContentRef content_;
};

TEST_F(FileCacheTest, FindsARememberedFileInALaterBatch) {
  auto batch = store_.begin_write();
  FileCache cache(store_, 7);
  auto hit = cache.find(identity(42));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->content.digest, Digest::of("hello"));
  EXPECT_EQ(hit->content.size, 5u);
  ASSERT_EQ(hit->xattrs.size(), 1u);
  EXPECT_EQ(hit->xattrs[0].value, std::string("v\0", 2));
}

TEST_F(FileCacheTest, MissesWhenAnyPartOfTheIdentityDiffers) {
  auto batch = store_.begin_write();
  FileCache cache(store_, 7);
  EXPECT_FALSE(cache.find(identity(42, 1001)));  // ctime
  auto changed = identity(42);
  changed.mode = 0100755;
  EXPECT_FALSE(cache.find(changed));
  changed = identity(42);
  changed.dev = 8;
  EXPECT_FALSE(cache.find(changed));
  EXPECT_FALSE(cache.find(identity(43)));
  FileCache other_device(store_, 8);
  EXPECT_FALSE(other_device.find(identity(42)));
}

TEST_F(FileCacheTest, MissesWhenTheObjectIsGone) {
  fs::remove(store_.object_path(content_.digest));
  auto batch = store_.begin_write();
  FileCache cache(store_, 7);
  EXPECT_FALSE(cache.find(identity(42)));
}

TEST_F(FileCacheTest, GcForgetsFilesWhoseContentItRemoved) {
  ASSERT_EQ(store_.index().file_cache_rows(7).size(), 1u);
  GcReport report = collect_garbage(store_, {});  // no package references "hello"
  EXPECT_EQ(report.objects_removed, 1u);
  EXPECT_TRUE(store_.index().file_cache_rows(7).empty());
}

}  // namespace
}  // namespace sheaf::store
