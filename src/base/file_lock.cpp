#include "base/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/error.hpp"

namespace sheaf {

UniqueFd FileLock::open_lock_file(int dir_fd, const std::string& name, std::string_view shown) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) fail_errno(errno, fmt::format("cannot open the lock file {}", quote(shown)));
  return fd;
}

bool FileLock::take(int fd, LockMode mode, bool non_blocking, std::string_view shown) {
  int operation = (mode == LockMode::shared ? LOCK_SH : LOCK_EX) | (non_blocking ? LOCK_NB : 0);
  while (::flock(fd, operation) != 0) {
    if (non_blocking && errno == EWOULDBLOCK) return false;
    if (errno != EINTR) fail_errno(errno, fmt::format("cannot lock {}", quote(shown)));
  }
  return true;
}

FileLock FileLock::acquire(int dir_fd, const std::string& name, LockMode mode, std::string_view shown) {
  UniqueFd fd = open_lock_file(dir_fd, name, shown);
  take(fd.get(), mode, /*non_blocking=*/false, shown);
  return FileLock(std::move(fd));
}

FileLock FileLock::acquire(int dir_fd, const std::string& name, LockMode mode, std::string_view shown,
                           const std::function<void(const std::vector<pid_t>&)>& on_wait) {
  UniqueFd fd = open_lock_file(dir_fd, name, shown);
  if (!take(fd.get(), mode, /*non_blocking=*/true, shown)) {
    if (on_wait) on_wait(flock_holders(fd.get()));
    take(fd.get(), mode, /*non_blocking=*/false, shown);
  }
  return FileLock(std::move(fd));
}

std::optional<FileLock> FileLock::try_acquire(int dir_fd, const std::string& name, LockMode mode,
                                              std::string_view shown) {
  UniqueFd fd = open_lock_file(dir_fd, name, shown);
  if (!take(fd.get(), mode, /*non_blocking=*/true, shown)) return std::nullopt;
  return FileLock(std::move(fd));
}

std::optional<FileLock> FileLock::acquire_until(int dir_fd, const std::string& name, LockMode mode,
                                                std::string_view shown,
                                                std::chrono::steady_clock::time_point deadline) {
  UniqueFd fd = open_lock_file(dir_fd, name, shown);
  for (;;) {
    if (take(fd.get(), mode, /*non_blocking=*/true, shown)) return FileLock(std::move(fd));
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50),
                                                                              deadline - now));
  }
}

std::vector<pid_t> flock_holders(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"; waiters have "->"
  // after the number. The device is major:minor in hex.
  std::string device = fmt::format("{:02x}:{:02x}:{}", ::major(st.st_dev), ::minor(st.st_dev), st.st_ino);
  std::ifstream in("/proc/locks");
  std::vector<pid_t> pids;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string number, kind, advisory, access, pid, where;
    fields >> number >> kind;
    if (kind == "->" || kind != "FLOCK") continue;
    fields >> advisory >> access >> pid >> where;
    if (where != device) continue;
    try {
      pids.push_back(static_cast<pid_t>(std::stol(pid)));
    } catch (const std::exception&) {
    }
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

std::vector<pid_t> flock_holders_of(int dir_fd, const std::string& name) {
  UniqueFd probe(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
  return probe ? flock_holders(probe.get()) : std::vector<pid_t>{};
}

std::string describe_pids(const std::vector<pid_t>& pids) {
  if (pids.empty()) return "another process";
  return fmt::format("{} {}", pids.size() == 1 ? "pid" : "pids", fmt::join(pids, ", "));
}

}  // namespace sheaf
