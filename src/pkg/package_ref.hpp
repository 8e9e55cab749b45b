// Naming a package on the command line.
//
//   NAME              the highest version of NAME, by Debian ordering
//   NAME@VERSION      that version (Debian equality: 1.0 matches 0:1.0)
//   NAME:ARCH[@...]   restricts either form to one architecture
//   sha256:<hex>      an id, in full or as a unique prefix
//   <hex>             an id prefix of at least 12 hex digits, when no
//                     package has that name
#pragma once

#include <string>
#include <string_view>

#include "store/index.hpp"

namespace sheaf::pkg {

inline constexpr std::size_t kMinIdPrefix = 12;

struct ResolvedPackage {
  store::PackageRecord record;
  // Set when a bare NAME picked one of several versions, for example
  // "hello: using the highest version, 2.0 (of 3 in the store)".
  std::string note;
};

// Throws an Error when nothing matches or the reference is ambiguous; the
// message lists the candidates.
ResolvedPackage resolve_package(store::Index& index, std::string_view ref);

}  // namespace sheaf::pkg
