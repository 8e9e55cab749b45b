#include "store/local_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/error.hpp"
#include "store/write_batch.hpp"
#include "testing/command.hpp"
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
  EXPECT_FALSE(store.try_lock_exclusive());
  EXPECT_TRUE(store.lock(StoreLock::Mode::shared).is_held());
  batch.reset();
  EXPECT_TRUE(store.try_lock_exclusive());
}

// Lock holders in processes of their own: this test binary again, running
// one of the LockHelper tests below (SQLite must not cross a fork, so the
// child execs). The helpers read their store and timing from the
// environment, and are disabled unless asked for.
pid_t spawn_helper(const std::string& helper, const fs::path& root, double seconds = 0,
                   const fs::path& ready = {}) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("SHEAF_TEST_STORE", root.c_str(), 1);
    ::setenv("SHEAF_TEST_SECONDS", std::to_string(seconds).c_str(), 1);
    ::setenv("SHEAF_TEST_READY", ready.c_str(), 1);
    std::string filter = "--gtest_filter=LockHelper.DISABLED_" + helper;
    ::execl("/proc/self/exe", "store_test", filter.c_str(), "--gtest_also_run_disabled_tests", "--gtest_brief=1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int exit_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void wait_for_file(const fs::path& path) {
  for (int i = 0; i < 1000 && !fs::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(path)) << "the helper never got its lock";
}

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds helper_time() {
  return std::chrono::milliseconds(static_cast<long>(std::stod(std::getenv("SHEAF_TEST_SECONDS")) * 1000));
}

void signal_ready() {
  std::string ready = std::getenv("SHEAF_TEST_READY");
  if (!ready.empty()) testing::write_file(ready, "ready");
}

// Takes the shared lock for 200 ms at a time, again and again.
TEST(LockHelper, DISABLED_Stream) {
  LocalStore store(std::getenv("SHEAF_TEST_STORE"));
  auto end = Clock::now() + helper_time();
  while (Clock::now() < end) {
    StoreLock held = store.lock(StoreLock::Mode::shared);
    signal_ready();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

TEST(LockHelper, DISABLED_HoldShared) {
  LocalStore store(std::getenv("SHEAF_TEST_STORE"));
  StoreLock held = store.lock(StoreLock::Mode::shared);
  signal_ready();
  std::this_thread::sleep_for(helper_time());
}

TEST(LockHelper, DISABLED_Gc) {
  LocalStore store(std::getenv("SHEAF_TEST_STORE"));
  StoreLock held = store.lock_exclusive(helper_time());
  EXPECT_TRUE(held.is_held());
}

TEST(LocalStore, GcIsNotStarvedByOverlappingSharedHolders) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  // Two processes take turns so that the shared lock is never free: each
  // holds it for 200 ms and takes it again at once, for four seconds.
  pid_t first = spawn_helper("Stream", dir.path(), 4, dir.path() / "first");
  wait_for_file(dir.path() / "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  pid_t second = spawn_helper("Stream", dir.path(), 4, dir.path() / "second");
  wait_for_file(dir.path() / "second");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_FALSE(store.try_lock_exclusive()) << "the stream should hold the lock";

  auto start = Clock::now();
  StoreLock gc = store.lock_exclusive(std::chrono::seconds(10));
  auto waited = Clock::now() - start;
  EXPECT_TRUE(gc.is_held());
  // Those inside finish their 200 ms; nobody new gets in ahead of gc.
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  gc = StoreLock();
  EXPECT_EQ(exit_status(first), 0);
  EXPECT_EQ(exit_status(second), 0);
}

TEST(LocalStore, GcGivesUpAfterItsWaitNamingTheHolders) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  pid_t holder = spawn_helper("HoldShared", dir.path(), 3, dir.path() / "ready");
  wait_for_file(dir.path() / "ready");
  try {
    store.lock_exclusive(std::chrono::milliseconds(700));
    ADD_FAILURE() << "gc did not give up";
  } catch (const Error& e) {
    EXPECT_TRUE(testing::contains(e.what(), "gave up after waiting")) << e.what();
    EXPECT_TRUE(testing::contains(e.what(), "pid " + std::to_string(holder))) << e.what();
  }
  // Giving up opens the gate again: a new holder gets in at once.
  auto start = Clock::now();
  EXPECT_TRUE(store.lock(StoreLock::Mode::shared).is_held());
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_EQ(exit_status(holder), 0);
}

TEST(LocalStore, AHolderTakesTheLockAgainWhileGcWaitsForIt) {
  testing::TempDir dir;
  LocalStore store(dir.path());
  StoreLock outer = store.lock(StoreLock::Mode::shared);
  pid_t gc = spawn_helper("Gc", dir.path(), 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // gc now holds the gate and waits
  auto start = Clock::now();
  StoreLock inner = store.lock(StoreLock::Mode::shared);  // a fetch's import batch, say
  EXPECT_TRUE(inner.is_held());
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(200)) << "the second hold queued behind gc";
  inner = StoreLock();
  outer = StoreLock();
  EXPECT_EQ(exit_status(gc), 0);
}

}  // namespace
}  // namespace sheaf::store
