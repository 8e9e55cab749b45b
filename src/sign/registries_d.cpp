#include "sign/registries_d.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>

#include "base/error.hpp"

namespace sheaf::sign {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> url_field(const YAML::Node& entry, const char* key, const char* old_key,
                                     const std::string& where) {
  for (const char* k : {key, old_key}) {
    YAML::Node value = entry[k];
    if (!value) continue;
    if (!value.IsScalar()) fail("{}: {} must be a URL", where, k);
    std::string url = value.as<std::string>();
    if (url.find("://") == std::string::npos) fail("{}: {} {} is not a URL (file:///DIR or http(s)://...)", where, k, quote(url));
    return url;
  }
  return std::nullopt;
}

LookasideEntry read_entry(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) fail("{}: must be a mapping (lookaside, lookaside-staging, ...)", where);
  LookasideEntry entry;
  entry.where = where;
  entry.read = url_field(node, "lookaside", "sigstore", where);
  entry.write = url_field(node, "lookaside-staging", "sigstore-staging", where);
  return entry;
}

}  // namespace

fs::path registries_d_dir(const std::optional<fs::path>& explicit_dir) {
  if (explicit_dir) return *explicit_dir;
  if (const char* home = std::getenv("HOME"); home && *home) {
    fs::path user = fs::path(home) / ".config/containers/registries.d";
    std::error_code ec;
    if (fs::is_directory(user, ec)) return user;
  }
  return "/etc/containers/registries.d";
}

RegistriesD load_registries_d(const fs::path& dir) {
  RegistriesD config;
  config.dir = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return config;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  if (ec) fail("cannot list {}: {}", quote(dir.string()), ec.message());
  std::sort(files.begin(), files.end());
  std::string default_from;
  for (const auto& file : files) {
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
      fail("{}:{}:{}: not YAML: {}", file.string(), e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    try {
    if (!doc || doc.IsNull()) continue;
    if (!doc.IsMap()) fail("{}: must be a mapping (default-docker, docker)", file.string());
    if (YAML::Node d = doc["default-docker"]) {
      if (config.default_docker) {
        fail("{}: default-docker is given here and in {} (containers/image refuses that too)", file.string(), default_from);
      }
      config.default_docker = read_entry(d, file.string() + ": default-docker");
      default_from = file.string();
    }
    if (YAML::Node docker = doc["docker"]) {
      if (!docker.IsMap()) fail("{}: docker must be a mapping of namespaces", file.string());
      for (const auto& item : docker) {
        std::string ns = item.first.as<std::string>();
        const std::string where = fmt::format("{}: docker[\"{}\"]", file.string(), ns);
        for (const auto& [known, entry] : config.docker) {
          if (known == ns) fail("{}: the namespace is given in {} too (containers/image refuses that too)", where, entry.where);
        }
        config.docker.emplace_back(ns, read_entry(item.second, where));
      }
    }
    } catch (const YAML::Exception& e) {
      fail("{}:{}:{}: {}", file.string(), e.mark.line + 1, e.mark.column + 1, e.msg);
    }
  }
  return config;
}

std::optional<LookasideEntry> lookaside_for(const RegistriesD& config, const registry::Reference& reference) {
  // The reference itself, then HOST/REPO and each shorter namespace.
  std::vector<std::string> candidates;
  candidates.push_back(reference.str().substr(registry::kTransport.size()));
  std::string ns = reference.name();
  candidates.push_back(ns);
  for (auto slash = ns.rfind('/'); slash != std::string::npos; slash = ns.rfind('/')) {
    ns = ns.substr(0, slash);
    candidates.push_back(ns);
  }
  for (const auto& candidate : candidates) {
    for (const auto& [key, entry] : config.docker) {
      if (key == candidate) return entry;
    }
  }
  return config.default_docker;
}

std::string signature_url(std::string_view base, const registry::Reference& reference, const Digest& manifest,
                          unsigned index) {
  std::string url(base);
  while (url.ends_with('/')) url.pop_back();
  return fmt::format("{}/{}@sha256={}/signature-{}", url, reference.repository, manifest.hex(), index);
}

}  // namespace sheaf::sign
