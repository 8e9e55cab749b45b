#include "fileset/entry.hpp"

#include "base/canonical_json.hpp"

namespace sheaf::fileset {

std::string_view to_string(EntryType type) {
  switch (type) {
    case EntryType::file:
      return "file";
    case EntryType::dir:
      return "dir";
    case EntryType::symlink:
      return "symlink";
    case EntryType::hardlink:
      return "hardlink";
  }
  return "?";
}

bool is_valid_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) return false;
  if (!is_valid_utf8(path)) return false;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    std::string_view component = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (component.empty() || component == "." || component == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string_view parent_path(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

}  // namespace sheaf::fileset
