#include "build/sandbox.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.hpp"
#include "base/process.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::build {

namespace fs = std::filesystem;

namespace {

// The lines of the log a failure quotes.
constexpr std::size_t kTailLines = 25;

// What the sandbox mounts itself: never taken from the environment's root.
bool mounted_by_sandbox(const std::string& name) {
  static const std::set<std::string> own{"build", "dev", "proc", "tmp"};
  return own.count(name) > 0;
}

std::string tail_of(const fs::path& log, std::size_t lines) {
  std::ifstream in(log, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::size_t at = text.size();
  for (std::size_t n = 0; n < lines && at != std::string::npos && at > 0; ++n) at = text.rfind('\n', at - 1);
  std::string tail = at == std::string::npos ? text : text.substr(at + 1);
  std::string out;
  for (std::string_view line : split_lines(tail)) out += fmt::format("\n  | {}", line);
  return out;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by {}", ::strsignal(WTERMSIG(status)));
  return "ended abnormally";
}

// The pid (in our namespace) of the sandbox's init, which bwrap writes to
// its --info-fd as JSON ("child-pid": N); nullopt when bwrap ended first.
std::optional<pid_t> sandbox_init_pid(int info_fd) {
  auto info = nlohmann::json::parse(read_all(info_fd, "bwrap's --info-fd"), nullptr, false);
  if (!info.is_object() || !info.contains("child-pid") || !info["child-pid"].is_number_integer()) return std::nullopt;
  return info["child-pid"].get<pid_t>();
}

// Kills a step past the time limit and returns once nothing of it is left.
// bwrap's init runs the step in a session of its own, so the group of the
// bwrap we started does not hold it: the init is killed by its pidfd, which
// ends every process of its PID namespace, and the pidfd turns readable only
// after the kernel has reaped them all. Waiting for our bwrap alone would
// return while the step's processes may still be dying (and writing).
void kill_step(pid_t bwrap, int init_pidfd) {
  if (init_pidfd >= 0) ::syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, nullptr, 0);
  ::kill(-bwrap, SIGKILL);
  if (init_pidfd >= 0) {
    struct pollfd p {
      init_pidfd, POLLIN, 0
    };
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
  }
  wait_for(bwrap);
}

std::string shown_step(const std::string& step) {
  std::string one_line = step.substr(0, step.find('\n'));
  if (one_line.size() > 80) one_line = one_line.substr(0, 77) + "...";
  if (one_line.size() < step.size()) one_line += " ...";
  return one_line;
}

}  // namespace

std::string find_bwrap() {
  if (auto path = find_system_program("bwrap")) return *path;
  fail("recipe builds run in bubblewrap's sandbox, and bwrap is not installed (apt-get install bubblewrap)");
}

std::vector<std::string> sandbox_env(const SandboxRequest& request) {
  std::vector<std::string> env{
      "PATH=" + std::string(kSandboxPath),
      "HOME=" + std::string(kHomeDir),
      "TZ=UTC",
      "LANG=C.UTF-8",
      "SOURCE_DATE_EPOCH=" + std::to_string(request.source_date_epoch),
      "DESTDIR=" + std::string(kDestDir),
      "HOSTNAME=" + std::string(kSandboxHostname),
  };
  for (const auto& [key, value] : request.env) env.push_back(key + "=" + value);
  return env;
}

std::vector<std::string> sandbox_argv(const std::string& bwrap, const SandboxRequest& request, const std::string& step) {
  std::vector<std::string> argv{bwrap,
                                "--unshare-user",
                                "--uid",
                                "0",
                                "--gid",
                                "0",
                                "--unshare-ipc",
                                "--unshare-pid",
                                "--unshare-net",
                                "--unshare-uts",
                                "--unshare-cgroup-try",
                                "--hostname",
                                std::string(kSandboxHostname),
                                "--die-with-parent",
                                "--new-session",
                                "--info-fd",
                                "3",
                                "--clearenv"};
  // The environment's root, entry by entry: a bind of "/" itself would need
  // the mount points below to exist in the (read-only) root.
  std::vector<std::pair<std::string, fs::file_status>> entries;
  for (const auto& entry : fs::directory_iterator(request.root)) {
    entries.emplace_back(entry.path().filename().string(), entry.symlink_status());
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, status] : entries) {
    if (mounted_by_sandbox(name)) continue;
    fs::path host = request.root / name;
    if (fs::is_symlink(status)) {
      argv.insert(argv.end(), {"--symlink", fs::read_symlink(host).string(), "/" + name});
    } else {
      argv.insert(argv.end(), {"--ro-bind", host.string(), "/" + name});
    }
  }
  argv.insert(argv.end(), {"--proc", "/proc", "--dev", "/dev"});
  argv.insert(argv.end(), {"--bind", request.tmp_dir.string(), "/tmp"});
  argv.insert(argv.end(), {"--bind", request.source_dir.string(), std::string(kSourceDir)});
  argv.insert(argv.end(), {"--bind", request.dest_dir.string(), std::string(kDestDir)});
  argv.insert(argv.end(), {"--bind", request.home_dir.string(), std::string(kHomeDir)});
  // The bound directories keep the host's modes; the build's root sees its
  // own, writable only by itself.
  argv.insert(argv.end(), {"--remount-ro", "/"});
  for (const auto& kv : sandbox_env(request)) {
    auto eq = kv.find('=');
    argv.insert(argv.end(), {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }
  argv.insert(argv.end(), {"--chdir", std::string(kSourceDir), "--", "/bin/sh", "-c",
                           "umask 022 && exec /bin/sh -e -c \"$1\"", "sheaf-step", step});
  return argv;
}

void run_steps(const SandboxRequest& request) {
  std::string bwrap = find_bwrap();
  {
    // /bin/sh runs every step: the environment must have one.
    struct stat st {};
    fs::path sh = request.root / "bin/sh";
    std::error_code ec;
    fs::path resolved = fs::is_symlink(request.root / "bin", ec)
                            ? request.root / fs::read_symlink(request.root / "bin", ec) / "sh"
                            : sh;
    if (::lstat(resolved.c_str(), &st) != 0 && ::lstat(sh.c_str(), &st) != 0) {
      fail("the build environment has no /bin/sh, which runs the steps; include dash (Debian's Essential set has it)");
    }
  }
  UniqueFd log(::open(request.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) fail_errno(errno, "cannot write the build log " + quote(request.log.string()));
  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  for (std::size_t i = 0; i < request.steps.size(); ++i) {
    const std::string& step = request.steps[i];
    if (request.on_step) request.on_step(i, step);
    std::string header = fmt::format("+ [step {}/{}] {}\n", i + 1, request.steps.size(), step);
    if (::write(log.get(), header.data(), header.size()) < 0) fail_errno(errno, "cannot write the build log");
    int info[2];
    if (::pipe2(info, O_CLOEXEC) != 0) fail_errno(errno, "cannot create a pipe");
    UniqueFd info_read(info[0]);
    UniqueFd info_write(info[1]);
    auto pid = spawn(sandbox_argv(bwrap, request, step), {.stdin_null = true,
                                                          .stdout_fd = log.get(),
                                                          .stderr_fd = log.get(),
                                                          .new_process_group = true,
                                                          .fd3 = info_write.get()});
    if (!pid) fail("cannot start {}", bwrap);
    info_write.reset();
    // The pidfd is used only when our bwrap is still running at the time
    // limit; bwrap ends as soon as it has reaped its init, so then the init's
    // pid had not been reused when it was opened.
    UniqueFd init_pidfd;
    if (auto init = sandbox_init_pid(info_read.get())) {
      init_pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, *init, 0)));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    std::optional<int> status = wait_for(*pid, std::max<long>(0, static_cast<long>(left.count())));
    if (!status) {
      kill_step(*pid, init_pidfd.get());
      fail("step {} of {} ({}) was still running when the build's time limit of {} s ran out; it was killed{}", i + 1,
           request.steps.size(), quote(shown_step(step)),
           std::chrono::duration_cast<std::chrono::seconds>(request.timeout).count(),
           tail_of(request.log, kTailLines));
    }
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) continue;
    fail("step {} of {} ({}) {}; the build has no network and sees only its environment, its sources and /build "
         "(docs/formats/recipe.md). The end of its output:{}",
         i + 1, request.steps.size(), quote(shown_step(step)), describe_status(*status),
         tail_of(request.log, kTailLines));
  }
}

}  // namespace sheaf::build
