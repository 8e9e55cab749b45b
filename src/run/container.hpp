// `sheaf run`: an image from the store, run by an OCI runtime over an
// overlay of shared package trees.
//
//   1. each layer's packages get their tree (run/package_tree.hpp);
//   2. <store>/run/<container>/ gets an overlay of the trees (the image's
//      last layer on top) at bundle/rootfs, with upper/ and work/ beside it
//      unless the root is read-only. Steps 1 and 2 hold the store lock
//      shared; the directory's `lock`, held for the container's life, and
//      its `trees`, the trees it uses, then keep gc from removing them;
//   3. the command is looked up inside that root: missing is exit 127, not
//      executable 126, as podman says;
//   4. bundle/config.json (OCI runtime spec) is written and runc or crun runs
//      it in the foreground; signals sheaf receives are passed on, and the
//      container's exit status becomes sheaf's;
//   5. the runtime's state, the mount and the directory are removed, also
//      after SIGINT or SIGTERM.
// Failures before the command starts are Errors (exit 125 in the CLI).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "run/trace_fs.hpp"
#include "store/local_store.hpp"

namespace sheaf::run {

inline constexpr int kExitRunFailed = 125;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitNotFound = 127;

enum class Network { none, host };

struct RunRequest {
  Digest manifest;                   // the image
  std::vector<std::string> env;      // KEY=VALUE, over the image's
  std::vector<std::string> volumes;  // SRC:DST[:ro]
  std::optional<std::string> user;   // NAME, UID or UID:GID
  std::optional<std::string> workdir;
  std::optional<std::string> entrypoint;        // replaces the image's
  std::optional<std::vector<std::string>> cmd;  // replaces the image's cmd, keeps its entrypoint
  Network network = Network::none;
  bool read_only = false;
  std::string runtime;  // "runc", "crun", or "" to pick one that works here
  bool keep = false;    // leave the bundle in place (debugging)
};

// Which runtime to use: `requested`, or crun unless the host's cgroups are
// in hybrid mode (which crun refuses), else runc. Throws when none is there.
std::string choose_runtime(const std::string& requested);

// `sheaf image export IMAGE --rootfs DIR`: the image's flattened root, the
// union of its layers' FileSets, written to DIR (absent or empty). Owners are
// kept when running as root. Returns the files written.
std::uint64_t export_rootfs(store::LocalStore& store, const Digest& manifest, const std::filesystem::path& dir);

// Runs the container to its end and returns its exit code (128 + signal
// when a signal ended it), or 126/127 when the command cannot be run.
int run_container(store::LocalStore& store, const RunRequest& request);

// A running container, for RunControl::alongside.
struct ContainerHandle {
  // Asks the runtime to send a signal ("SIGQUIT", "15") to the container's
  // first process; nothing happens when it is not running.
  std::function<void(const std::string&)> signal;
  // True once the container ended.
  std::function<bool()> ended;
};

// What `sheaf trim` adds to a run.
struct RunControl {
  // The container is killed (SIGKILL) this long after it started.
  std::optional<std::chrono::milliseconds> time_limit;
  // When set, the root is served through a TracingMount (run/trace_fs.hpp)
  // below the container's overlay, and what the run touched lands here.
  AccessTrace* trace = nullptr;
  // The container's stdout goes to this descriptor (no terminal then).
  int stdout_fd = -1;
  // Runs on a thread of its own once the runtime started (a server
  // workload's probes). The run ends when both the container and this have
  // ended; what it throws, the run throws.
  std::function<void(const ContainerHandle&)> alongside;
};

struct RunOutcome {
  int exit_code = 0;
  bool timed_out = false;  // the time limit killed it
};

RunOutcome run_container(store::LocalStore& store, const RunRequest& request, const RunControl& control);

// A stored image's root, mounted read-only (steps 1 and 2 above, with no
// upper layer), for as long as the object lives: what a recipe's build
// environment is (build/sandbox.hpp). Its directory under <store>/run/ keeps
// gc from the trees it uses. Needs root.
class ImageRoot {
 public:
  ImageRoot(store::LocalStore& store, const Digest& manifest);
  ~ImageRoot();
  ImageRoot(const ImageRoot&) = delete;
  ImageRoot& operator=(const ImageRoot&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::filesystem::path path_;
};

}  // namespace sheaf::run
