// Debian relationship fields (Depends, Pre-Depends, Provides, Conflicts,
// Breaks, Replaces): parsing, validation and one canonical spelling.
//
//   Depends: libc6 (>= 2.34), python3:any | python3-minimal, foo (<< 2~)
//
// Grammar, per Debian Policy section 7.1: groups separated by ',', each group
// a list of alternatives separated by '|', each alternative a package name,
// an optional ":arch" qualifier and an optional "(op version)". Architecture
// restrictions ("[amd64]") and build profiles ("<!nocheck>") belong to source
// packages and are refused here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deb/version.hpp"

namespace sheaf::deb {

enum class RelationOp { earlier, earlier_or_equal, equal, later_or_equal, later };  // << <= = >= >>

std::string_view to_string(RelationOp op);

struct Alternative {
  std::string name;
  std::string arch_qualifier;  // "" when absent; "any", "native" or an arch
  std::optional<RelationOp> op;
  std::string version;  // set when op is
  friend bool operator==(const Alternative&, const Alternative&) = default;
};

using RelationGroup = std::vector<Alternative>;  // a | b | c

// Which rules apply: alternatives appear only in dependency fields, and
// Provides allows only "=" constraints.
enum class RelationKind { dependency, conflict, provides };

class Relations {
 public:
  Relations() = default;

  // Parses a field value. Throws ParseError naming `where` and the column.
  static Relations parse(std::string_view text, RelationKind kind, std::string_view where);

  const std::vector<RelationGroup>& groups() const noexcept { return groups_; }
  bool empty() const noexcept { return groups_.empty(); }

  // The canonical spelling: "a (>= 1), b | c:any". Groups keep their order.
  std::string str() const;

  friend bool operator==(const Relations&, const Relations&) = default;

 private:
  std::vector<RelationGroup> groups_;
};

// True for a valid Debian package name: at least two characters from
// [a-z0-9+.-], starting with a letter or digit.
bool is_valid_package_name(std::string_view name);

// True for a valid architecture name, such as "amd64", "all" or "any".
bool is_valid_arch_name(std::string_view arch);

// True for an architecture a system runs, such as "amd64": a valid name
// other than "all" and "any" (what a spec's and a lock's `arch` name).
bool is_machine_arch(std::string_view arch);

}  // namespace sheaf::deb
