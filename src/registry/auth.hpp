// Credentials and TLS trust for a registry, from the files podman, skopeo and
// docker users already have:
//
//   credentials  --authfile FILE, else the first of $REGISTRY_AUTH_FILE,
//                ${XDG_RUNTIME_DIR}/containers/auth.json,
//                ~/.config/containers/auth.json and ~/.docker/config.json
//                that has an entry for the registry. An entry's key is
//                HOST[:PORT], optionally with a repository prefix
//                (HOST/team), the longest matching one winning, or a URL
//                (SCHEME://HOST/v1/, as docker writes); its "auth" is
//                base64("user:password"). Credential helpers are not run.
//   trust        --cert-dir DIR, else /etc/containers/certs.d/HOST[:PORT]/:
//                *.crt are CA certificates added to the system's, and a
//                NAME.cert with NAME.key is a client certificate.
//
// And the WWW-Authenticate challenges registries answer 401 with.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.hpp"

namespace sheaf::registry {

struct Credentials {
  std::string user;
  std::string password;
  std::string source;  // the file they came from, for messages
};

// The auth files searched, in order (those that do not exist are skipped).
// `authfile`, when given, is the only one.
std::vector<std::filesystem::path> auth_files(const std::optional<std::filesystem::path>& authfile);

// The credentials for `host` and `repository` from the first auth file that
// has an entry for them. Throws an Error naming the file when one is not
// valid JSON or an entry's "auth" is not base64 of "user:password".
std::optional<Credentials> find_credentials(const std::vector<std::filesystem::path>& files, std::string_view host,
                                            std::string_view repository);

// The TLS settings for `host`: the CAs and client certificate of `cert_dir`,
// or of /etc/containers/certs.d/HOST/ when cert_dir is unset.
http::Tls tls_for(std::string_view host, const std::optional<std::filesystem::path>& cert_dir, bool verify);

// One challenge of a WWW-Authenticate header: its scheme (lower case) and
// parameters (names lower case).
struct Challenge {
  std::string scheme;  // "basic", "bearer"
  std::map<std::string, std::string> params;
};

// Parses a WWW-Authenticate value (RFC 7235: several challenges,
// comma-separated parameters, quoted strings).
std::vector<Challenge> parse_challenges(std::string_view header);

}  // namespace sheaf::registry
