// sheaf.toml: the image spec, parsed strictly.
//
// Parsing never runs code. Every table and key is known: an unknown key, a
// value of the wrong type or a malformed entry is a ParseError whose `where`
// is "FILE:LINE:COLUMN", with a "did you mean" for a misspelt key. The format
// is documented in docs/formats/spec.md.
//
// Sections so far:
//   [source.debian]  suites, components, arch, mirror, keyring
//   [packages]       include (pins allowed: "name=version"), exclude, recommends
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::spec {

// Where something was written in the spec, for messages.
struct Position {
  unsigned line = 0;
  unsigned column = 0;
};

// One `include` entry: a package name, optionally pinned to one version.
struct PackagePin {
  std::string name;
  std::optional<std::string> version;  // "=VERSION" in the spec
  Position position;

  // "name" or "name=version", as written.
  std::string str() const { return version ? name + "=" + *version : name; }
  friend bool operator==(const PackagePin& a, const PackagePin& b) {
    return a.name == b.name && a.version == b.version;
  }
};

// [source.debian]: where Debian packages come from.
struct DebianSource {
  std::vector<std::string> suites;               // required, in the spec's order
  std::vector<std::string> components{"main"};   // default: main
  std::string arch;                              // default: the host's
  std::optional<std::string> mirror;             // URL; default: the host's apt sources
  std::optional<std::filesystem::path> keyring;  // absolute (relative paths resolve against the spec's directory)
};

// [packages]
struct PackageSelection {
  std::vector<PackagePin> include;   // in the spec's order
  std::vector<std::string> exclude;  // sorted, unique
  bool recommends = false;
};

struct Spec {
  std::filesystem::path path;  // the file it was read from
  std::optional<DebianSource> debian;
  PackageSelection packages;

  // Reads and parses `path`. Throws an Error when the file cannot be read, and
  // a ParseError ("FILE:LINE:COLUMN: problem") when it is not a valid spec.
  static Spec load(const std::filesystem::path& path);
  // Parses `text`; `path` names the file in messages and anchors relative paths.
  static Spec parse(std::string_view text, const std::filesystem::path& path);

  // "FILE:LINE:COLUMN" for a position in this spec.
  std::string where(const Position& position) const;
};

}  // namespace sheaf::spec
