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

// Why a test of the host's mirror and tools cannot run on this machine, for
// GTEST_SKIP: the host's apt configuration names no reachable mirror, or
// one of `tools` is not installed; "" when it can run.
std::string mirror_test_skip_reason(const std::vector<std::string>& tools);

// podman ARGS..., with the flags these machines need.
std::vector<std::string> podman(std::vector<std::string> args);
// podman run --rm --pull=never with those rlimits, EXTRA..., IMAGE.
std::vector<std::string> podman_run(const std::string& image, std::vector<std::string> extra = {});

}  // namespace sheaf::testing
