#include "store/maintenance.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/byte_source.hpp"
#include "base/error.hpp"
#include "base/file_lock.hpp"
#include "base/unique_fd.hpp"
#include "fileset/manifest.hpp"
#include "store/write_batch.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::store {
namespace {

namespace fs = std::filesystem;
using fileset::Entry;
using fileset::EntryType;

class Maintenance : public ::testing::Test {
 protected:
  // Adds a package whose FileSet holds one file per content string.
  PackageRecord add_package(const std::string& name, const std::vector<std::string>& contents) {
    auto batch = store_.begin_write();
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < contents.size(); ++i) {
      MemorySource source(contents[i]);
      auto ref = batch->put(source);
      entries.push_back({.path = "f" + std::to_string(i),
                         .type = EntryType::file,
                         .mode = 0644,
                         .size = ref.size,
                         .digest = ref.digest});
    }
    auto manifest = fileset::Manifest::from_entries(entries);
    Digest fileset_id = batch->add_blob(manifest.serialize());
    Digest id = batch->add_blob("package " + name);
    PackageRecord record{
        id.str(), name, "1.0", "amd64", fileset_id.str(), manifest.entries().size(), manifest.content_size(), "{}"};
    batch->commit([&](Index::Transaction& t) { t.insert_package(record); });
    return record;
  }

  void overwrite(const fs::path& path, const std::string& bytes) {
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    testing::write_file(path, bytes);
  }

  testing::TempDir dir_;
  LocalStore store_{dir_.path()};
};

TEST_F(Maintenance, VerifyFindsNoDamageInAHealthyStore) {
  add_package("aa", {"one", "two"});
  VerifyReport report = verify_store(store_, nullptr, nullptr, 2);
  EXPECT_TRUE(report.damage.empty());
  EXPECT_EQ(report.objects, 2u);
  EXPECT_EQ(report.blobs, 2u);
  EXPECT_EQ(report.packages, 1u);
}

TEST_F(Maintenance, VerifyNamesAnObjectWithAFlippedByte) {
  add_package("aa", {"one", "two"});
  Digest two = Digest::of("two");
  overwrite(store_.object_path(two), "twp");
  VerifyReport report = verify_store(store_, nullptr, nullptr, 2);
  ASSERT_EQ(report.damage.size(), 1u);
  EXPECT_EQ(report.damage[0].subject, "objects/sha256/" + LocalStore::object_name(two));
  EXPECT_NE(report.damage[0].problem.find("does not match its name"), std::string::npos);
}

TEST_F(Maintenance, VerifyReportsAMissingObjectForItsPackage) {
  add_package("aa", {"one"});
  fs::remove(store_.object_path(Digest::of("one")));
  VerifyReport report = verify_store(store_, nullptr, nullptr, 1);
  ASSERT_EQ(report.damage.size(), 1u);
  EXPECT_NE(report.damage[0].subject.find("package aa 1.0"), std::string::npos);
  EXPECT_NE(report.damage[0].problem.find("'f0'"), std::string::npos);
  EXPECT_NE(report.damage[0].problem.find("is missing"), std::string::npos);
}

TEST_F(Maintenance, VerifyRunsThePackageCheck) {
  add_package("aa", {"one"});
  int calls = 0;
  VerifyReport report = verify_store(
      store_,
      [&](const PackageRecord& record, std::string_view document) -> std::optional<std::string> {
        ++calls;
        EXPECT_EQ(document, "package " + record.name);
        return "the check says no";
      },
      nullptr, 1);
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(report.damage.size(), 1u);
  EXPECT_EQ(report.damage[0].problem, "the check says no");
}

TEST_F(Maintenance, VerifyFlagsFilesThatDoNotBelong) {
  testing::write_file(dir_ / "objects/sha256/ab/not-a-digest", "x");
  VerifyReport report = verify_store(store_, nullptr, nullptr, 1);
  ASSERT_EQ(report.damage.size(), 1u);
  EXPECT_EQ(report.damage[0].subject, "objects/sha256/ab/not-a-digest");
}

TEST_F(Maintenance, GcRemovesOnlyWhatNoPackageReferences) {
  auto kept = add_package("aa", {"shared", "mine"});
  auto dropped = add_package("bb", {"shared", "theirs"});
  store_.index().write([&](Index::Transaction& t) { t.remove_package(dropped.id); });

  GcReport dry = collect_garbage(store_, {.dry_run = true});
  EXPECT_EQ(dry.objects_removed, 1u);
  EXPECT_TRUE(store_.has_object(Digest::of("theirs")));

  GcReport report = collect_garbage(store_, {});
  EXPECT_EQ(report.objects_removed, 1u);  // "theirs"
  EXPECT_EQ(report.blobs_removed, 2u);    // bb's document and manifest
  EXPECT_FALSE(store_.has_object(Digest::of("theirs")));
  EXPECT_TRUE(store_.has_object(Digest::of("shared")));
  EXPECT_TRUE(store_.has_object(Digest::of("mine")));
  EXPECT_TRUE(verify_store(store_, nullptr, nullptr, 1).damage.empty());
  EXPECT_EQ(collect_garbage(store_, {}).objects_removed, 0u);
}

TEST_F(Maintenance, GcRefusesToRunWhenALiveManifestIsMissing) {
  auto record = add_package("aa", {"one"});
  testing::write_file(dir_ / "objects/sha256/00/garbage", "x");
  fs::remove(store_.blob_path(*Digest::parse(record.fileset)));
  EXPECT_THROW(collect_garbage(store_, {}), Error);
  EXPECT_TRUE(store_.has_object(Digest::of("one")));  // nothing was removed
  EXPECT_TRUE(fs::exists(dir_ / "objects/sha256/00/garbage"));
}

TEST_F(Maintenance, GcRemovesStagingLeftovers) {
  fs::create_directories(dir_ / "tmp/w-1-dead");
  testing::write_file(dir_ / "tmp/w-1-dead/s0", "partial");
  EXPECT_EQ(collect_garbage(store_, {}).staging_removed, 1u);
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
}

// A container's directory as `sheaf run` leaves it (run/container.hpp):
// a `lock` its owner holds for the container's life and the trees it uses.
TEST_F(Maintenance, GcKeepsTheTreesOfALiveContainerAndRemovesDeadRuns) {
  auto gone = add_package("aa", {"one"});
  store_.index().write([&](Index::Transaction& t) { t.remove_package(gone.id); });
  std::string tree = Digest::parse(gone.id)->hex();
  fs::create_directories(dir_ / "trees" / tree / "usr");
  fs::create_directories(dir_ / "trees" / (std::string(64, 'b')));  // no package, no container
  fs::create_directories(dir_ / "run/sheaf-live/bundle/rootfs");
  testing::write_file(dir_ / "run/sheaf-live/trees", tree + "\n");
  UniqueFd live_fd(::open((dir_ / "run/sheaf-live").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  FileLock alive = FileLock::acquire(live_fd.get(), "lock", LockMode::exclusive, "lock");
  fs::create_directories(dir_ / "run/sheaf-dead/bundle/rootfs");  // its lock is not held
  testing::write_file(dir_ / "run/sheaf-dead/lock", "");
  testing::write_file(dir_ / "run/sheaf-dead/trees", std::string(64, 'b') + "\n");
  fs::create_directories(dir_ / "run/sheaf-unset/bundle");  // killed before it made its lock

  GcReport report = collect_garbage(store_, {});
  EXPECT_EQ(report.runs_removed, 2u);
  EXPECT_EQ(report.trees_in_use, 1u);
  EXPECT_EQ(report.trees_removed, 1u);
  EXPECT_TRUE(fs::is_directory(dir_ / "trees" / tree));
  EXPECT_FALSE(fs::exists(dir_ / "trees" / std::string(64, 'b')));
  EXPECT_TRUE(fs::is_directory(dir_ / "run/sheaf-live"));
  EXPECT_FALSE(fs::exists(dir_ / "run/sheaf-dead"));
  EXPECT_FALSE(fs::exists(dir_ / "run/sheaf-unset"));

  alive.release();  // the container ended and its sheaf run died before cleaning up
  report = collect_garbage(store_, {});
  EXPECT_EQ(report.runs_removed, 1u);
  EXPECT_EQ(report.trees_removed, 1u);
  EXPECT_FALSE(fs::exists(dir_ / "trees" / tree));
  EXPECT_TRUE(fs::is_empty(dir_ / "run"));
}

TEST_F(Maintenance, DiskUsageCountsSharedContentOnce) {
  add_package("aa", {"shared content", "a"});
  add_package("bb", {"shared content", "b"});
  DiskUsage usage = disk_usage(store_);
  EXPECT_EQ(usage.packages, 2u);
  EXPECT_EQ(usage.logical_bytes, 2 * 14u + 2);
  EXPECT_EQ(usage.object_bytes, 14u + 2);
  EXPECT_EQ(usage.objects, 3u);
  EXPECT_DOUBLE_EQ(usage.dedup_ratio(), 30.0 / 16.0);
}

}  // namespace
}  // namespace sheaf::store
