#include "testing/command.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace sheaf::testing {

namespace {

// Executes `argv` with stdout on `out_fd`, stderr on `err_fd` and stdin on
// /dev/null: through posix_spawn (a vfork), unless it must change user or
// group first. A fork copies the page tables of a process under ASan, whose
// shadow memory makes that slow: 6.6 ms per command against 1.8 ms, and the
// suites run tens of thousands of commands.
pid_t spawn(const std::vector<std::string>& argv, const CommandOptions& options, int out_fd, int err_fd) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (!options.env.contains(key)) env_storage.push_back(entry);
  }
  for (const auto& [key, value] : options.env) env_storage.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  if (!options.uid && !options.gid) {
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    ::posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int error = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    if (error == 0) return pid;
    // As a fork would have: the command "exits 127" when it cannot run.
    if (error != ENOENT && error != EACCES && error != ENOEXEC) throw std::runtime_error("posix_spawn");
  }
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    if (options.gid && ::setresgid(*options.gid, *options.gid, *options.gid) != 0) ::_exit(126);
    if (options.uid) {
      ::setgroups(0, nullptr);
      if (::setresuid(*options.uid, *options.uid, *options.uid) != 0) ::_exit(126);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = spawn(argv, options, out_pipe[1], err_pipe[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  CommandResult result;
  auto deadline =
      options.kill_after ? std::optional(std::chrono::steady_clock::now() + *options.kill_after) : std::nullopt;
  bool killed = false;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    int timeout = -1;
    if (deadline && !killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(pid, SIGKILL);
        killed = true;
      } else {
        timeout = static_cast<int>(left.count());
      }
    }
    int ready = ::poll(fds, 2, killed ? -1 : timeout);
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4");
  }
  result.max_rss_kib = usage.ru_maxrss;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv, const CommandOptions& options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "sheaf-bg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
  dir_ = pattern;
  int out_fd = ::open((dir_ + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open((dir_ + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("cannot open the output files of a background command");
  pid_ = spawn(argv, options, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
}

BackgroundCommand::~BackgroundCommand() {
  if (!result_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string BackgroundCommand::err_so_far() const {
  return read_all(dir_ + "/err");
}

void BackgroundCommand::kill(int signal) {
  if (!result_) ::kill(pid_, signal);
}

CommandResult BackgroundCommand::wait() {
  if (result_) return *result_;
  int status = 0;
  rusage usage{};
  while (::wait4(pid_, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4");
  }
  CommandResult result;
  result.max_rss_kib = usage.ru_maxrss;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = read_all(dir_ + "/out");
  result.err = read_all(dir_ + "/err");
  result_ = result;
  return result;
}

std::unique_ptr<BackgroundCommand> start_sheaf(const std::string& store, const std::vector<std::string>& args,
                                               const CommandOptions& options) {
  std::vector<std::string> argv = {sheaf_binary(), "--store", store};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<BackgroundCommand>(argv, options);
}

std::string sheaf_binary() {
#ifdef SHEAF_BINARY
  return SHEAF_BINARY;
#else
  const char* path = std::getenv("SHEAF_BINARY");
  if (path == nullptr) throw std::runtime_error("SHEAF_BINARY is not set");
  return path;
#endif
}

CommandResult run_sheaf(const std::string& store, const std::vector<std::string>& args, const CommandOptions& options) {
  std::vector<std::string> argv = {sheaf_binary(), "--store", store};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::string last_line(const std::string& text) {
  auto lines = lines_of(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->empty()) return *it;
  }
  return "";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace sheaf::testing
