// The reader of maintainer scripts behind derive_script_effects
// (deb/script_effects.hpp): a POSIX shell evaluated over a model of a fresh
// system, recording what the scripts would change. Nothing here executes
// anything: every command is either modelled or recorded as uninterpreted.
// Private to the module. ScriptReader's members are defined in
//   script_reader.cpp    the entry point, evaluation and expansion
//   script_commands.cpp  the table of commands, accounts, dpkg's own tools
//   script_files.cpp     commands that make, change and remove paths
//   script_tools.cpp     text and test utilities, commands that run others
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "deb/script_effects.hpp"
#include "deb/shell_script.hpp"

namespace sheaf::deb::reader {

using Args = std::vector<std::string>;

inline constexpr int kMaxSteps = 200000;     // commands evaluated per script
inline constexpr int kMaxLoopRounds = 1000;  // rounds of one while/until loop
inline constexpr int kMaxCallDepth = 64;     // functions, substitutions and eval, nested

// A path as the reader compares it: absolute, normalised, merged-/usr.
std::string canonical_path(std::string_view path);
// The last component of a path, and the directory above it, as basename(1)
// and dirname(1) give them.
std::string basename_of(std::string_view path);
std::string dirname_of(std::string_view path);
// A decimal integer as test(1) and expr(1) take it: blanks and a + before it.
std::optional<std::int64_t> to_integer(std::string_view text);
// A shell pattern (fnmatch) against a text.
bool matches(std::string_view pattern, std::string_view text);
// Directories every Debian system has before any package's scripts run.
bool is_system_directory(std::string_view path);

// A command that could not be followed: recorded, and the script goes on
// as if it had succeeded.
struct Uninterpretable {
  std::string what;
};
// A limit that stops reading the script.
struct Abort {
  std::string what;
};

class ScriptReader {
 public:
  ScriptReader(const PackageFiles& files, const FileReader& read_file, std::string_view package, std::string_view arch,
               ScriptEffects& out)
      : files_(files), read_file_(read_file), package_(package), arch_(arch), out_(out) {}

  // Reads one script with its arguments ("install" for preinst, "configure"
  // for postinst) on the system the scripts read before it left.
  void read(const MaintainerScript& script, const Args& positional);

  // Package files the scripts removed and did not make again.
  void report_removed();

 private:
  enum class Flow { normal, exit, return_, break_, continue_ };

  // --- evaluation (script_reader.cpp) ---------------------------------------

  void run(const ShellNode& node);

  // After a loop body: false when the loop should stop.
  bool loop_continues();

  // While it lives, what the commands print goes into a string ($(...),
  // a redirection to a file).
  struct Capture {
    ScriptReader& r;
    std::string* saved;
    Capture(ScriptReader& reader, std::string* into) : r(reader), saved(reader.output_) { r.output_ = into; }
    ~Capture() { r.output_ = saved; }
  };

  // Redirections. Standard output sent to /dev/null or to another
  // descriptor is hidden from $(...); standard output written to a file
  // makes or extends that file (a CreatedPath with its content); standard
  // error is not modelled. A here document is standard input; so is a file
  // read with <, whose content the reader does not know (it reads as empty).
  template <typename Body>
  void with_redirects(const ShellNode& node, Body&& body);

  // A here document's text, expanded as inside "..." unless its delimiter
  // is quoted.
  std::string here_document(const ShellRedirect& r);

  // > or >> FILE: the file the script writes, as a CreatedPath of kind
  // file holding what was written.
  void write_file(const std::string& path, const std::string& text, bool append);

  void run_simple(const ShellNode& node);
  void run_simple_command(const ShellNode& node);
  void call(const Args& argv);

  // --- expansion (script_reader.cpp) ----------------------------------------

  // A word's fields after parameter and command substitution and field
  // splitting. Pathname expansion is not done: a glob stays as written.
  Args expand(const ShellWord& word, bool split = true);

  std::string expand_one(const ShellWord& word);

  // A case pattern: quoted parts match literally.
  std::string expand_pattern(const ShellWord& word);

  std::optional<std::string> variable(std::string_view name) const;

  // What is inside ${...}, or a bare $name.
  std::string parameter(const std::string& text);

  // $(...): the output of the commands, trailing newlines removed.
  std::string substitute(const std::string& text);

  // $((...)), after expansion: integers with + - * / % and comparisons,
  // variables by name.
  std::int64_t arithmetic(const std::string& text);

  // --- the model of the system (script_reader.cpp) --------------------------

  std::optional<fileset::EntryType> path_type(std::string_view path) const;
  bool is_dir(std::string_view path) const { return path_type(path) == fileset::EntryType::dir; }
  bool user_exists(std::string_view name) const { return find_fixed_user(name) || users_.contains(name); }
  bool group_exists(std::string_view name) const { return find_fixed_group(name) || groups_.contains(name); }
  void emit(std::string_view text);

  // --- the table of commands, accounts, dpkg's tools (script_commands.cpp) --

  int command(const Args& a);
  static std::string describe_command(const Args& a);

  using Handler = int (ScriptReader::*)(const Args&);
  static const std::map<std::string, Handler, std::less<>>& handlers();
  // Service, cache, trigger and bookkeeping commands: nothing an image needs.
  // ldconfig and update-ca-certificates are derived by the assembly itself.
  static const std::set<std::string, std::less<>>& quiet_commands();

  static const std::map<std::string, std::string_view, std::less<>>& runtime_state_commands();
  bool is_known_command(std::string_view name) const;

  // Splits "--name=value" into two arguments, for the tools that accept both.
  static Args split_long_options(const Args& a);

  std::string absolute(const std::string& path) const;

  int succeed(const Args&) { return 0; }
  int not_installed(const Args&) { return 1; }
  int update_alternatives(const Args& raw);

  // An account Debian's fixed set has: the tool finds it and changes
  // nothing, but the image now needs it (image/accounts.hpp), so it is
  // recorded once, by name.
  bool fixed_exists(Account account, bool user);

  // Once per kind of state, command and script (openssh-server makes one
  // key per algorithm).
  void record_runtime_state(RuntimeState state);

  void add_user(Account account);
  void add_group(Account account);
  std::optional<std::uint32_t> id_argument(const std::string& text) const;

  // Debian's adduser (3.134): adduser [options] USER, adduser USER GROUP,
  // adduser --group GROUP.
  int adduser(const Args& raw);

  int addgroup(const Args& raw);
  int useradd(const Args& raw);
  int groupadd(const Args& raw);

  // usermod -a -G GROUPS USER (-aG too); anything else is not modelled.
  int usermod(const Args& a);

  int gpasswd(const Args& a);
  int dpkg_divert(const Args& raw);
  int dpkg_statoverride(const Args& a);

  // debconf: no questions are asked; db_get answers "" (the image leaves
  // configuration to its spec).
  int debconf(const Args& a);

  // deb-systemd-helper: "was-enabled" answers yes on a fresh system, so
  // scripts take their enable branch, which changes nothing in an image.
  int deb_systemd_helper(const Args& a);

  int dpkg(const Args& a);
  static bool compare_versions(const std::string& left, const std::string& op, const std::string& right);

  // --- paths (script_files.cpp) ---------------------------------------------

  int chown(const Args& a);
  int chmod(const Args& a);
  void make(CreatedPath::Kind kind, const std::string& path, std::string source, std::string mode);
  int mkdir(const Args& a);
  int touch(const Args& a);
  int ln(const Args& a);

  // A copy of one of the package's own files.
  int copy_file(const std::string& from, const std::string& to, std::string mode, const std::string& tool);

  int cp(const Args& a);
  int install(const Args& a);

  // ucf [options] NEW DEST: installs NEW as the configuration file DEST.
  int ucf(const Args& a);

  // Removing on a fresh system removes only what the scripts made, which
  // the reader then forgets; removing the package's own files is not modelled.
  // A package file the script removes stays removed in the model; if the
  // script makes the path again (dash's postinst replaces /bin/sh with a
  // new link), what it made stands. One still removed at the end is
  // reported: an image layer cannot remove what the package's layer holds.
  int rm(const Args& a);

  // mv FROM TO: what the script made moves; the package's own files do not.
  int mv(const Args& a);

  int readlink(const Args& a);

  // apache2's a2enmod, a2enconf and a2ensite: the link in *-enabled/ to
  // each file of *-available/ that the package ships, as those tools make.
  int a2enable(const Args& a);

  // The modules a mods-available/NAME.load file's "# Depends:" line names.
  std::vector<std::string> module_dependencies(const std::string& load_file) const;

  // mktemp [-d] [TEMPLATE]: a fresh name under /tmp (what is left there
  // when the scripts end is dropped: see derive_script_effects).
  int mktemp(const Args& a);

  // What a file holds, when the reader can know: one the scripts wrote, or
  // one the package ships (read through read_file_).
  std::optional<std::string> content_of(const std::string& raw) const;

  // --- text, tests and commands that run others (script_tools.cpp) ----------

  int getent(const Args& a);
  int id(const Args& a);
  int basename(const Args& a);
  int dirname(const Args& a);
  int expr(const Args& a);
  int printf_command(const Args& a);

  // test and [.
  int test_command(const Args& raw);

  bool test_or(const Args& a, std::size_t& pos);
  bool test_and(const Args& a, std::size_t& pos);
  bool test_primary(const Args& a, std::size_t& pos);
  static bool is_binary_test(const std::string& op);

  // Commands that read standard input or files (deb/shell_filters.hpp);
  // `sed -i` edits a file whose content the reader knows.
  int filter(const Args& a);

  // read [-r] NAME...: one line of standard input, split by IFS; 1 at its end.
  int read_line(const Args& a);

  // sh SCRIPT / bash SCRIPT: another script, which the reader does not have;
  // one that makes per-host state is recorded as such.
  int shell(const Args& a);

  // `. FILE`: a shell library. One the package ships is read and run where
  // it stands; one of another package is known only by the stand-ins below.
  int source(const Args& a);

  // Shell libraries of other packages that maintainer scripts source, as
  // the reader takes them: reviewed stand-ins in shell, which keep what an
  // image needs and leave out what only a running system has.
  static const std::map<std::string, std::string_view, std::less<>>& sourced_stand_ins();

  // xargs [-0] [-r] [-n N] COMMAND ARGS...: COMMAND with the items of
  // standard input (all at once); nothing to do for no items with -r.
  int xargs(const Args& a);

  // su [-s SHELL] [-] USER -c COMMAND, runuser -u USER -- COMMAND...: the
  // command, as if the user ran it (the model has no permissions).
  int su(const Args& a);

  // uname: the kernel a build runs under is not the one the image will, so
  // the answer is a fixed, current Linux: scripts only check that it is new
  // enough. The machine follows the package's architecture.
  int uname(const Args& a);

  const PackageFiles& files_;
  const FileReader& read_file_;
  std::string package_;
  std::string arch_;
  ScriptEffects& out_;
  std::string script_;
  Args positional_;
  std::map<std::string, std::string> vars_;
  std::map<std::string, const ShellNode*> functions_;
  std::map<std::string, std::unique_ptr<ShellNode>> parsed_;  // substitutions and eval, by text
  std::map<std::string, fileset::EntryType> made_;            // paths the scripts created
  std::map<std::string, int, std::less<>> removed_;           // package files the scripts removed: the line
  std::map<std::string, Diversion, std::less<>> diverted_;    // by path, as dpkg-divert would list them
  std::set<std::string, std::less<>> users_;
  std::set<std::string, std::less<>> groups_;
  std::string* output_ = nullptr;
  std::string input_;  // what standard input holds for the command being run
  Flow flow_ = Flow::normal;
  int flow_count_ = 0;
  int status_ = 0;
  int last_substitution_status_ = 0;
  int steps_ = 0;
  int depth_ = 0;
  int line_ = 0;
  int temporaries_ = 0;
};

}  // namespace sheaf::deb::reader
