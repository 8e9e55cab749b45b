// Human-readable listings of a FileSet, in the style of `tar tv`.
#pragma once

#include <cstdint>
#include <string>

#include "fileset/manifest.hpp"

namespace sheaf::fileset {

// "drwxr-xr-x", "-rwsr-xr-x", "lrwxrwxrwx": ls-style type and permissions.
std::string format_mode(EntryType type, std::uint32_t mode);

// One line per entry, each ending in '\n':
//   -rw-r--r-- 0/0       1234 usr/share/doc/x/README
//   lrwxrwxrwx 0/0          0 usr/bin/python3 -> python3.11
//   hrw-r--r-- 0/0          0 usr/bin/b link to usr/bin/a
// Control bytes in names are shown as \xNN.
std::string format_listing(const Manifest& manifest);

}  // namespace sheaf::fileset
