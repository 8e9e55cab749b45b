// What a package's programs run without declaring it: the interpreter of a
// script ("#!/bin/sh"), the commands a shell script runs (sed, mkdir), and
// the shell behind system(3) and popen(3). Debian
// lets packages rely on the Essential set (dash, bash, perl-base, coreutils)
// without a dependency, so an image made of declared dependencies alone may
// lack them. The build turns these needs into `suggestion:` lines
// (image/effects.hpp; docs/decisions.md, "What Essential provides").
//
// Derived at import from the package's own files, never by running one.
// Only programs are looked at, executable regular files in a bin or sbin
// directory under /usr (/usr/bin, /usr/lib/postgresql/15/bin): a script's
// first line, and an ELF program's (it has a PT_INTERP) undefined dynamic
// symbols, for any ELF class and byte order, so foreign architectures work
// the same.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/unique_fd.hpp"
#include "fileset/entry.hpp"

namespace sheaf::deb {

struct ProgramNeed {
  std::string program;  // absolute, merged-/usr: "/usr/sbin/apache2ctl"
  // What it runs: an absolute path ("/bin/sh", "/usr/bin/perl"), or
  // "command:NAME" for `#!/usr/bin/env NAME`, looked up on the PATH.
  std::string needs;
  std::string why;  // "interpreter", "system(3)", "popen(3)", "run by the script"
  bool operator==(const ProgramNeed&) const = default;
};

// Opens a file entry's content for reading; nullopt when it cannot.
using ContentOpener = std::function<std::optional<UniqueFd>(const fileset::Entry&)>;

// The needs of every executable file in `entries` (paths relative, as a
// FileSet has them), in path order. Unreadable or malformed files are
// skipped: this is advice, not validation.
std::vector<ProgramNeed> program_needs(const std::vector<fileset::Entry>& entries, const ContentOpener& open);

// The commands a shell script runs by name or absolute path: the first
// words of its simple commands (inside $(...) too) that are written out,
// less the shell's builtins and the script's own functions. Empty when it
// does not parse.
std::vector<std::string> shell_script_commands(std::string_view text);

// Reads the first line of a script ("#!/bin/sh -e\n...") and returns the
// needs it implies, or nothing when it is not one.
std::vector<std::string> interpreter_needs(std::string_view head);

// The names of the undefined dynamic symbols of the ELF file in `fd` among
// `wanted`, or nullopt when it is not an ELF program (no PT_INTERP) or
// cannot be read.
std::optional<std::vector<std::string>> elf_program_imports(int fd, const std::vector<std::string>& wanted);

nlohmann::json needs_to_json(const std::vector<ProgramNeed>& needs);
std::vector<ProgramNeed> needs_from_json(const nlohmann::json& doc);

}  // namespace sheaf::deb
