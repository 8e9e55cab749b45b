// Running a helper program and reading what it prints.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sheaf {

struct ProcessResult {
  int exit_code = -1;  // -1 when the program was killed by a signal
  std::string out;     // everything it wrote to stdout
};

struct RunOptions {
  // Send the program's stderr to /dev/null instead of ours: for tools whose
  // messages we replace with our own (gpgv, whose status lines we parse).
  bool discard_stderr = false;
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null and stderr
// inherited (or discarded), and collects stdout. Returns nullopt when the
// program cannot be started (for example, it is not installed).
std::optional<ProcessResult> run_capture(const std::vector<std::string>& argv, const RunOptions& options = {});

}  // namespace sheaf
