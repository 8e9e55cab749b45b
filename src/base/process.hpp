// Starting programs: the one place sheaf forks and execs (posix_spawn).
// run_capture runs a helper and reads what it prints; spawn and wait_for
// start a program and wait for it, for callers that manage it themselves
// (sheaf run hands containers to runc or crun this way).
#pragma once

#include <signal.h>
#include <sys/types.h>

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

struct SpawnOptions {
  bool stdin_null = false;      // stdin from /dev/null instead of ours
  int stdout_fd = -1;           // stdout to this descriptor instead of ours
  bool discard_stdout = false;  // stdout to /dev/null
  bool discard_stderr = false;  // stderr to /dev/null
  int stderr_fd = -1;           // stderr to this descriptor instead of ours
  bool new_process_group = false;  // the program leads a process group of its own
  int fd3 = -1;                    // given to the program as its descriptor 3 (bwrap's --info-fd 3)
  // Signals to unblock in the program: a caller that blocks signals in order
  // to forward them (sigwaitinfo) must not pass that mask on.
  const sigset_t* unblock = nullptr;
};

// Starts argv[0] (a path, or a name looked up in PATH) with sheaf's
// environment. Returns its pid, or nullopt when it cannot be started (not
// installed, not executable).
std::optional<pid_t> spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// A program of the host's system directories (/usr/sbin, /usr/bin, /sbin,
// /bin, /usr/local/sbin, /usr/local/bin, in that order), whatever PATH says:
// for the tools sheaf hands work to as root (runc, crun, bwrap).
std::optional<std::string> find_system_program(const std::string& name);

// Waits for the child `pid` to end (through EINTR) and returns its wait
// status, as waitpid gives it.
int wait_for(pid_t pid);

// Waits at most `timeout_ms` for the child `pid` to end: its wait status, or
// nullopt when it is still running (the caller may kill it and wait_for it).
std::optional<int> wait_for(pid_t pid, long timeout_ms);

}  // namespace sheaf
