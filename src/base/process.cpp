#include "base/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

extern char** environ;

namespace sheaf {

std::optional<pid_t> spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw Error("spawn: empty argument list");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_null) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (options.stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, options.stdout_fd, 1);
  } else if (options.discard_stdout) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  if (options.stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, options.stderr_fd, 2);
  } else if (options.discard_stderr) {
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }

  // dup2 onto another number clears close-on-exec; glibc clears it too when
  // the numbers are the same (POSIX 2024).
  if (options.fd3 >= 0) posix_spawn_file_actions_adddup2(&actions, options.fd3, 3);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  short flags = 0;
  if (options.new_process_group) {
    posix_spawnattr_setpgroup(&attributes, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  if (options.unblock) {
    sigset_t mask;
    ::sigprocmask(SIG_BLOCK, nullptr, &mask);
    for (int sig = 1; sig < NSIG; ++sig) {
      if (::sigismember(options.unblock, sig) == 1) ::sigdelset(&mask, sig);
    }
    posix_spawnattr_setsigmask(&attributes, &mask);
    flags |= POSIX_SPAWN_SETSIGMASK;
  }
  posix_spawnattr_setflags(&attributes, flags);

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return std::nullopt;
  return pid;
}

std::optional<std::string> find_system_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail_errno(errno, "waitpid");
  }
  return status;
}

std::optional<int> wait_for(pid_t pid, long timeout_ms) {
  // A pidfd becomes readable when the process ends (Linux 5.3).
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) fail_errno(errno, "pidfd_open");
  struct pollfd p {fd.get(), POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    int rc = ::poll(&p, 1, static_cast<int>(std::max<long>(0, std::min<long>(left.count(), INT32_MAX))));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) fail_errno(errno, "poll");
    if (rc == 0) return std::nullopt;
    return wait_for(pid);
  }
}

std::optional<ProcessResult> run_capture(const std::vector<std::string>& argv, const RunOptions& options) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno(errno, "cannot create a pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  auto pid = spawn(argv, {.stdin_null = true, .stdout_fd = write_end.get(), .discard_stderr = options.discard_stderr});
  if (!pid) return std::nullopt;
  write_end.reset();

  ProcessResult result;
  result.out = read_all(read_end.get(), "the output of " + argv[0]);
  int status = wait_for(*pid);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace sheaf
