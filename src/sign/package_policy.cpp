#include "sign/package_policy.hpp"

#include "sign/in_toto.hpp"

#include "sign/policy.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "spec/toml_reader.hpp"

namespace sheaf::sign {

namespace fs = std::filesystem;
using nlohmann::json;

std::string render_package_statement(const PackageStatement& s) {
  return canonical_json(json{{"arch", s.arch}, {"name", s.name}, {"package", s.id}, {"version", s.version}});
}

PackageStatement parse_package_statement(std::string_view bytes, std::string_view where_view) {
  const std::string where(where_view);
  json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ParseError(where, "a package statement is not a JSON object");
  PackageStatement out;
  for (auto [key, field] : {std::pair{"arch", &out.arch}, std::pair{"name", &out.name}, std::pair{"package", &out.id},
                            std::pair{"version", &out.version}}) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) {
      throw ParseError(where, fmt::format("the package statement's \"{}\" is missing or not a string", key));
    }
    *field = it->get<std::string>();
  }
  return out;
}

Envelope sign_package(const PackageStatement& statement, const PrivateKey& key) {
  return sign_envelope(kPackageSignatureType, render_package_statement(statement), key);
}

PackagePolicy parse_package_policy(std::string_view text, const fs::path& file) {
  toml::table doc = spec::parse_toml(text, file);
  spec::TomlReader reader(file);
  reader.check_keys(doc, "", {"scope"});
  PackagePolicy policy;
  policy.file = file;
  const toml::node* scopes = doc.get("scope");
  if (!scopes) return policy;
  for (const auto& node : reader.as_tables(*scopes, "scope")) {
    const toml::table& table = *node.as_table();
    reader.check_keys(table, "[scope]", {"prefix", "keys", "require", "rebuilders", "rebuilds"});
    PackageScope scope;
    scope.where = fmt::format("{}:{}:{}", file.string(), table.source().begin.line, table.source().begin.column);
    const toml::node& prefix = reader.need(table, "prefix", "[[scope]]");
    scope.prefix = reader.as_string(prefix, "prefix");
    if (scope.prefix.starts_with("docker://")) {
      reader.fail_at(prefix.source(), "a prefix is written without docker:// (HOST[:PORT][/REPO], or \"*\")");
    }
    if (scope.prefix.empty() || (scope.prefix != "*" && (scope.prefix.back() == '/' || scope.prefix.front() == '/'))) {
      reader.fail_at(prefix.source(), "a prefix is HOST[:PORT][/REPO] without a leading or trailing '/', or \"*\"");
    }
    for (const auto& other : policy.scopes) {
      if (other.prefix == scope.prefix) {
        reader.fail_at(prefix.source(), fmt::format("the prefix {} has a scope already, at {}", quote(scope.prefix),
                                                    other.where));
      }
    }
    const toml::node& keys = reader.need(table, "keys", "[[scope]]");
    for (const auto& key : reader.as_strings(keys, "keys")) {
      fs::path path = key;
      if (path.is_relative()) path = file.parent_path() / path;
      scope.keys.push_back(path.lexically_normal());
    }
    scope.require = scope.keys.size();
    if (const toml::node* require = table.get("require")) {
      scope.require = reader.as_uint(*require, "require", scope.keys.size());
      if (scope.require == 0 && !scope.keys.empty()) {
        reader.fail_at(require->source(), "require must be at least 1 (a scope without keys exempts its packages)");
      }
    }
    if (const toml::node* rebuilders = table.get("rebuilders")) {
      for (const auto& key : reader.as_strings(*rebuilders, "rebuilders")) {
        fs::path path = key;
        if (path.is_relative()) path = file.parent_path() / path;
        scope.rebuilders.push_back(path.lexically_normal());
      }
    }
    scope.rebuilds = scope.rebuilders.size();
    if (const toml::node* rebuilds = table.get("rebuilds")) {
      if (scope.rebuilders.empty()) {
        reader.fail_at(rebuilds->source(),
                       "rebuilds counts attestations by the keys of rebuilders, and there are none");
      }
      scope.rebuilds = reader.as_uint(*rebuilds, "rebuilds", scope.rebuilders.size());
      if (scope.rebuilds == 0) reader.fail_at(rebuilds->source(), "rebuilds must be at least 1");
    }
    policy.scopes.push_back(std::move(scope));
  }
  return policy;
}

std::optional<PackagePolicy> load_package_policy(const std::optional<fs::path>& explicit_file) {
  auto found = read_config_file(explicit_file, ".config/sheaf/package-policy.toml", "/etc/sheaf/package-policy.toml",
                                "package policy");
  if (!found) return std::nullopt;
  return parse_package_policy(found->second, found->first);
}

const PackageScope* find_package_scope(const PackagePolicy& policy, std::string_view reference) {
  // HOST[:PORT]/REPO, without the tag or digest.
  std::string_view name = reference.substr(0, reference.find('@'));
  if (auto slash = name.rfind('/'), colon = name.rfind(':'); colon != std::string_view::npos && slash != std::string_view::npos && colon > slash) {
    name = name.substr(0, colon);
  }
  const PackageScope* best = nullptr;
  for (const auto& scope : policy.scopes) {
    bool matches = scope.prefix == "*" ||
                   (name.starts_with(scope.prefix) && (name.size() == scope.prefix.size() || name[scope.prefix.size()] == '/'));
    if (!matches) continue;
    auto length = [](const PackageScope* s) { return s->prefix == "*" ? 0 : s->prefix.size() + 1; };
    if (!best || length(&scope) > length(best)) best = &scope;
  }
  return best;
}

PackageCheck check_package(const PackageScope& scope, const PackageStatement& statement,
                           const std::vector<Envelope>& envelopes) {
  PackageCheck check;
  std::vector<const Envelope*> about;
  for (const auto& e : envelopes) {
    if (e.payload_type != kPackageSignatureType) continue;
    try {
      PackageStatement s = parse_package_statement(e.payload, "a package signature");
      if (s.id == statement.id && s.name == statement.name && s.version == statement.version && s.arch == statement.arch) {
        about.push_back(&e);
      }
    } catch (const ParseError&) {
      // Signs nothing this package can use.
    }
  }
  for (const auto& path : scope.keys) {
    PublicKey key = with_context(fmt::format("while reading the keys of the package policy's scope at {}", scope.where),
                                 [&] { return load_public_key(path.string()); });
    bool signed_by = std::any_of(about.begin(), about.end(),
                                 [&](const Envelope* e) { return !envelope_signers(*e, {key}).empty(); });
    (signed_by ? check.signed_by : check.missing).push_back(path.string());
  }
  // Rebuild attestations: "rebuilt from the recorded inputs, and equal",
  // about this very package.
  std::vector<const Envelope*> rebuilt;
  for (const auto& e : envelopes) {
    if (e.payload_type != kInTotoPayloadType) continue;
    try {
      RebuildAttestation a = parse_rebuild_attestation(e.payload, "a rebuild attestation");
      if (a.package_id == statement.id && a.name == statement.name && a.version == statement.version &&
          a.arch == statement.arch) {
        rebuilt.push_back(&e);
      }
    } catch (const ParseError&) {
      // Another statement (a provenance), or one about nothing usable.
    }
  }
  for (const auto& path : scope.rebuilders) {
    PublicKey key =
        with_context(fmt::format("while reading the rebuilders of the package policy's scope at {}", scope.where),
                     [&] { return load_public_key(path.string()); });
    bool attested = std::any_of(rebuilt.begin(), rebuilt.end(),
                                [&](const Envelope* e) { return !envelope_signers(*e, {key}).empty(); });
    (attested ? check.rebuilt_by : check.rebuild_missing).push_back(path.string());
  }
  check.accepted = check.signed_by.size() >= scope.require && check.rebuilt_by.size() >= scope.rebuilds;
  return check;
}

}  // namespace sheaf::sign
