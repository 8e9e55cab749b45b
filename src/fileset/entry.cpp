#include "fileset/entry.hpp"

#include <set>
#include <unordered_map>
#include <unordered_set>

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

bool relative_target_stays_inside(std::string_view path, std::string_view target) {
  long depth = 0;
  for (char c : path) depth += c == '/';
  for (std::size_t at = 0; at <= target.size();) {
    std::size_t end = target.find('/', at);
    if (end == std::string_view::npos) end = target.size();
    std::string_view part = target.substr(at, end - at);
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    at = end + 1;
  }
  return true;
}

void add_missing_parents(std::vector<Entry>& entries) {
  std::unordered_set<std::string_view> present;
  for (const auto& entry : entries) present.insert(entry.path);
  std::set<std::string> missing;
  for (const auto& entry : entries) {
    for (auto parent = parent_path(entry.path); !parent.empty(); parent = parent_path(parent)) {
      if (present.contains(parent)) break;
      missing.emplace(parent);
    }
  }
  for (const auto& path : missing) {
    Entry dir;
    dir.path = path;
    dir.type = EntryType::dir;
    dir.mode = 0755;
    entries.push_back(std::move(dir));
  }
}

void canonicalize_hardlinks(std::vector<Entry>& entries) {
  // file path -> positions of its hardlinks
  std::unordered_map<std::string, std::vector<std::size_t>> links;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].type == EntryType::hardlink) links[entries[i].target].push_back(i);
  }
  if (links.empty()) return;
  std::unordered_map<std::string, std::size_t> position;  // owns its keys: paths move below
  for (std::size_t i = 0; i < entries.size(); ++i) position.emplace(entries[i].path, i);
  for (auto& [file_path, group] : links) {
    auto file_it = position.find(file_path);
    if (file_it == position.end()) continue;  // a dangling hardlink; Manifest::from_entries reports it
    std::size_t holder = file_it->second;
    for (std::size_t i : group) {
      if (entries[i].path < entries[holder].path) holder = i;
    }
    if (holder == file_it->second) continue;
    Entry& file = entries[file_it->second];
    Entry& first = entries[holder];
    std::string first_path = std::move(first.path);
    std::string old_path = file.path;
    first = std::move(file);
    first.path = std::move(first_path);
    file = Entry{};
    file.path = std::move(old_path);
    file.type = EntryType::hardlink;
    file.target = first.path;
    for (std::size_t i : group) {
      if (i != holder) entries[i].target = first.path;
    }
  }
}

}  // namespace sheaf::fileset
