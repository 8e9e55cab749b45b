// Running programs from tests: the sheaf binary under test, and real peer
// tools. Captures stdout and stderr separately.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that killed it, if any
  std::string out;
  std::string err;
  long max_rss_kib = 0;  // peak resident memory of the child
};

struct CommandOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::optional<uid_t> uid;                // run as this user (the caller must be root)
  std::optional<gid_t> gid;
  // Send SIGKILL after this long; nullopt waits for the end.
  std::optional<std::chrono::microseconds> kill_after;
};

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

// A program started in the background, for tests of processes that run at
// the same time. Its stdout and stderr go to files; wait() collects them.
// The destructor kills (SIGKILL) and reaps a program still running.
class BackgroundCommand {
 public:
  explicit BackgroundCommand(const std::vector<std::string>& argv, const CommandOptions& options = {});
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  pid_t pid() const noexcept { return pid_; }
  // What it wrote to stderr so far.
  std::string err_so_far() const;
  void kill(int signal);
  // Waits for the end; the result's out and err are all it wrote.
  CommandResult wait();

 private:
  pid_t pid_ = -1;
  std::string dir_;  // holds "out" and "err"
  std::optional<CommandResult> result_;
};

// `sheaf --store STORE ARGS...` in the background.
std::unique_ptr<BackgroundCommand> start_sheaf(const std::string& store, const std::vector<std::string>& args,
                                               const CommandOptions& options = {});

// The sheaf binary this build produced, and a runner with --store set.
std::string sheaf_binary();
CommandResult run_sheaf(const std::string& store, const std::vector<std::string>& args,
                        const CommandOptions& options = {});

// True when `text` holds `part` (for messages in test assertions).
bool contains(const std::string& text, std::string_view part);

// The last non-empty line of `text`.
std::string last_line(const std::string& text);
// The lines of `text`, without their newlines.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace sheaf::testing
