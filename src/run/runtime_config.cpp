#include "run/runtime_config.hpp"

#include <nlohmann/json.hpp>

namespace sheaf::run {

RuntimeConfig default_runtime_config(bool host_network) {
  RuntimeConfig c;
  c.mounts = {
      {"/proc", "proc", "proc", {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
  };
  c.namespaces = {"pid", "ipc", "uts", "mount"};
  if (!host_network) c.namespaces.push_back("network");
  c.capabilities = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                    "CAP_KILL",    "CAP_AUDIT_WRITE"};
  c.masked_paths = {"/proc/acpi",        "/proc/kcore",       "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"};
  c.readonly_paths = {"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return c;
}

std::string render(const RuntimeConfig& c) {
  using nlohmann::json;
  json mounts = json::array();
  for (const auto& m : c.mounts) {
    json mount = {{"destination", m.destination}, {"type", m.type}, {"source", m.source}};
    if (!m.options.empty()) mount["options"] = m.options;
    mounts.push_back(mount);
  }
  json namespaces = json::array();
  for (const auto& n : c.namespaces) namespaces.push_back({{"type", n}});
  json rlimits = json::array();
  for (const auto& r : c.rlimits) rlimits.push_back({{"type", r.type}, {"soft", r.soft}, {"hard", r.hard}});
  json doc = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", c.terminal},
        {"user", {{"uid", c.uid}, {"gid", c.gid}}},
        {"args", c.args},
        {"env", c.env},
        {"cwd", c.cwd},
        {"capabilities", {{"bounding", c.capabilities}, {"effective", c.capabilities}, {"permitted", c.capabilities}}},
        {"rlimits", rlimits},
        {"noNewPrivileges", c.no_new_privileges}}},
      {"root", {{"path", c.root}, {"readonly", c.read_only}}},
      {"hostname", c.hostname},
      {"mounts", mounts},
      {"linux", {{"namespaces", namespaces}, {"maskedPaths", c.masked_paths}, {"readonlyPaths", c.readonly_paths}}},
  };
  return doc.dump(2);
}

}  // namespace sheaf::run
