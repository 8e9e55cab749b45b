#include "fileset/listing.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "base/error.hpp"

namespace sheaf::fileset {

std::string format_mode(EntryType type, std::uint32_t mode) {
  std::string s(10, '-');
  switch (type) {
    case EntryType::dir:
      s[0] = 'd';
      break;
    case EntryType::symlink:
      s[0] = 'l';
      break;
    case EntryType::hardlink:
      s[0] = 'h';
      break;
    case EntryType::file:
      break;
  }
  static constexpr char rwx[] = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit) {
    if (mode & (0400u >> bit)) s[static_cast<std::size_t>(bit) + 1] = rwx[bit];
  }
  auto special = [&](std::size_t pos, std::uint32_t flag, char with_exec, char without_exec) {
    if (mode & flag) s[pos] = s[pos] == '-' ? without_exec : with_exec;
  };
  special(3, 04000, 's', 'S');
  special(6, 02000, 's', 'S');
  special(9, 01000, 't', 'T');
  return s;
}

std::string format_listing(const Manifest& manifest) {
  std::unordered_map<std::string_view, const Entry*> by_path;
  for (const auto& e : manifest.entries()) by_path.emplace(e.path, &e);
  std::string out;
  for (const auto& e : manifest.entries()) {
    const Entry& owner = e.type == EntryType::hardlink ? *by_path.at(e.target) : e;
    out += fmt::format("{} {}/{} {:>10} {}", format_mode(e.type, owner.mode), owner.uid, owner.gid,
                       e.type == EntryType::file ? e.size : 0, escape_controls(e.path));
    if (e.type == EntryType::dir) out += '/';
    if (e.type == EntryType::symlink) out += " -> " + escape_controls(e.target);
    if (e.type == EntryType::hardlink) out += " link to " + escape_controls(e.target);
    out += '\n';
  }
  return out;
}

}  // namespace sheaf::fileset
