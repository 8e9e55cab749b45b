// What Debian's Essential set gives every system without a dependency
// naming it, and how sheaf makes up for it in an image (docs/decisions.md,
// "What Essential provides"):
//
//   - packages the image gets without being asked (implicit_packages): the
//     locale the image's environment names, when Debian ships it as part of
//     an Essential package (C.UTF-8, in libc-bin). sheaf lock resolves them
//     with the spec's include, unless the spec excludes them;
//   - packages it only suggests (essential_provider): the interpreter of a
//     script a member ships, the shell behind system(3) and popen(3), and
//     locales outside libc-bin. The build prints
//     "suggestion: include PACKAGE (REASON)"; adding a shell to every image
//     would give up shell-free images.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sheaf::deb {

struct ImplicitPackage {
  std::string name;    // "libc-bin"
  std::string reason;  // "LANG=C.UTF-8 names the C.UTF-8 locale, which libc-bin ships"
};

// The packages an image with this environment ("KEY", "VALUE" pairs) gets
// implicitly, sorted by name, each once.
std::vector<ImplicitPackage> implicit_packages(const std::vector<std::pair<std::string, std::string>>& env);

// True for the environment variables that name a locale (LANG, LANGUAGE is
// not one, LC_ALL, LC_*).
bool is_locale_variable(std::string_view key);

// The package that ships a locale: libc-bin for C.UTF-8 (either spelling),
// locales-all for the rest; nullopt for C and POSIX, which need no files.
std::optional<std::string> locale_package(std::string_view locale);

// The Essential package that provides what a program needs
// (deb/program_needs.hpp): "/usr/bin/sh" -> dash, "command:sed" -> sed.
// `need` is canonical (merged-/usr, absolute) or "command:NAME". The table
// is bookworm's (src/deb/essential_commands.inc, made by
// tools/essential-commands); later releases move few commands.
std::optional<std::string> essential_provider(std::string_view need);

}  // namespace sheaf::deb
