// FileSet entries for tests, built in one line each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fileset/entry.hpp"

namespace sheaf::testing {

inline fileset::Entry dir_entry(std::string path, std::uint32_t mode = 0755) {
  return {std::move(path), fileset::EntryType::dir, mode};
}

// A file whose digest and size are those of `content` (which the test keeps
// wherever its reader needs it).
inline fileset::Entry file_entry(std::string path, std::string_view content, std::uint32_t mode = 0644) {
  fileset::Entry e{std::move(path), fileset::EntryType::file, mode};
  e.size = content.size();
  e.digest = Digest::of(content);
  return e;
}

inline fileset::Entry symlink_entry(std::string path, std::string target) {
  fileset::Entry e{std::move(path), fileset::EntryType::symlink, 0777};
  e.target = std::move(target);
  return e;
}

inline fileset::Entry hardlink_entry(std::string path, std::string target) {
  fileset::Entry e{std::move(path), fileset::EntryType::hardlink, 0};
  e.target = std::move(target);
  return e;
}

}  // namespace sheaf::testing
