// "Which versions do I mean?": a package name with an optional version
// constraint, as `sheaf which` takes it and `sheaf audit` shares it.
//
//   NAME              any version
//   NAME@VERSION      that version (Debian equality: 1.0 equals 0:1.0)
//   NAME@=VERSION     the same
//   NAME@<VERSION     earlier, by Debian ordering; also <=, >= and >
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "deb/relation.hpp"

namespace sheaf::deb {

struct PackageQuery {
  std::string name;
  std::optional<RelationOp> op;  // none: any version
  std::string version;

  // Throws a usage Error naming the problem: an invalid package name, an
  // empty or invalid version.
  static PackageQuery parse(std::string_view text);

  // Whether the version `have` answers the query; false when it does not parse.
  bool matches(std::string_view have) const;

  // The query as written canonically: "libssl3@<3.0.22-1~deb12u2".
  std::string str() const;
};

}  // namespace sheaf::deb
