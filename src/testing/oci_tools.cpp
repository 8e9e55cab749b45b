#include "testing/oci_tools.hpp"

#include "testing/command.hpp"

namespace sheaf::testing {

std::string tool(const std::string& name) {
  CommandResult r = run_command({"/bin/sh", "-c", "command -v " + name});
  return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
}

std::string mirror_test_skip_reason(const std::vector<std::string>& tools) {
  CommandResult probe = run_command({"/usr/bin/apt-get", "-qq", "--print-uris", "download", "base-files"});
  if (probe.exit_code != 0 || probe.out.empty()) return "the host's apt configuration names no reachable mirror";
  for (const auto& t : tools) {
    if (tool(t).empty()) return t + " is not installed (tools/dev test installs it)";
  }
  return "";
}

std::vector<std::string> podman(std::vector<std::string> args) {
  std::vector<std::string> argv{tool("podman"), "--runtime",        "runc", "--cgroup-manager",
                                "cgroupfs",     "--events-backend", "file"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> podman_run(const std::string& image, std::vector<std::string> extra) {
  std::vector<std::string> args{"run",      "--rm",           "--pull=never", "--ulimit", "nofile=1024:20000",
                                "--ulimit", "nproc=4096:4096"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(image);
  return podman(args);
}

}  // namespace sheaf::testing
