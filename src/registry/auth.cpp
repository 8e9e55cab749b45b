#include "registry/auth.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::registry {

namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

// An auth file key as containers/image normalises it: a URL's scheme and
// any "/v1/" or "/v2/" path dropped; the rest is HOST[:PORT][/REPO...].
std::string normalise_key(std::string_view key) {
  bool was_url = false;
  if (auto scheme = key.find("://"); scheme != std::string_view::npos) {
    key.remove_prefix(scheme + 3);
    was_url = true;
  }
  while (key.ends_with('/')) key.remove_suffix(1);
  std::string out(key);
  if (was_url) {
    // docker's "SCHEME://HOST/v1/": the path is an API version, not a repository.
    if (auto slash = out.find('/'); slash != std::string::npos) out.resize(slash);
  }
  auto host_end = std::min(out.find('/'), out.size());
  return ascii_lower(std::string_view(out).substr(0, host_end)) + out.substr(host_end);
}

}  // namespace

std::vector<std::filesystem::path> auth_files(const std::optional<std::filesystem::path>& authfile) {
  if (authfile) return {*authfile};
  std::vector<std::filesystem::path> out;
  if (auto file = env("REGISTRY_AUTH_FILE")) out.emplace_back(*file);
  if (auto runtime = env("XDG_RUNTIME_DIR")) out.emplace_back(std::filesystem::path(*runtime) / "containers/auth.json");
  std::optional<std::string> home = env("HOME");
  std::optional<std::string> config = env("XDG_CONFIG_HOME");
  if (config) {
    out.emplace_back(std::filesystem::path(*config) / "containers/auth.json");
  } else if (home) {
    out.emplace_back(std::filesystem::path(*home) / ".config/containers/auth.json");
  }
  if (home) out.emplace_back(std::filesystem::path(*home) / ".docker/config.json");
  return out;
}

std::optional<Credentials> find_credentials(const std::vector<std::filesystem::path>& files, std::string_view host,
                                            std::string_view repository) {
  const std::string wanted = std::string(host) + "/" + std::string(repository);
  for (const auto& file : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) continue;
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(read_file(file.string()));
    } catch (const nlohmann::json::exception& e) {
      fail("the auth file {} is not valid JSON: {}", quote(file.string()), e.what());
    }
    if (!doc.is_object() || !doc.contains("auths")) continue;
    const auto& auths = doc["auths"];
    if (!auths.is_object()) fail("the auth file {}: \"auths\" is not an object", quote(file.string()));
    // The longest key that is the host, or a repository prefix under it.
    const nlohmann::json* best = nullptr;
    std::string best_key;
    std::size_t best_length = 0;
    for (const auto& [key, entry] : auths.items()) {
      std::string k = normalise_key(key);
      bool matches = k == host || (wanted.starts_with(k) && wanted.size() > k.size() && wanted[k.size()] == '/' &&
                                   k.starts_with(std::string(host) + "/")) ||
                     k == wanted;
      if (matches && k.size() >= best_length) {
        best = &entry;
        best_key = key;
        best_length = k.size();
      }
    }
    if (!best) continue;
    std::string where = fmt::format("{} (entry {})", quote(file.string()), quote(best_key));
    if (!best->is_object() || !best->contains("auth") || !(*best)["auth"].is_string()) {
      if (best->is_object() && best->contains("identitytoken")) {
        fail("{} holds an identity token; sheaf supports only \"auth\" (user:password) entries", where);
      }
      continue;  // an entry without "auth" (a credential helper's): not usable here
    }
    std::optional<std::string> decoded = base64_decode((*best)["auth"].get<std::string>());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (!decoded || colon == std::string::npos) {
      fail("{}: \"auth\" is not base64 of \"user:password\"", where);
    }
    return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1), where};
  }
  return std::nullopt;
}

http::Tls tls_for(std::string_view host, const std::optional<std::filesystem::path>& cert_dir, bool verify) {
  http::Tls tls;
  tls.verify = verify;
  std::filesystem::path dir = cert_dir ? *cert_dir : std::filesystem::path("/etc/containers/certs.d") / std::string(host);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (cert_dir) fail("--cert-dir {} is not a directory", quote(dir.string()));
    return tls;
  }
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& path : entries) {
    if (path.extension() == ".crt") {
      std::string pem = read_file(path.string());
      if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        fail("{} holds no PEM certificate", quote(path.string()));
      }
      tls.ca_pem += pem;
      if (!pem.ends_with('\n')) tls.ca_pem += '\n';
    } else if (path.extension() == ".cert") {
      std::filesystem::path key = path;
      key.replace_extension(".key");
      if (!std::filesystem::exists(key, ec)) {
        fail("the client certificate {} has no key {} beside it", quote(path.string()), quote(key.string()));
      }
      tls.client_certificate = path;
      tls.client_key = key;
    }
  }
  return tls;
}

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  auto token = [&] {
    std::size_t start = i;
    while (i < header.size() && header[i] != ' ' && header[i] != '\t' && header[i] != '=' && header[i] != ',') ++i;
    return std::string(header.substr(start, i - start));
  };
  while (i < header.size()) {
    skip_space();
    if (i < header.size() && header[i] == ',') {
      ++i;
      continue;
    }
    std::string word = token();
    if (word.empty()) break;
    skip_space();
    if (i < header.size() && header[i] == '=' && !out.empty()) {
      // A parameter of the current challenge.
      ++i;
      skip_space();
      std::string value;
      if (i < header.size() && header[i] == '"') {
        ++i;
        while (i < header.size() && header[i] != '"') {
          if (header[i] == '\\' && i + 1 < header.size()) ++i;
          value += header[i++];
        }
        ++i;
      } else {
        value = token();
      }
      out.back().params[ascii_lower(word)] = value;
      continue;
    }
    out.push_back(Challenge{ascii_lower(word), {}});
  }
  return out;
}

}  // namespace sheaf::registry
