#include "pkg/derived.hpp"

#include <fmt/format.h>

#include <charconv>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "pkg/package.hpp"

namespace sheaf::pkg {

namespace {

constexpr std::string_view kScriptsMagic = "sheaf-scripts 1\n";

}  // namespace

Derived derive(const std::vector<deb::MaintainerScript>& scripts, const fileset::Manifest& manifest,
               std::string_view name, std::string_view arch, const deb::ContentOpener& open) {
  deb::PackageFiles files;
  for (const auto& e : manifest.entries()) files.emplace("/" + e.path, e.type);
  // The shell libraries a script sources from its own package: small text
  // files, read from the store.
  auto read_file = [&](const std::string& path) -> std::optional<std::string> {
    const fileset::Entry* e = manifest.find(std::string_view(path).substr(1));
    if (!e || e->type != fileset::EntryType::file || e->size > (std::uint64_t{1} << 20)) return std::nullopt;
    auto fd = open(*e);
    if (!fd) return std::nullopt;
    return read_all(fd->get(), path);
  };
  Derived d;
  d.effects = deb::derive_script_effects(scripts, files, name, arch, read_file);
  d.needs = deb::program_needs(manifest.entries(), open);
  return d;
}

std::string scripts_document(const std::vector<deb::MaintainerScript>& scripts) {
  std::string out(kScriptsMagic);
  for (const auto& s : scripts) out += fmt::format("{} {}\n{}\n", s.name, s.text.size(), s.text);
  return out;
}

std::vector<deb::MaintainerScript> parse_scripts_document(std::string_view bytes, std::string_view where) {
  auto bad = [&](std::string_view what) { throw ParseError(std::string(where), std::string(what)); };
  if (!bytes.starts_with(kScriptsMagic)) bad("it is not a maintainer scripts document (sheaf-scripts 1)");
  bytes.remove_prefix(kScriptsMagic.size());
  std::vector<deb::MaintainerScript> out;
  while (!bytes.empty()) {
    auto space = bytes.find(' ');
    auto newline = bytes.find('\n');
    if (space == std::string_view::npos || newline == std::string_view::npos || space > newline) bad("a header is malformed");
    std::string name(bytes.substr(0, space));
    std::string_view digits = bytes.substr(space + 1, newline - space - 1);
    std::size_t size = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) bad("a size is not a number");
    bytes.remove_prefix(newline + 1);
    if (bytes.size() < size + 1 || bytes[size] != '\n') bad(fmt::format("the script {} is cut short", name));
    out.push_back({std::move(name), std::string(bytes.substr(0, size))});
    bytes.remove_prefix(size + 1);
  }
  return out;
}

void set_derived(PackageMetadata& metadata, Derived derived, const std::optional<Digest>& scripts) {
  metadata.derivation = kDerivationVersion;
  metadata.effects = std::move(derived.effects);
  metadata.needs = std::move(derived.needs);
  metadata.scripts = scripts;
}

bool needs_derivation(const store::PackageRecord& record, const PackageMetadata& metadata, store::Index& index) {
  return metadata.derivation != kDerivationVersion && has_origin_type(index, record.id, "deb");
}

bool needs_deb_again(const PackageMetadata& metadata) {
  return metadata.derivation != kDerivationVersion && !metadata.scripts && !metadata.skipped_scripts.empty();
}

bool needs_deb_again(std::string_view metadata_json) {
  // The metadata is canonical JSON (docs/formats/package.md): the key is
  // spelled exactly so, and a string value cannot hold it unescaped.
  std::string key = fmt::format("\"derivation\":{}", kDerivationVersion);
  for (auto at = metadata_json.find(key); at != std::string_view::npos; at = metadata_json.find(key, at + 1)) {
    char next = at + key.size() < metadata_json.size() ? metadata_json[at + key.size()] : '\0';
    if (next == ',' || next == '}') return false;
  }
  return needs_deb_again(PackageMetadata::from_json(metadata_json));
}

RefreshResult refresh_derivations(store::LocalStore& store, const std::vector<std::string>& ids) {
  RefreshResult result;
  struct Update {
    std::string id;
    std::string metadata;
  };
  std::vector<Update> updates;
  for (const auto& id : ids) {
    auto record = store.index().package(id);
    if (!record) continue;
    PackageMetadata metadata = PackageMetadata::from_json(record->metadata);
    if (!needs_derivation(*record, metadata, store.index())) continue;
    std::string where = fmt::format("{} {}", record->name, record->version);
    std::vector<deb::MaintainerScript> scripts;
    if (metadata.scripts) {
      auto bytes = store.read_blob(*metadata.scripts);
      if (!bytes) fail("the maintainer scripts of {} ({}) are missing from the store; run 'sheaf store verify'", where,
                       metadata.scripts->str());
      scripts = parse_scripts_document(*bytes, where + ": maintainer scripts");
    } else if (!metadata.skipped_scripts.empty()) {
      // Imported before sheaf kept the scripts: only the .deb has them.
      result.no_scripts.push_back(id);
      continue;
    }
    auto fileset_id = Digest::parse(record->fileset);
    auto manifest_bytes = fileset_id ? store.read_blob(*fileset_id) : std::nullopt;
    if (!manifest_bytes) fail("the FileSet manifest of {} is missing from the store; run 'sheaf store verify'", where);
    auto manifest = fileset::Manifest::parse(*manifest_bytes, where);
    Derived derived = derive(scripts, manifest, record->name, record->arch,
                             [&](const fileset::Entry& e) { return store.open_object(e.digest); });
    set_derived(metadata, std::move(derived), metadata.scripts);
    updates.push_back({id, metadata.to_json()});
    result.refreshed.push_back(id);
  }
  if (!updates.empty()) {
    store.index().write([&](store::Index::Transaction& t) {
      for (const auto& u : updates) t.set_metadata(u.id, u.metadata);
    });
  }
  return result;
}

}  // namespace sheaf::pkg
