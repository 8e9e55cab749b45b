#include "pkg/package.hpp"

#include <set>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/json_fields.hpp"
#include "deb/version.hpp"

namespace sheaf::pkg {

namespace {

using nlohmann::json;

constexpr std::string_view kFormatKey = "sheaf-package";
constexpr int kFormat = 1;

struct RelationField {
  const char* key;
  deb::Relations Package::*member;
  deb::RelationKind kind;
};

constexpr RelationField kRelationFields[] = {
    {"breaks", &Package::breaks, deb::RelationKind::conflict},
    {"conflicts", &Package::conflicts, deb::RelationKind::conflict},
    {"depends", &Package::depends, deb::RelationKind::dependency},
    {"pre-depends", &Package::pre_depends, deb::RelationKind::dependency},
    {"provides", &Package::provides, deb::RelationKind::provides},
    {"replaces", &Package::replaces, deb::RelationKind::conflict},
};

}  // namespace

void Package::validate() const {
  if (!deb::is_valid_package_name(name)) {
    fail_usage(
        "{} is not a valid package name: use at least two of a-z, 0-9, '+', '-' and '.', "
        "starting with a letter or digit",
        quote(name));
  }
  try {
    deb::Version::parse(version, "version");
  } catch (const ParseError& e) {
    throw Error(fmt::format("{} (versions follow Debian's [epoch:]upstream[-revision])", e.what()), ErrorKind::usage);
  }
  if (!deb::is_valid_arch_name(arch)) fail_usage("{} is not a valid architecture name", quote(arch));
}

std::string Package::document() const {
  json doc = json::object();
  doc[std::string(kFormatKey)] = kFormat;
  doc["name"] = name;
  doc["version"] = version;
  doc["arch"] = arch;
  doc["fileset"] = fileset.str();
  for (const auto& field : kRelationFields) {
    const deb::Relations& relations = this->*field.member;
    if (!relations.empty()) doc[field.key] = relations.str();
  }
  return canonical_json(doc);
}

Package Package::from_document(std::string_view bytes, std::string_view where) {
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::exception& e) {
    throw ParseError(std::string(where), fmt::format("invalid JSON: {}", e.what()));
  }
  auto required_string = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) {
      throw ParseError(std::string(where), fmt::format("field \"{}\" must be a string", key));
    }
    return it->get<std::string>();
  };
  if (!doc.is_object() || doc.value(std::string(kFormatKey), json()) != kFormat) {
    throw ParseError(std::string(where), "not a sheaf package document (format 1)");
  }
  Package p;
  p.name = required_string("name");
  p.version = required_string("version");
  p.arch = required_string("arch");
  auto fileset = Digest::parse(required_string("fileset"));
  if (!fileset) throw ParseError(std::string(where), "field \"fileset\" is not a sha256 digest");
  p.fileset = *fileset;
  for (const auto& field : kRelationFields) {
    if (doc.contains(field.key)) {
      p.*field.member =
          deb::Relations::parse(required_string(field.key), field.kind, fmt::format("{} {}", where, field.key));
    }
  }
  try {
    p.validate();
  } catch (const Error& e) {
    throw ParseError(std::string(where), e.what());
  }
  if (p.document() != bytes) {
    throw ParseError(std::string(where), "the document is not in canonical form (docs/formats/package.md)");
  }
  return p;
}

std::string PackageMetadata::to_json() const {
  json doc = json::object();
  doc["license"] = license;
  if (!homepage.empty()) doc["homepage"] = homepage;
  if (!description.empty()) doc["description"] = description;
  doc["source"] = {{"name", source_name}, {"version", source_version}};
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) doc[key] = value;
  };
  put("maintainer", maintainer);
  put("section", section);
  put("priority", priority);
  put("multi_arch", multi_arch);
  if (essential) doc["essential"] = true;
  if (installed_size) doc["installed_size"] = *installed_size;
  if (date) doc["date"] = *date;
  if (!skipped_scripts.empty()) doc["skipped_scripts"] = skipped_scripts;
  if (!conffiles.empty()) doc["conffiles"] = conffiles;
  if (derivation != 0) doc["derivation"] = derivation;
  if (!effects.empty()) doc["effects"] = deb::effects_to_json(effects);
  if (!needs.empty()) doc["needs"] = deb::needs_to_json(needs);
  if (scripts) doc["scripts"] = scripts->str();
  return canonical_json(doc);
}

PackageMetadata PackageMetadata::from_json(std::string_view text) {
  PackageMetadata m;
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return m;
  m.license = string_field(doc, "license", m.license);
  m.homepage = string_field(doc, "homepage");
  m.description = string_field(doc, "description");
  if (auto source = doc.find("source"); source != doc.end() && source->is_object()) {
    m.source_name = string_field(*source, "name");
    m.source_version = string_field(*source, "version");
  }
  m.maintainer = string_field(doc, "maintainer");
  m.section = string_field(doc, "section");
  m.priority = string_field(doc, "priority");
  m.multi_arch = string_field(doc, "multi_arch");
  m.essential = bool_field(doc, "essential", false);
  if (auto size = doc.find("installed_size"); size != doc.end() && size->is_number_unsigned()) {
    m.installed_size = size->get<std::uint64_t>();
  }
  if (auto date = doc.find("date"); date != doc.end() && date->is_number_integer()) {
    m.date = date->get<std::int64_t>();
  }
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    if (auto it = doc.find(key); it != doc.end() && it->is_array()) {
      for (const auto& item : *it) {
        if (item.is_string()) out.push_back(item.get<std::string>());
      }
    }
    return out;
  };
  m.skipped_scripts = strings("skipped_scripts");
  m.conffiles = strings("conffiles");
  if (auto d = doc.find("derivation"); d != doc.end() && d->is_number_integer()) m.derivation = d->get<int>();
  if (auto e = doc.find("effects"); e != doc.end()) m.effects = deb::effects_from_json(*e);
  if (auto n = doc.find("needs"); n != doc.end()) m.needs = deb::needs_from_json(*n);
  if (auto s = doc.find("scripts"); s != doc.end() && s->is_string()) m.scripts = Digest::parse(s->get<std::string>());
  return m;
}

store::PackageRecord make_record(const Package& package, const PackageMetadata& metadata, std::uint64_t entries,
                                 std::uint64_t size) {
  return store::PackageRecord{
      package.id().str(), package.name, package.version, package.arch, package.fileset.str(), entries, size,
      metadata.to_json()};
}

std::optional<std::string> check_document(const store::PackageRecord& record, std::string_view document) {
  try {
    Package p = Package::from_document(document, record.id);
    if (p.name != record.name || p.version != record.version || p.arch != record.arch ||
        p.fileset.str() != record.fileset) {
      return "its index row does not match its package document (name, version, arch or FileSet)";
    }
  } catch (const Error& e) {
    return e.what();
  }
  return std::nullopt;
}

std::vector<Digest> metadata_blobs(const store::PackageRecord& record) {
  auto doc = nlohmann::json::parse(record.metadata, nullptr, false);
  if (!doc.is_object()) return {};
  auto scripts = doc.find("scripts");
  if (scripts == doc.end() || !scripts->is_string()) return {};
  auto digest = Digest::parse(scripts->get<std::string>());
  if (!digest) return {};
  return {*digest};
}

namespace {

// An origin's type; for a pulled package, the type of the origin it had
// where it was pushed from ("kind").
std::string origin_type(const std::string& origin) {
  auto doc = nlohmann::json::parse(origin, nullptr, false);
  if (!doc.is_object()) return "";
  std::string type = string_field(doc, "type");
  if (type == "registry" || type == "trim") return string_field(doc, "kind");
  return type;
}

}  // namespace

bool has_origin_type(store::Index& index, std::string_view id, std::string_view type) {
  for (const auto& origin : index.origins(id)) {
    if (origin_type(origin) == type) return true;
  }
  return false;
}

std::string package_kind(store::Index& index, std::string_view id) {
  std::set<std::string> types;
  for (const auto& origin : index.origins(id)) types.insert(origin_type(origin));
  for (const char* kind : {"assembly", "deb", "directory", "file"}) {
    if (types.count(kind)) return kind;
  }
  return "";
}

std::string trim_origin(std::string_view from, std::string_view kind) {
  return canonical_json({{"type", "trim"}, {"from", from}, {"kind", kind}});
}

std::string registry_origin(std::string_view reference, std::string_view kind) {
  nlohmann::json doc = {{"type", "registry"}, {"reference", reference}};
  if (!kind.empty()) doc["kind"] = kind;
  return canonical_json(doc);
}

}  // namespace sheaf::pkg
