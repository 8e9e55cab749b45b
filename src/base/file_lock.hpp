// flock(2) locks on files, and who holds them.
//
// A lock belongs to an open file description: two FileLocks on one file in
// one process exclude each other just as two processes do. The kernel drops
// a lock when its holder exits, even by kill -9, so a lock never has to be
// cleaned up after a crash, and a waiter never waits for a dead process.
// That is what makes these the tool for "one process at a time does X"
// between sheaf processes (store/local_store.hpp, repo/fetcher.hpp,
// repo/repository.hpp, run/container.hpp).
//
// A FileLock is move-only and not thread-safe; give each thread its own.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.hpp"

namespace sheaf {

enum class LockMode { shared, exclusive };

class FileLock {
 public:
  FileLock() = default;

  // Opens (creating, mode 0644) the file `name` below `dir_fd` and locks it,
  // waiting for as long as it takes. `shown` names the file in errors.
  static FileLock acquire(int dir_fd, const std::string& name, LockMode mode, std::string_view shown);
  // The same, but when a conflicting lock is held, first calls `on_wait`
  // with its holders (flock_holders), for a message saying whom it waits for.
  static FileLock acquire(int dir_fd, const std::string& name, LockMode mode, std::string_view shown,
                          const std::function<void(const std::vector<pid_t>&)>& on_wait);
  // The same, but gives up at once (nullopt) when a conflicting lock is held.
  static std::optional<FileLock> try_acquire(int dir_fd, const std::string& name, LockMode mode,
                                             std::string_view shown);
  // The same, waiting until `deadline` at the most (polling every 50 ms).
  static std::optional<FileLock> acquire_until(int dir_fd, const std::string& name, LockMode mode,
                                               std::string_view shown, std::chrono::steady_clock::time_point deadline);

  bool is_held() const noexcept { return static_cast<bool>(fd_); }
  int fd() const noexcept { return fd_.get(); }
  // Drops the lock (closing the file).
  void release() noexcept { fd_.reset(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  static UniqueFd open_lock_file(int dir_fd, const std::string& name, std::string_view shown);
  // flock(2), retried on EINTR; false when `non_blocking` and it is held.
  static bool take(int fd, LockMode mode, bool non_blocking, std::string_view shown);

  UniqueFd fd_;
};

// The processes holding a flock(2) lock on the file open at `fd`, read from
// /proc/locks, sorted, for messages such as "held by pid 4242". Waiters are
// not listed. Empty when /proc/locks cannot be read.
std::vector<pid_t> flock_holders(int fd);
// The same for the file `name` below `dir_fd`; empty when it cannot be opened.
std::vector<pid_t> flock_holders_of(int dir_fd, const std::string& name);

// "pid 4242" or "pids 4242, 4243"; "another process" when `pids` is empty.
std::string describe_pids(const std::vector<pid_t>& pids);

}  // namespace sheaf
