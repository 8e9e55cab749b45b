#include "deb/dpkg_database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "base/error.hpp"
#include "deb/merged_usr.hpp"
#include "deb/relation.hpp"

namespace sheaf::deb {

namespace {

// How dpkg writes a field it knows (lib/dpkg/parse.c, fieldinfos[]).
enum class Writer {
  verbatim,
  yes_or_omit,  // booleans that default to "no": written only when "yes"
  relations,    // rewritten in dpkg's canonical spelling
  multi_arch,   // omitted when "no"
  status,       // generated
  conffiles,    // generated from the conffiles file
  omit,         // never in an installed package's stanza
};

struct KnownField {
  std::string_view name;
  Writer writer;
};

// dpkg 1.21's order. Fields it does not know follow, in control-file order.
constexpr std::array kKnownFields = {
    KnownField{"Package", Writer::verbatim},
    KnownField{"Essential", Writer::yes_or_omit},
    KnownField{"Protected", Writer::yes_or_omit},
    KnownField{"Status", Writer::status},
    KnownField{"Priority", Writer::verbatim},
    KnownField{"Section", Writer::verbatim},
    KnownField{"Installed-Size", Writer::verbatim},
    KnownField{"Origin", Writer::verbatim},
    KnownField{"Maintainer", Writer::verbatim},
    KnownField{"Bugs", Writer::verbatim},
    KnownField{"Architecture", Writer::verbatim},
    KnownField{"Multi-Arch", Writer::multi_arch},
    KnownField{"Source", Writer::verbatim},
    KnownField{"Version", Writer::verbatim},
    KnownField{"Config-Version", Writer::omit},
    KnownField{"Replaces", Writer::relations},
    KnownField{"Provides", Writer::relations},
    KnownField{"Depends", Writer::relations},
    KnownField{"Pre-Depends", Writer::relations},
    KnownField{"Recommends", Writer::relations},
    KnownField{"Suggests", Writer::relations},
    KnownField{"Breaks", Writer::relations},
    KnownField{"Conflicts", Writer::relations},
    KnownField{"Enhances", Writer::relations},
    KnownField{"Conffiles", Writer::conffiles},
    KnownField{"Filename", Writer::omit},
    KnownField{"Size", Writer::omit},
    KnownField{"MD5sum", Writer::omit},
    KnownField{"MSDOS-Filename", Writer::omit},
    KnownField{"Description", Writer::verbatim},
    KnownField{"Triggers-Pending", Writer::omit},
    KnownField{"Triggers-Awaited", Writer::omit},
};

bool is_known(std::string_view name) {
  return std::any_of(kKnownFields.begin(), kKnownFields.end(),
                     [&](const KnownField& known) { return same_field_name(known.name, name); });
}

RelationKind relation_kind(std::string_view name) {
  if (name == "Provides") return RelationKind::provides;
  if (name == "Conflicts" || name == "Breaks" || name == "Replaces") return RelationKind::conflict;
  return RelationKind::dependency;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ':';
  if (!value.empty() && value.front() != '\n') out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

std::string dpkg_status_stanza(const DebArchive& deb) {
  const Control& control = deb.control;
  std::string out;
  for (const auto& known : kKnownFields) {
    const ControlField* field = control.find(known.name);
    switch (known.writer) {
      case Writer::verbatim:
        if (field) append_field(out, known.name, field->value);
        break;
      case Writer::yes_or_omit:
        if (field && field->value == "yes") append_field(out, known.name, "yes");
        break;
      case Writer::multi_arch:
        if (field && field->value != "no") append_field(out, known.name, field->value);
        break;
      case Writer::relations:
        if (field) {
          auto relations =
              Relations::parse(field->value, relation_kind(known.name), fmt::format("control line {}", field->line));
          if (!relations.empty()) append_field(out, known.name, relations.str());
        }
        break;
      case Writer::status:
        append_field(out, known.name, "install ok installed");
        break;
      case Writer::conffiles:
        if (!deb.conffiles.empty()) {
          std::string value;
          for (const auto& conffile : deb.conffiles) {
            auto md5 = deb.md5.find(conffile.path.substr(1));
            value += fmt::format("\n {} {}", conffile.path, md5 == deb.md5.end() ? "newconffile" : md5->second);
            if (!conffile.flags.empty()) value += " " + conffile.flags;
          }
          append_field(out, known.name, value);
        }
        break;
      case Writer::omit:
        break;
    }
  }
  for (const auto& field : control.fields()) {
    if (!is_known(field.name)) append_field(out, field.name, field.value);
  }
  return out;
}

std::string dpkg_md5sums(const DebArchive& deb, std::string_view where) {
  std::string out;
  if (!deb.md5sums) {
    std::map<std::string, std::string_view> lines;
    for (const auto& entry : deb.entries) {
      std::string_view source = entry.type == fileset::EntryType::hardlink ? entry.target : entry.path;
      if (entry.type != fileset::EntryType::file && entry.type != fileset::EntryType::hardlink) continue;
      auto md5 = deb.md5.find(std::string(source));
      if (md5 != deb.md5.end()) lines.emplace(merged_usr_path(entry.path), md5->second);
    }
    for (const auto& [path, md5] : lines) out += fmt::format("{}  {}\n", md5, path);
    return out;
  }
  std::string_view text = *deb.md5sums;
  unsigned line_number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty()) continue;
    bool hex = line.size() > 34 && std::all_of(line.begin(), line.begin() + 32,
                                               [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (!hex || line.substr(32, 2) != "  ") {
      throw ParseError(fmt::format("{} line {}", where, line_number), "expected \"<32 lowercase hex digits>  <path>\"");
    }
    std::string_view path = line.substr(34);
    if (path.starts_with("./")) path.remove_prefix(2);
    if (path.starts_with('/')) path.remove_prefix(1);
    out += fmt::format("{}  {}\n", line.substr(0, 32), merged_usr_path(path));
  }
  return out;
}

}  // namespace sheaf::deb
