// The host's apt configuration, as far as sheaf needs it: which URI serves
// which suite (sources.list and sources.list.d, one-line and deb822), the
// HTTP proxy, and the credentials in auth.conf.
//
// Paths and the proxy come from `apt-config dump`, so sheaf reads exactly the
// files apt would, including $APT_CONFIG and Dir::Etc overrides. Where
// apt-config is absent, the defaults under /etc/apt apply and no proxy is set.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::repo {

// One (URI, suite) pair that a `deb` line or stanza names.
struct AptSource {
  std::string uri;    // without a trailing '/'
  std::string suite;  // "bookworm", "bookworm-security"
  std::vector<std::string> components;
  std::vector<std::string> architectures;  // empty: every architecture
  std::vector<std::string> signed_by;      // keyring paths (Signed-By); empty when not given
  std::string where;                       // "FILE:LINE", for messages
};

// Parses a one-line sources.list ("deb [opts] URI SUITE COMPONENT..."). deb-src
// lines are skipped; a malformed line is a ParseError naming FILE:LINE.
std::vector<AptSource> parse_sources_list(std::string_view text, std::string_view file);
// Parses a deb822 .sources file. Stanzas whose Types lack "deb", or with
// "Enabled: no", are skipped; one stanza yields one AptSource per URI and
// suite.
std::vector<AptSource> parse_sources_deb822(std::string_view text, std::string_view file);

// One `machine` entry of auth.conf (netrc syntax, as apt reads it).
struct AuthEntry {
  std::string machine;  // host[:port][/path], optionally with a scheme
  std::string login;
  std::string password;
};
std::vector<AuthEntry> parse_auth_conf(std::string_view text, std::string_view file);
// The credentials for `url`: the first entry whose host (and port and path
// prefix, when given) match.
const AuthEntry* find_credentials(const std::vector<AuthEntry>& entries, std::string_view url);

struct AptConfig {
  std::vector<AptSource> sources;  // in the order apt reads them
  // Acquire::http::Proxy and Acquire::https::Proxy; "" when unset. Per-host
  // values (Acquire::http::Proxy::HOST) are in `host_proxies`, with "DIRECT"
  // meaning no proxy.
  std::string http_proxy;
  std::string https_proxy;
  std::map<std::string, std::string> host_proxies;  // scheme "://" host -> proxy
  std::vector<AuthEntry> auth;

  // The proxy apt would use for `url`: a URL, "" for a direct connection
  // (DIRECT), or nullopt when apt's configuration sets none, in which case
  // apt, and sheaf, fall back to the http_proxy/https_proxy environment.
  std::optional<std::string> proxy_for(std::string_view url) const;
};

// Reads the host's configuration, as apt would.
AptConfig load_host_apt_config();

// Parses `apt-config dump` output into key -> value ("Dir::Etc" -> "etc/apt").
std::map<std::string, std::string> parse_apt_config_dump(std::string_view text);

// The scheme and authority of a URL: everything before the path.
std::string url_origin(std::string_view url);

}  // namespace sheaf::repo
