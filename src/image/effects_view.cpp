#include "image/effects_view.hpp"

#include <algorithm>

#include "deb/merged_usr.hpp"

namespace sheaf::image {

using fileset::Entry;
using fileset::EntryType;

std::optional<std::string> image_relative(std::string_view absolute) {
  if (!absolute.starts_with('/')) return std::nullopt;
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0; pos <= absolute.size();) {
    auto end = std::min(absolute.find('/', pos), absolute.size());
    std::string_view part = absolute.substr(pos, end - pos);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = end + 1;
  }
  if (parts.empty()) return std::nullopt;
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  if (!fileset::is_valid_path(out)) return std::nullopt;
  return deb::merged_usr_path(out);
}

bool target_stays_inside(std::string_view link, std::string_view target) {
  if (target.empty() || target.find('\0') != std::string_view::npos) return false;
  if (target.starts_with('/')) return image_relative(target).has_value() || target == "/";
  return fileset::relative_target_stays_inside(link, target);
}

std::optional<std::string> EffectsView::real(std::string_view path, bool follow_last) const {
  std::vector<std::string> pending;
  auto push = [&](std::string_view p) {
    std::vector<std::string> parts;
    for (std::size_t pos = 0; pos <= p.size();) {
      auto end = std::min(p.find('/', pos), p.size());
      if (end > pos) parts.emplace_back(p.substr(pos, end - pos));
      pos = end + 1;
    }
    pending.insert(pending.end(), parts.rbegin(), parts.rend());
  };
  push(path);
  std::string current;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    bool last = pending.empty();
    if (part == ".") continue;
    if (part == "..") {
      current = std::string(fileset::parent_path(current));
      continue;
    }
    std::string next = current.empty() ? part : current + "/" + part;
    const Entry* e = find(next);
    if (!e && current.empty() && deb::is_merged_directory(part) && find("usr/" + part)) {
      next = "usr/" + part;
      e = find(next);
    }
    if (!e) {
      // Below a directory no one ships, nothing can be a symlink: the rest
      // of the path is taken as written (the assembly makes the parents).
      while (!pending.empty()) {
        std::string rest = std::move(pending.back());
        pending.pop_back();
        if (rest == ".") continue;
        if (rest == "..") return std::nullopt;
        next += "/" + rest;
      }
      return next;
    }
    if (e->type == EntryType::symlink && (!last || follow_last)) {
      if (++links > 40) return std::nullopt;
      if (e->target.starts_with('/')) current.clear();
      push(e->target);
      continue;
    }
    if (!last && e->type != EntryType::dir) return std::nullopt;
    current = std::move(next);
  }
  if (current.empty()) return std::nullopt;
  return current;
}

}  // namespace sheaf::image
