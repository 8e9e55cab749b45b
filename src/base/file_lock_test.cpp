#include "base/file_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace sheaf {
namespace {

class FileLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "sheaf-lock-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fd_ = UniqueFd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  UniqueFd fd_;
};

// Two FileLocks in one process exclude each other as two processes would:
// the lock belongs to the open file, not to the process.
TEST_F(FileLockTest, TwoLocksOnOneFileExcludeEachOtherInOneProcess) {
  FileLock first = FileLock::acquire(fd_.get(), "l", LockMode::exclusive, "l");
  EXPECT_FALSE(FileLock::try_acquire(fd_.get(), "l", LockMode::exclusive, "l"));
  EXPECT_FALSE(FileLock::try_acquire(fd_.get(), "l", LockMode::shared, "l"));
  first.release();
  EXPECT_TRUE(FileLock::try_acquire(fd_.get(), "l", LockMode::exclusive, "l"));
}

TEST_F(FileLockTest, SharedLocksAgree) {
  FileLock a = FileLock::acquire(fd_.get(), "l", LockMode::shared, "l");
  EXPECT_TRUE(FileLock::try_acquire(fd_.get(), "l", LockMode::shared, "l"));
  EXPECT_FALSE(FileLock::try_acquire(fd_.get(), "l", LockMode::exclusive, "l"));
}

TEST_F(FileLockTest, AcquireUntilGivesUpAtItsDeadline) {
  FileLock held = FileLock::acquire(fd_.get(), "l", LockMode::exclusive, "l");
  auto start = std::chrono::steady_clock::now();
  auto got = FileLock::acquire_until(fd_.get(), "l", LockMode::exclusive, "l", start + std::chrono::milliseconds(200));
  EXPECT_FALSE(got);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST_F(FileLockTest, HoldersAreReadFromProcLocks) {
  EXPECT_TRUE(flock_holders_of(fd_.get(), "l").empty());  // no such file yet
  FileLock held = FileLock::acquire(fd_.get(), "l", LockMode::exclusive, "l");
  EXPECT_EQ(flock_holders_of(fd_.get(), "l"), std::vector<pid_t>{::getpid()});
  EXPECT_EQ(flock_holders(held.fd()), std::vector<pid_t>{::getpid()});
  held.release();
  EXPECT_TRUE(flock_holders_of(fd_.get(), "l").empty());
}

TEST(DescribePids, NamesOneOrManyOrNobody) {
  EXPECT_EQ(describe_pids({}), "another process");
  EXPECT_EQ(describe_pids({42}), "pid 42");
  EXPECT_EQ(describe_pids({42, 43}), "pids 42, 43");
}

}  // namespace
}  // namespace sheaf
