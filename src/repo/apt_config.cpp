#include "repo/apt_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/process.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::repo {

namespace {

std::vector<std::string> split_on(std::string_view text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string trim_uri(std::string uri) {
  while (uri.size() > 1 && uri.back() == '/') uri.pop_back();
  return uri;
}

std::string read_text_file(const std::filesystem::path& path) {
  return read_file(path.string());
}

bool is_yes(std::string_view value) {
  return value == "yes" || value == "true" || value == "1";
}

}  // namespace

std::vector<AptSource> parse_sources_list(std::string_view text, std::string_view file) {
  std::vector<AptSource> out;
  unsigned line_number = 0;
  for (std::string_view line : split_lines(text)) {
    ++line_number;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::string where = fmt::format("{}:{}", file, line_number);

    // Options in brackets may contain spaces: "[ arch=amd64 signed-by=/k.gpg ]".
    std::string options;
    std::string rest(line);
    if (auto open = rest.find('['); open != std::string::npos) {
      auto close = rest.find(']', open);
      if (close == std::string::npos) throw ParseError(where, "an option list '[' is not closed");
      options = rest.substr(open + 1, close - open - 1);
      rest.erase(open, close - open + 1);
    }
    auto words = split_whitespace(rest);
    if (words.empty()) continue;
    if (words[0] == "deb-src") continue;
    if (words[0] != "deb") throw ParseError(where, fmt::format("unknown source type {}", quote(words[0])));
    if (words.size() < 3) throw ParseError(where, "a deb line needs a URI and a suite");
    AptSource source;
    source.uri = trim_uri(words[1]);
    source.suite = words[2];
    source.components.assign(words.begin() + 3, words.end());
    source.where = where;
    for (const auto& option : split_whitespace(options)) {
      auto eq = option.find('=');
      if (eq == std::string::npos) throw ParseError(where, fmt::format("option {} has no value", quote(option)));
      std::string key = option.substr(0, eq);
      std::string value = option.substr(eq + 1);
      if (key == "arch") source.architectures = split_on(value, ',');
      if (key == "signed-by") source.signed_by = split_on(value, ',');
    }
    out.push_back(std::move(source));
  }
  return out;
}

std::vector<AptSource> parse_sources_deb822(std::string_view text, std::string_view file) {
  std::vector<AptSource> out;
  // Fields of the current stanza, name lowercased.
  std::map<std::string, std::string> fields;
  unsigned stanza_line = 0;
  std::string last_field;
  auto finish = [&] {
    if (fields.empty()) return;
    std::string where = fmt::format("{}:{}", file, stanza_line);
    auto get = [&](const char* name) -> std::string {
      auto it = fields.find(name);
      return it == fields.end() ? std::string() : it->second;
    };
    auto types = split_whitespace(get("types"));
    bool wanted = std::find(types.begin(), types.end(), "deb") != types.end();
    if (fields.count("enabled") && !is_yes(get("enabled"))) wanted = false;
    if (wanted) {
      auto uris = split_whitespace(get("uris"));
      auto suites = split_whitespace(get("suites"));
      if (uris.empty()) throw ParseError(where, "the stanza has no URIs");
      if (suites.empty()) throw ParseError(where, "the stanza has no Suites");
      for (const auto& uri : uris) {
        for (const auto& suite : suites) {
          AptSource source;
          source.uri = trim_uri(uri);
          source.suite = suite;
          source.components = split_whitespace(get("components"));
          source.architectures = split_whitespace(get("architectures"));
          std::string signed_by = get("signed-by");
          // An inline key block is not a path; sheaf then falls back to its default keyring.
          if (signed_by.find("BEGIN PGP") == std::string::npos) source.signed_by = split_whitespace(signed_by);
          source.where = where;
          out.push_back(std::move(source));
        }
      }
    }
    fields.clear();
    last_field.clear();
  };

  unsigned line_number = 0;
  for (std::string_view line : split_lines(text)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] == '#') continue;
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      finish();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (last_field.empty()) {
        throw ParseError(fmt::format("{}:{}", file, line_number), "a continuation line comes before any field");
      }
      fields[last_field] += "\n" + std::string(line);
    } else {
      auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        throw ParseError(fmt::format("{}:{}", file, line_number), "expected 'Field: value'");
      }
      std::string name(line.substr(0, colon));
      if (name.find_first_of(" \t") != std::string::npos) {
        throw ParseError(fmt::format("{}:{}", file, line_number), "expected 'Field: value'");
      }
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      if (fields.empty()) stanza_line = line_number;
      fields[name] = std::string(value);
      last_field = name;
    }
  }
  finish();
  return out;
}

std::vector<AuthEntry> parse_auth_conf(std::string_view text, std::string_view file) {
  // netrc: whitespace-separated tokens; '#' starts a comment to the end of the line.
  std::string stripped;
  for (std::string_view line : split_lines(text)) {
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    stripped += line;
    stripped += '\n';
  }
  auto tokens = split_whitespace(stripped);
  std::vector<AuthEntry> out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    auto value = [&](std::string_view key) -> std::string {
      if (i + 1 >= tokens.size()) throw ParseError(std::string(file), fmt::format("{} has no value", key));
      return tokens[++i];
    };
    if (tokens[i] == "machine") {
      out.push_back({value("machine"), "", ""});
    } else if (tokens[i] == "login" || tokens[i] == "password") {
      if (out.empty()) throw ParseError(std::string(file), fmt::format("{} comes before any machine", tokens[i]));
      const std::string key = tokens[i];
      std::string v = value(key);
      (key == "login" ? out.back().login : out.back().password) = v;
    } else {
      throw ParseError(std::string(file), fmt::format("unknown token {}", quote(tokens[i])));
    }
  }
  return out;
}

std::string url_origin(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  auto path = url.find('/', scheme_end + 3);
  return std::string(url.substr(0, path));
}

const AuthEntry* find_credentials(const std::vector<AuthEntry>& entries, std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return nullptr;
  std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);  // host[:port]/path
  for (const auto& entry : entries) {
    std::string_view machine = entry.machine;
    if (auto s = machine.find("://"); s != std::string_view::npos) {
      if (machine.substr(0, s) != scheme) continue;
      machine = machine.substr(s + 3);
    }
    std::string_view host = machine.substr(0, machine.find('/'));
    std::string_view url_host = rest.substr(0, rest.find('/'));
    bool host_ok =
        host.find(':') == std::string_view::npos ? url_host.substr(0, url_host.find(':')) == host : url_host == host;
    if (!host_ok) continue;
    std::string_view path = machine.substr(host.size());
    std::string_view url_path = rest.substr(url_host.size());
    if (!path.empty() && !url_path.starts_with(path)) continue;
    return &entry;
  }
  return nullptr;
}

std::map<std::string, std::string> parse_apt_config_dump(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : split_lines(text)) {
    auto space = line.find(" \"");
    if (space == std::string_view::npos || !line.ends_with("\";")) continue;
    std::string_view value = line.substr(space + 2, line.size() - space - 4);
    out[std::string(line.substr(0, space))] = std::string(value);
  }
  return out;
}

std::optional<std::string> AptConfig::proxy_for(std::string_view url) const {
  std::string origin = url_origin(url);
  auto scheme_end = origin.find("://");
  if (scheme_end != std::string::npos) {
    std::string host = origin.substr(scheme_end + 3);
    host = host.substr(0, host.find(':'));
    std::string key = origin.substr(0, scheme_end) + "://" + host;
    if (auto it = host_proxies.find(key); it != host_proxies.end()) {
      return it->second == "DIRECT" ? std::string() : it->second;
    }
  }
  std::string proxy;
  if (url.starts_with("https://")) proxy = https_proxy.empty() ? http_proxy : https_proxy;
  if (url.starts_with("http://")) proxy = http_proxy;
  if (url.starts_with("file:")) return std::string();
  if (proxy == "DIRECT") return std::string();
  if (proxy.empty()) return std::nullopt;
  return proxy;
}

AptConfig load_host_apt_config() {
  std::map<std::string, std::string> values;
  if (auto dump = run_capture({"apt-config", "dump"}, {.discard_stderr = true}); dump && dump->exit_code == 0) {
    values = parse_apt_config_dump(dump->out);
  }
  auto get = [&](const std::string& key, std::string fallback) {
    auto it = values.find(key);
    return it == values.end() || it->second.empty() ? fallback : it->second;
  };
  // apt resolves each Dir:: entry against its parent unless it is absolute.
  auto under = [](const std::filesystem::path& parent, const std::string& child) {
    std::filesystem::path p(child);
    return p.is_absolute() ? p : parent / p;
  };
  std::filesystem::path root = get("Dir", "/");
  std::filesystem::path etc = under(root, get("Dir::Etc", "etc/apt"));
  std::filesystem::path sourcelist = under(etc, get("Dir::Etc::sourcelist", "sources.list"));
  std::filesystem::path sourceparts = under(etc, get("Dir::Etc::sourceparts", "sources.list.d"));
  std::filesystem::path netrc = under(etc, get("Dir::Etc::netrc", "auth.conf"));
  std::filesystem::path netrcparts = under(etc, get("Dir::Etc::netrcparts", "auth.conf.d"));

  AptConfig config;
  config.http_proxy = get("Acquire::http::Proxy", "");
  config.https_proxy = get("Acquire::https::Proxy", "");
  for (const auto& [key, value] : values) {
    for (std::string scheme : {"http", "https"}) {
      std::string prefix = "Acquire::" + scheme + "::Proxy::";
      if (key.starts_with(prefix)) config.host_proxies[scheme + "://" + key.substr(prefix.size())] = value;
    }
  }

  auto sorted_files = [](const std::filesystem::path& dir, std::string_view suffix) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      auto name = entry.path().filename().string();
      if (name.ends_with(suffix) && !name.starts_with(".") && entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  };
  std::error_code ec;
  if (std::filesystem::is_regular_file(sourcelist, ec)) {
    auto found = parse_sources_list(read_text_file(sourcelist), sourcelist.string());
    config.sources.insert(config.sources.end(), found.begin(), found.end());
  }
  // apt reads sources.list.d in name order, .list and .sources together.
  std::vector<std::filesystem::path> parts = sorted_files(sourceparts, ".list");
  auto sources = sorted_files(sourceparts, ".sources");
  parts.insert(parts.end(), sources.begin(), sources.end());
  std::sort(parts.begin(), parts.end());
  for (const auto& file : parts) {
    auto text = read_text_file(file);
    auto found = file.extension() == ".sources" ? parse_sources_deb822(text, file.string())
                                                : parse_sources_list(text, file.string());
    config.sources.insert(config.sources.end(), found.begin(), found.end());
  }
  if (std::filesystem::is_regular_file(netrc, ec)) config.auth = parse_auth_conf(read_text_file(netrc), netrc.string());
  for (const auto& file : sorted_files(netrcparts, ".conf")) {
    auto found = parse_auth_conf(read_text_file(file), file.string());
    config.auth.insert(config.auth.end(), found.begin(), found.end());
  }
  return config;
}

}  // namespace sheaf::repo
