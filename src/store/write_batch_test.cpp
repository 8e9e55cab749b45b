#include "store/write_batch.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/byte_source.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::store {
namespace {

namespace fs = std::filesystem;

// Produces `size` bytes of a repeating pattern, `chunk` bytes per read.
class PatternSource final : public ByteSource {
 public:
  PatternSource(std::uint64_t size, char seed, std::size_t chunk = 4096) : left_(size), seed_(seed), chunk_(chunk) {}
  std::size_t read(std::span<char> buffer) override {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({left_, buffer.size(), chunk_}));
    for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(seed_ + static_cast<char>((offset_ + i) % 251));
    offset_ += n;
    left_ -= n;
    return n;
  }

 private:
  std::uint64_t left_;
  char seed_;
  std::size_t chunk_;
  std::uint64_t offset_ = 0;
};

using testing::count_files;

TEST(WriteBatch, NothingIsVisibleBeforeCommit) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  auto batch = store.begin_write();
  MemorySource source("hello");
  auto ref = batch->put(source);
  EXPECT_EQ(ref.digest, Digest::of("hello"));
  EXPECT_EQ(ref.size, 5u);
  EXPECT_FALSE(store.has_object(ref.digest));
  batch->commit([](Index::Transaction&) {});
  EXPECT_TRUE(store.has_object(ref.digest));
  EXPECT_EQ(testing::read_file_bytes(store.object_path(ref.digest)), "hello");
  EXPECT_EQ(fs::status(store.object_path(ref.digest)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
}

TEST(WriteBatch, AnAbandonedBatchLeavesNothingBehind) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  {
    auto batch = store.begin_write();
    MemorySource source("abandoned");
    batch->put(source);
    batch->add_blob("blob");
  }
  EXPECT_EQ(count_files(dir / "objects"), 0u);
  EXPECT_EQ(count_files(dir / "blobs"), 0u);
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));
}

TEST(WriteBatch, StoresEachContentOnce) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  auto batch = store.begin_write();
  MemorySource a("same"), b("same"), c("other");
  batch->put(a);
  batch->put(b);
  batch->put(c);
  EXPECT_EQ(batch->new_objects(), 2u);
  batch->commit([](Index::Transaction&) {});
  EXPECT_EQ(count_files(dir / "objects"), 2u);

  auto again = store.begin_write();
  MemorySource d("same");
  again->put(d);
  EXPECT_EQ(again->new_objects(), 0u);  // already in the store: nothing staged
}

TEST(WriteBatch, StreamsContentLargerThanItsBuffer) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  constexpr std::uint64_t size = (3u << 20) + 17;  // three buffers and a bit
  PatternSource expected_source(size, 'a');
  Sha256 hasher;
  std::vector<char> chunk(65536);
  while (std::size_t n = expected_source.read(chunk)) hasher.update(chunk.data(), n);
  Digest expected = hasher.finish();

  auto batch = store.begin_write();
  PatternSource source(size, 'a', 1000);
  auto ref = batch->put(source);
  EXPECT_EQ(ref.digest, expected);
  EXPECT_EQ(ref.size, size);
  batch->commit([](Index::Transaction&) {});
  EXPECT_EQ(fs::file_size(store.object_path(expected)), size);

  // The same large content again is streamed, found present and dropped.
  auto again = store.begin_write();
  PatternSource repeat(size, 'a');
  EXPECT_EQ(again->put(repeat).digest, expected);
  EXPECT_EQ(again->new_objects(), 0u);
}

TEST(WriteBatch, TheIndexCommitFollowsThePublishedObjects) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  auto batch = store.begin_write();
  Digest blob = batch->add_blob("doc");
  bool ran = false;
  batch->commit([&](Index::Transaction&) {
    ran = true;
    EXPECT_TRUE(store.has_blob(blob));  // already durable and published
  });
  EXPECT_TRUE(ran);
}

TEST(WriteBatch, AFailedIndexUpdatePublishesOnlyUnreferencedObjects) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  auto batch = store.begin_write();
  MemorySource source("x");
  batch->put(source);
  EXPECT_THROW(batch->commit([](Index::Transaction&) { throw Error("index update failed"); }), Error);
  EXPECT_TRUE(store.index().packages().empty());
}

TEST(WriteBatch, TheNextWriterRemovesLeftoversOfADeadOne) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  // What a writer killed mid-batch leaves: a staging directory with files.
  fs::create_directories(dir / "tmp/w-999999-dead");
  testing::write_file(dir / "tmp/w-999999-dead/s0", "partial");
  auto batch = store.begin_write();
  EXPECT_FALSE(fs::exists(dir / "tmp/w-999999-dead"));
}

TEST(WriteBatch, LeftoversOfALiveWriterAreKept) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  auto first = store.begin_write();
  MemorySource source("in progress");
  first->put(source);
  LocalStore other(dir.path());
  auto second = other.begin_write();  // must not remove the first writer's staging
  EXPECT_EQ(count_files(dir / "tmp"), 1u);
  first->commit([](Index::Transaction&) {});
  EXPECT_TRUE(store.has_object(Digest::of("in progress")));
}

}  // namespace
}  // namespace sheaf::store
