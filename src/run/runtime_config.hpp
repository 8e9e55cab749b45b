// The OCI runtime configuration (runtime-spec 1.0.2's config.json) that
// `sheaf run` hands to runc or crun, as typed data: what a container gets
// is decided in run/plan.hpp, and only render() knows the document's shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sheaf::run {

struct Mount {
  std::string destination;
  std::string type;    // "bind", "proc", "tmpfs", ...
  std::string source;  // a host path for binds, else the filesystem's name
  std::vector<std::string> options;
  friend bool operator==(const Mount&, const Mount&) = default;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

struct RuntimeConfig {
  // process
  bool terminal = false;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE
  std::string cwd = "/";
  std::vector<std::string> capabilities;  // bounding, effective and permitted alike
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = true;
  // root, relative to the bundle
  std::string root = "rootfs";
  bool read_only = false;
  std::string hostname;
  std::vector<Mount> mounts;
  std::vector<std::string> namespaces;  // "pid", "network", ...
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
};

// A container's usual surroundings, as podman gives them: the kernel
// filesystems under /proc, /dev and /sys, podman's default capabilities,
// the masked and read-only kernel paths, and a namespace for each of pid,
// ipc, uts and mount (plus network unless `host_network`).
RuntimeConfig default_runtime_config(bool host_network);

// config.json's bytes.
std::string render(const RuntimeConfig& config);

}  // namespace sheaf::run
