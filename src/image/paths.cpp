#include "image/paths.hpp"

#include <fmt/format.h>

#include "deb/merged_usr.hpp"

namespace sheaf::image {

using fileset::Entry;
using fileset::EntryType;

std::string describe_entry(const Entry& e) {
  std::string owner = fmt::format("{:04o}, {}:{}", e.mode, e.uid, e.gid);
  std::string xattrs = e.xattrs.empty() ? "" : fmt::format(", {} xattrs", e.xattrs.size());
  switch (e.type) {
    case EntryType::file:
      return fmt::format("file, {}, {} bytes, {}{}", owner, e.size, e.digest.str().substr(0, 19), xattrs);
    case EntryType::dir:
      return fmt::format("directory, {}{}", owner, xattrs);
    case EntryType::symlink:
      return fmt::format("symlink to {}, {}:{}", e.target, e.uid, e.gid);
    case EntryType::hardlink:
      return fmt::format("hardlink to {}", e.target);
  }
  return "?";
}

void ImageTree::add(const fileset::Manifest& manifest, const std::string& owner, const AddOptions& options) {
  std::size_t index = owners_.size();
  owners_.push_back(owner);
  manifests_.push_back(manifest);
  // A hardlink stands for its file: compare what it resolves to.
  std::map<std::string_view, const Entry*> files;
  for (const auto& entry : manifests_.back().entries()) {
    if (entry.type == EntryType::file) files.emplace(entry.path, &entry);
  }
  auto effective = [&](const Entry& e) -> const Entry& {
    if (e.type != EntryType::hardlink) return e;
    auto it = files.find(e.target);
    return it != files.end() ? *it->second : e;
  };
  for (const auto& entry : manifests_.back().entries()) {
    if (options.set_aside && options.set_aside->contains(entry.path)) {
      set_aside_[entry.path].push_back(Claim{&entry, index});
      continue;
    }
    auto [it, inserted] = claims_.try_emplace(entry.path, Claim{&entry, index});
    if (inserted) continue;
    if (options.replaces && options.replaces->contains(entry.path)) {
      it->second = Claim{&entry, index};
      continue;
    }
    const Entry& a = effective(*it->second.entry);
    const Entry& b = effective(entry);
    bool same = a.type == b.type && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.xattrs == b.xattrs &&
                (a.type != EntryType::file || (a.digest == b.digest && a.size == b.size)) &&
                (a.type != EntryType::symlink || a.target == b.target);
    if (!same) {
      conflicts_[entry.path].push_back(fmt::format("path /{} is claimed by {} ({}) and by {} ({})", entry.path,
                                                   owners_[it->second.owner], describe_entry(a), owner,
                                                   describe_entry(b)));
    }
  }
}

const ImageTree::Claim* ImageTree::find(std::string_view path) const {
  auto it = claims_.find(path);
  return it == claims_.end() ? nullptr : &it->second;
}

std::vector<std::string> ImageTree::conflicts() const {
  std::vector<std::string> out;
  for (const auto& [path, problems] : conflicts_) out.insert(out.end(), problems.begin(), problems.end());
  return out;
}

const Entry* ImageTree::resolve(std::string_view path) const {
  std::vector<std::string> pending;  // components still to walk, reversed
  auto push_components = [&](std::string_view p) {
    std::vector<std::string> parts;
    while (!p.empty()) {
      std::size_t slash = p.find('/');
      std::string_view part = p.substr(0, slash);
      if (!part.empty()) parts.emplace_back(part);
      if (slash == std::string_view::npos) break;
      p.remove_prefix(slash + 1);
    }
    pending.insert(pending.end(), parts.rbegin(), parts.rend());
  };
  push_components(path);
  std::string current;  // resolved so far, relative
  const Entry* entry = nullptr;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      std::size_t slash = current.rfind('/');
      current = slash == std::string::npos ? "" : current.substr(0, slash);
      entry = nullptr;
      continue;
    }
    std::string next = current.empty() ? part : current + "/" + part;
    const Claim* claim = find(next);
    if (!claim && current.empty() && deb::is_merged_directory(part) && find("usr/" + part)) {
      next = "usr/" + part;  // the top-level link assembly adds
      claim = find(next);
    }
    if (!claim) return nullptr;
    entry = claim->entry;
    if (entry->type == EntryType::symlink) {
      if (++links > 40) return nullptr;
      std::string target = entry->target;
      if (!target.empty() && target.front() == '/') {
        current.clear();
      }
      push_components(target);
      entry = nullptr;
      continue;
    }
    current = std::move(next);
  }
  if (!entry && current.empty()) return nullptr;
  if (!entry) {
    const Claim* claim = find(current);
    return claim ? claim->entry : nullptr;
  }
  return entry;
}

}  // namespace sheaf::image
