#include "deb/merged_usr.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "base/error.hpp"

namespace sheaf::deb {

namespace {

std::string describe(const fileset::Entry& entry) {
  switch (entry.type) {
    case fileset::EntryType::file:
      return fmt::format("a file of {} bytes, mode {:04o}, {}", entry.size, entry.mode, entry.digest.str());
    case fileset::EntryType::dir:
      return fmt::format("a directory, mode {:04o}, owner {}:{}", entry.mode, entry.uid, entry.gid);
    case fileset::EntryType::symlink:
      return fmt::format("a symlink to {}", quote(entry.target));
    case fileset::EntryType::hardlink:
      return fmt::format("a hardlink to {}", quote(entry.target));
  }
  return "an entry";
}

}  // namespace

bool is_merged_directory(std::string_view top) {
  // debootstrap's and usrmerge's list; /libexec, for one, is a real directory.
  return top == "bin" || top == "sbin" || top == "lib" || top == "lib32" || top == "lib64" || top == "libx32" ||
         top == "libo32";
}

std::string merged_usr_path(std::string_view path) {
  std::string_view top = path.substr(0, path.find('/'));
  if (!is_merged_directory(top)) return std::string(path);
  return fmt::format("usr/{}", path);
}

std::vector<fileset::Entry> merge_usr(std::vector<fileset::Entry> entries, std::string_view where) {
  std::vector<fileset::Entry> out;
  out.reserve(entries.size());
  std::unordered_map<std::string, std::size_t> index;  // canonical path -> position in out
  std::vector<std::string> original;                   // out[i]'s path before the rewrite
  for (auto& entry : entries) {
    // A package that ships the merge itself (bin -> usr/bin) leaves it to
    // image assembly, which makes those links for every image.
    if (entry.type == fileset::EntryType::symlink && is_merged_directory(entry.path) &&
        (entry.target == "usr/" + entry.path || entry.target == "/usr/" + entry.path)) {
      continue;
    }
    std::string from = entry.path;
    entry.path = merged_usr_path(entry.path);
    if (entry.type == fileset::EntryType::hardlink) entry.target = merged_usr_path(entry.target);
    auto [it, inserted] = index.emplace(entry.path, out.size());
    if (inserted) {
      original.push_back(std::move(from));
      out.push_back(std::move(entry));
      continue;
    }
    const fileset::Entry& earlier = out[it->second];
    if (earlier == entry) continue;
    throw ParseError(std::string(where), fmt::format("{} ({}) and {} ({}) both land on {} in the merged-/usr layout",
                                                     quote(original[it->second]), describe(earlier), quote(from),
                                                     describe(entry), quote(entry.path)));
  }
  return out;
}

}  // namespace sheaf::deb
