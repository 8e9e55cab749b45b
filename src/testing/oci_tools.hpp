// The container ecosystem's own tools, as tests run them on these machines
// (../shared/machine-notes.md): podman with runc, cgroupfs and rlimits the
// caller can grant.
#pragma once

#include <string>
#include <vector>

namespace sheaf::testing {

// The absolute path of a tool on $PATH ("" when absent): run_command execs
// paths, not names.
std::string tool(const std::string& name);

// podman ARGS..., with the flags these machines need.
std::vector<std::string> podman(std::vector<std::string> args);
// podman run --rm --pull=never with those rlimits, EXTRA..., IMAGE.
std::vector<std::string> podman_run(const std::string& image, std::vector<std::string> extra = {});

}  // namespace sheaf::testing
