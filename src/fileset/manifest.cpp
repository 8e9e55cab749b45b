#include "fileset/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "base/base64.hpp"
#include "base/canonical_json.hpp"
#include "base/error.hpp"

namespace sheaf::fileset {

namespace {

using nlohmann::json;

struct Problem {
  std::size_t index;
  std::string message;
};

// Checks the rules of docs/formats/fileset.md on entries that are expected to
// be in canonical order already. Returns the first violation.
std::optional<Problem> find_problem(const std::vector<Entry>& entries) {
  std::unordered_map<std::string_view, EntryType> seen;
  seen.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    auto problem = [&](std::string message) { return Problem{i, std::move(message)}; };
    if (!is_valid_path(e.path)) {
      return problem(
          fmt::format("path {} cannot be represented: a path must be non-empty, relative, "
                      "valid UTF-8, and have no empty, '.' or '..' component",
                      quote(e.path)));
    }
    if (i > 0 && !(entries[i - 1].path < e.path)) {
      return problem(
          entries[i - 1].path == e.path
              ? fmt::format("path {} appears more than once", quote(e.path))
              : fmt::format("path {} is out of order (entries are sorted by the bytes of their path)", quote(e.path)));
    }
    if (auto parent = parent_path(e.path); !parent.empty()) {
      auto it = seen.find(parent);
      if (it == seen.end()) return problem(fmt::format("parent directory of {} is missing", quote(e.path)));
      if (it->second != EntryType::dir) {
        return problem(fmt::format("parent of {} is a {}, not a directory", quote(e.path), to_string(it->second)));
      }
    }
    if (e.mode > kPermissionMask) {
      return problem(fmt::format("mode {:o} of {} has bits outside 07777", e.mode, quote(e.path)));
    }
    switch (e.type) {
      case EntryType::file:
        if (!e.target.empty()) return problem(fmt::format("file {} has a link target", quote(e.path)));
        break;
      case EntryType::dir:
        if (e.size != 0 || !e.target.empty() || e.digest != Digest()) {
          return problem(fmt::format("directory {} has file fields", quote(e.path)));
        }
        break;
      case EntryType::symlink:
        if (e.target.empty()) return problem(fmt::format("symlink {} has an empty target", quote(e.path)));
        if (e.target.find('\0') != std::string::npos || !is_valid_utf8(e.target)) {
          return problem(fmt::format("symlink target {} of {} cannot be represented (NUL or not UTF-8)",
                                     quote(e.target), quote(e.path)));
        }
        if (e.mode != 0777 || e.size != 0 || e.digest != Digest()) {
          return problem(fmt::format("symlink {} has file fields or a mode other than 0777", quote(e.path)));
        }
        break;
      case EntryType::hardlink: {
        auto it = seen.find(e.target);
        if (it == seen.end() || it->second != EntryType::file) {
          return problem(
              fmt::format("hardlink {} must point to an earlier file, not {}", quote(e.path), quote(e.target)));
        }
        if (e.mode != 0 || e.uid != 0 || e.gid != 0 || e.size != 0 || e.digest != Digest() || !e.xattrs.empty()) {
          return problem(fmt::format("hardlink {} records fields that belong to its target", quote(e.path)));
        }
        break;
      }
    }
    for (std::size_t k = 0; k < e.xattrs.size(); ++k) {
      const auto& name = e.xattrs[k].name;
      if (name.empty() || name.find('\0') != std::string::npos || !is_valid_utf8(name)) {
        return problem(fmt::format("xattr name {} on {} cannot be represented", quote(name), quote(e.path)));
      }
      if (k > 0 && !(e.xattrs[k - 1].name < name)) {
        return problem(fmt::format("xattrs of {} are not sorted and unique by name", quote(e.path)));
      }
    }
    seen.emplace(e.path, e.type);
  }
  return std::nullopt;
}

json entry_to_json(const Entry& e) {
  json j = json::object();
  j["path"] = e.path;
  j["type"] = std::string(to_string(e.type));
  if (e.type == EntryType::hardlink) {
    j["target"] = e.target;
    return j;
  }
  j["uid"] = e.uid;
  j["gid"] = e.gid;
  if (e.type != EntryType::symlink) j["mode"] = fmt::format("{:04o}", e.mode);
  if (e.type == EntryType::file) {
    j["size"] = e.size;
    j["digest"] = e.digest.str();
  }
  if (e.type == EntryType::symlink) j["target"] = e.target;
  if (!e.xattrs.empty()) {
    json xattrs = json::object();
    for (const auto& x : e.xattrs) xattrs[x.name] = base64_encode(x.value);
    j["xattrs"] = std::move(xattrs);
  }
  return j;
}

// Reads one entry line's JSON. Field presence is checked loosely here; the
// canonical re-serialisation check in parse() rejects extra or missing keys.
Entry entry_from_json(const json& j) {
  if (!j.is_object()) throw Error("an entry must be a JSON object");
  auto string_field = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) throw Error(fmt::format("field \"{}\" must be a string", key));
    return it->get<std::string>();
  };
  auto number_field = [&](const char* key, std::uint64_t max) -> std::uint64_t {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
      throw Error(fmt::format("field \"{}\" must be an integer from 0 to {}", key, max));
    }
    return it->get<std::uint64_t>();
  };
  Entry e;
  e.path = string_field("path");
  std::string type = string_field("type");
  if (type == "file")
    e.type = EntryType::file;
  else if (type == "dir")
    e.type = EntryType::dir;
  else if (type == "symlink")
    e.type = EntryType::symlink;
  else if (type == "hardlink")
    e.type = EntryType::hardlink;
  else
    throw Error(fmt::format("unknown entry type {}", quote(type)));

  if (e.type == EntryType::hardlink) {
    e.target = string_field("target");
    return e;
  }
  e.uid = static_cast<std::uint32_t>(number_field("uid", UINT32_MAX));
  e.gid = static_cast<std::uint32_t>(number_field("gid", UINT32_MAX));
  if (e.type == EntryType::symlink) {
    e.mode = 0777;
    e.target = string_field("target");
  } else {
    std::string mode = string_field("mode");
    if (mode.size() != 4 || mode.find_first_not_of("01234567") != std::string::npos) {
      throw Error(fmt::format("mode {} must be four octal digits", quote(mode)));
    }
    e.mode = static_cast<std::uint32_t>(std::stoul(mode, nullptr, 8));
  }
  if (e.type == EntryType::file) {
    e.size = number_field("size", UINT64_MAX);
    auto digest = Digest::parse(string_field("digest"));
    if (!digest) throw Error("field \"digest\" must be sha256:<64 lowercase hex digits>");
    e.digest = *digest;
  }
  if (auto it = j.find("xattrs"); it != j.end()) {
    if (!it->is_object()) throw Error("field \"xattrs\" must be an object");
    for (const auto& [name, value] : it->items()) {
      if (!value.is_string()) throw Error(fmt::format("xattr {} must be a base64 string", quote(name)));
      auto bytes = base64_decode(value.get<std::string>());
      if (!bytes) throw Error(fmt::format("xattr {} is not canonical base64", quote(name)));
      e.xattrs.push_back({name, std::move(*bytes)});
    }
  }
  return e;
}

}  // namespace

void append_entry_line(std::string& out, const Entry& entry) {
  append_canonical_json(out, entry_to_json(entry));
  out += '\n';
}

Manifest Manifest::from_entries(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });
  for (auto& e : entries) {
    std::sort(e.xattrs.begin(), e.xattrs.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  }
  if (auto problem = find_problem(entries)) throw Error(problem->message);
  return Manifest(std::move(entries));
}

Manifest Manifest::parse(std::string_view bytes, std::string_view where) {
  auto at_line = [&](std::size_t line) { return fmt::format("{} line {}", where, line); };
  if (!bytes.starts_with(kManifestHeader)) {
    throw ParseError(at_line(1), "not a sheaf FileSet manifest (the first line must be {\"sheaf-fileset\":1})");
  }
  std::vector<Entry> entries;
  std::vector<std::string_view> lines;
  std::size_t pos = kManifestHeader.size();
  while (pos < bytes.size()) {
    std::size_t line_number = lines.size() + 2;
    std::size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) throw ParseError(at_line(line_number), "the last line has no newline");
    std::string_view line = bytes.substr(pos, end - pos + 1);
    pos = end + 1;
    json j;
    try {
      j = json::parse(line.substr(0, line.size() - 1));
    } catch (const json::exception& e) {
      throw ParseError(at_line(line_number), fmt::format("invalid JSON: {}", e.what()));
    }
    try {
      entries.push_back(entry_from_json(j));
    } catch (const Error& e) {
      throw ParseError(at_line(line_number), e.what());
    }
    lines.push_back(line);
  }
  if (auto problem = find_problem(entries)) throw ParseError(at_line(problem->index + 2), problem->message);
  std::string canonical;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    canonical.clear();
    append_entry_line(canonical, entries[i]);
    if (canonical != lines[i]) {
      throw ParseError(at_line(i + 2),
                       "entry is not in canonical form (extra or missing fields, key order, "
                       "spacing or escaping differ from docs/formats/fileset.md)");
    }
  }
  return Manifest(std::move(entries));
}

std::string Manifest::serialize() const {
  std::string out(kManifestHeader);
  out.reserve(out.size() + entries_.size() * 160);
  for (const auto& e : entries_) append_entry_line(out, e);
  return out;
}

std::uint64_t Manifest::content_size() const noexcept {
  std::uint64_t total = 0;
  for (const auto& e : entries_) {
    if (e.type == EntryType::file) total += e.size;
  }
  return total;
}

const Entry* Manifest::find(std::string_view path) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), path,
                             [](const Entry& e, std::string_view p) { return e.path < p; });
  return it != entries_.end() && it->path == path ? &*it : nullptr;
}

}  // namespace sheaf::fileset
