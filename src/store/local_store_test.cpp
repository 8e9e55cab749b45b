#include "store/local_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "base/error.hpp"
#include "store/write_batch.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::store {
namespace {

namespace fs = std::filesystem;

TEST(LocalStore, CreatesItsLayoutOnFirstUse) {
  testing::TempDir dir;
  LocalStore store(dir / "deep/store");
  for (const char* name :
       {"format", "objects/sha256/00", "objects/sha256/ff", "blobs/sha256", "tmp", "index.db", "lock"}) {
    EXPECT_TRUE(fs::exists(dir / "deep/store" / name)) << name;
  }
  EXPECT_EQ(testing::read_file_bytes(dir / "deep/store/format"), "sheaf-store 1\n");
}

TEST(LocalStore, ReopensAnExistingStore) {
  testing::TempDir dir;
  { LocalStore store(dir.path()); }
  LocalStore again(dir.path());
  EXPECT_TRUE(again.index().packages().empty());
}

TEST(LocalStore, RefusesANonEmptyDirectoryThatIsNotAStore) {
  testing::TempDir dir;
  testing::write_file(dir / "notes.txt", "mine");
  std::string message = testing::error_message_of([&] { LocalStore store(dir.path()); });
  EXPECT_NE(message.find("is not a sheaf store"), std::string::npos) << message;
  EXPECT_NE(message.find("'notes.txt'"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir / "objects"));  // nothing was written
}

TEST(LocalStore, RefusesAStoreOfANewerFormat) {
  testing::TempDir dir;
  { LocalStore store(dir.path()); }
  testing::write_file(dir / "format", "sheaf-store 7\n");
  std::string message = testing::error_message_of([&] { LocalStore store(dir.path()); });
  EXPECT_NE(message.find("has format 7, but this sheaf understands only up to format 1"), std::string::npos) << message;
}

TEST(LocalStore, ManyProcessesCanCreateTheSameStoreAtOnce) {
  testing::TempDir dir;
  std::vector<pid_t> children;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      try {
        LocalStore store(dir / "shared");
        ::_exit(0);
      } catch (const Error& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        ::_exit(1);
      }
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  LocalStore store(dir / "shared");
  EXPECT_TRUE(store.index().packages().empty());
}

TEST(LocalStore, ReadBlobDetectsDamage) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  Digest digest;
  {
    auto batch = store.begin_write();
    digest = batch->add_blob("document");
    batch->commit([](Index::Transaction&) {});
  }
  EXPECT_EQ(store.read_blob(digest), "document");
  fs::permissions(store.blob_path(digest), fs::perms::owner_write, fs::perm_options::add);
  testing::write_file(store.blob_path(digest), "documenT");
  EXPECT_THROW(store.read_blob(digest), Error);
  EXPECT_FALSE(store.read_blob(Digest::of("absent")));
}

TEST(LocalStore, ExclusiveLockWaitsForWriters) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  auto batch = store.begin_write();
  EXPECT_FALSE(store.try_lock(StoreLock::Mode::exclusive));
  EXPECT_TRUE(store.try_lock(StoreLock::Mode::shared));
  batch.reset();
  EXPECT_TRUE(store.try_lock(StoreLock::Mode::exclusive));
}

}  // namespace
}  // namespace sheaf::store
