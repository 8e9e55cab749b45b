// Debian's docker-registry (distribution 2.8) on 127.0.0.1, started by a
// test: plain http, or TLS with a test CA, and htpasswd users; and
// registry_proxy.py in front of one, for what distribution does not do (the
// referrers API, the bearer-token flow) and for the faults of a broken one.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sheaf::testing {

struct RegistryOptions {
  bool tls = false;       // serve https with a certificate of the test CA (ca_dir())
  bool htpasswd = false;  // require Basic credentials: user "sheaf", password "secret"
};

class TestRegistry {
 public:
  explicit TestRegistry(const std::filesystem::path& dir, const RegistryOptions& options = {});
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  std::string host() const;                            // "127.0.0.1:PORT"
  std::string ref(const std::string& repo_tag) const;  // "docker://127.0.0.1:PORT/" + repo_tag
  // A directory holding the test CA as ca.crt: what --cert-dir takes.
  std::filesystem::path ca_dir() const { return dir_ / "certs"; }
  // The access log so far, one line per request: "METHOD PATH STATUS".
  std::vector<std::string> requests() const;
  // How many GETs of blobs (that sent a body) the log holds.
  std::size_t blob_downloads() const;
  // Forgets the requests so far.
  void clear_log();
  // Where the registry keeps a blob's bytes.
  std::filesystem::path blob_file(const std::string& digest) const;
  // Stops the registry now (its port then refuses connections).
  void stop();
  // An auth.json with the test user's credentials for this registry.
  std::filesystem::path write_auth_file(const std::string& user = "sheaf", const std::string& password = "secret") const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// registry_proxy.py in front of `upstream` (a host:port with plain http).
struct ProxyOptions {
  bool referrers = false;  // serve the referrers API, and answer OCI-Subject
  bool token = false;      // require a bearer token from its own realm (/token, Basic sheaf:secret)
  // Fault modes (registry_proxy.py documents each): "", "redirect-blobs",
  // "drop-blob-once", "drop-patch-once", "hang", "huge-manifest",
  // "corrupt-blob", "move-tag".
  std::string fault;
};

class RegistryProxy {
 public:
  RegistryProxy(const std::filesystem::path& dir, const std::string& upstream, const ProxyOptions& options);
  ~RegistryProxy();
  RegistryProxy(const RegistryProxy&) = delete;
  RegistryProxy& operator=(const RegistryProxy&) = delete;

  std::string host() const;
  std::string ref(const std::string& repo_tag) const;
  // One JSON object per request: method, path, status, auth (whether an
  // Authorization header came), port (which of its listeners).
  std::vector<std::string> requests() const;

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A free TCP port on 127.0.0.1 (bound and released: another process could
// take it in between, which tests accept).
int free_port();

}  // namespace sheaf::testing
