// The build sandbox: a recipe's steps, run by bubblewrap (bwrap) with no
// network and nothing of the host but what the build declares.
//
// Inside, the file system is:
//   /                the build environment's root, read-only: each top-level
//                    entry of `root` bound read-only (a symlink stays one)
//   /build/src       the sources, writable (the steps start here)
//   /build/dest      the destination ($DESTDIR), writable
//   /build/home      $HOME, writable
//   /tmp             writable, kept between steps
//   /proc, /dev      fresh and minimal
// and the process runs as root of a user namespace that maps root alone,
// with its own network (loopback only), PID, IPC, UTS ("sheaf-build") and
// cgroup namespaces. The environment is fixed (kSandboxPath, HOME, TZ=UTC,
// LANG=C.UTF-8, SOURCE_DATE_EPOCH, DESTDIR, HOSTNAME, then the recipe's own
// variables), and so is the umask (022). Each step runs as `/bin/sh -e -c
// STEP` in a bwrap of its own, so a failure names its step; one deadline
// covers them all, and a step past it is killed with everything it started.
//
// docs/decisions.md says why bwrap rather than namespaces of sheaf's own.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sheaf::build {

inline constexpr std::string_view kSandboxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr std::string_view kSandboxHostname = "sheaf-build";
inline constexpr std::string_view kSourceDir = "/build/src";
inline constexpr std::string_view kDestDir = "/build/dest";
inline constexpr std::string_view kHomeDir = "/build/home";

struct SandboxRequest {
  std::filesystem::path root;  // the environment's root, read-only
  // Host directories bound writable at /build/src, /build/dest, /build/home
  // and /tmp.
  std::filesystem::path source_dir;
  std::filesystem::path dest_dir;
  std::filesystem::path home_dir;
  std::filesystem::path tmp_dir;
  std::vector<std::string> steps;
  std::vector<std::pair<std::string, std::string>> env;  // the recipe's own, after the fixed ones
  std::int64_t source_date_epoch = 0;
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  // Where the steps' stdout and stderr go (appended), one file for all.
  std::filesystem::path log;
  // Called before each step: (index from 0, the step).
  std::function<void(std::size_t, const std::string&)> on_step = nullptr;
};

// The bwrap command line for one step (for tests and for --explain).
std::vector<std::string> sandbox_argv(const std::string& bwrap, const SandboxRequest& request, const std::string& step);

// The fixed environment, then the request's, as KEY=VALUE.
std::vector<std::string> sandbox_env(const SandboxRequest& request);

// Runs every step in order. Throws an Error naming the step and how it
// ended (with the end of the log), or an Error when the sandbox cannot be set
// up (bwrap missing, no /bin/sh in the environment).
void run_steps(const SandboxRequest& request);

// Where bwrap is; throws an Error saying how to install it when it is not.
std::string find_bwrap();

}  // namespace sheaf::build
