// A client of one registry (OCI distribution spec v1.1): manifests, blobs,
// uploads (monolithic, chunked and resumed), cross-repository mounts and
// referrers, with the authentication registries use.
//
// Scheme: https, always tried first. Plain http only when the host is
// loopback (the server answered the TLS handshake with something that is not
// TLS) or with tls_verify off. A certificate that fails verification is an
// error, never a reason to try http.
//
// Authentication: anonymous until the registry answers 401; then Basic with
// the credentials the auth files hold, or the Bearer token flow (the token
// realm is asked for the scopes this request needs, with those credentials
// when there are any). Credentials and tokens are sent only to the
// registry's own origin: a redirect elsewhere (blob storage) is followed
// without them.
//
// Transient failures (a refused or dropped connection, 5xx, 429) are retried
// with backoff; an upload resumes from the offset the registry reports.
//
// A Registry is not thread-safe: give each thread its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/digest.hpp"
#include "http/client.hpp"
#include "registry/auth.hpp"
#include "registry/reference.hpp"

namespace sheaf::registry {

// Manifests and indexes larger than this are refused (containers/image
// uses the same bound).
inline constexpr std::uint64_t kMaxManifestSize = std::uint64_t{4} << 20;

struct Options {
  std::optional<std::filesystem::path> authfile;  // the only auth file, instead of the usual ones
  std::optional<std::filesystem::path> cert_dir;  // instead of /etc/containers/certs.d/HOST
  bool tls_verify = true;
  // How long a connection attempt, or a request that receives nothing, may
  // take before it is abandoned (and retried).
  long timeout_seconds = 30;
  unsigned retries = 3;
  unsigned backoff_ms = 500;
  // Blobs larger than this are uploaded in chunks of this size.
  std::uint64_t chunk_size = std::uint64_t{16} << 20;
  std::function<std::optional<std::string>(std::string_view url)> proxy_for = nullptr;
};

// A registry's answer that is an error: HTTP status and the distribution
// error codes it gave ("MANIFEST_UNKNOWN", "NAME_UNKNOWN", ...).
class RegistryError : public Error {
 public:
  RegistryError(long status, std::string code, std::string message)
      : Error(std::move(message)), status_(status), code_(std::move(code)) {}
  long status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }

 private:
  long status_;
  std::string code_;
};

struct FetchedManifest {
  std::string media_type;  // the Content-Type the registry sent
  std::string bytes;
  Digest digest;  // of the bytes
};

// What a client learnt about a registry: its scheme, its challenge, the
// credentials for it and the tokens it was given. Another client of the
// same registry can start from it instead of asking again.
struct Discovery {
  std::string scheme;
  std::optional<Challenge> challenge;
  std::optional<Credentials> credentials;
  bool credentials_looked_up = false;
  std::map<std::string, std::string> tokens;
};

class Registry {
 public:
  Registry(std::string host, Options options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  const std::string& host() const noexcept { return host_; }

  Discovery discovery() const;
  // Starts from what another client of the same host learnt.
  void resume(const Discovery& discovery);
  // SCHEME://HOST, the scheme (https or http) found by the first request.
  std::string base_url();

  // The blob's size, or nullopt when the repository lacks it (HEAD).
  std::optional<std::uint64_t> blob_size(std::string_view repository, const Digest& digest);

  // Streams the blob to `on_chunk`, checking that exactly `size` bytes come
  // and that they hash to `digest`. A dropped transfer starts again from
  // the beginning (`on_restart` is told, to discard what it kept).
  void get_blob(std::string_view repository, const Digest& digest, std::uint64_t size,
                const std::function<void(std::string_view)>& on_chunk, const std::function<void()>& on_restart,
                const std::function<void(std::uint64_t)>& on_progress = nullptr);
  // A small blob in memory (a config, a document), at most `limit` bytes.
  std::string get_blob_bytes(std::string_view repository, const Digest& digest, std::uint64_t size,
                             std::uint64_t limit);

  // Asks the registry to mount `digest` from `from` into `repository`.
  // nullopt when it did; otherwise the location of the ordinary upload it
  // started instead, for upload_blob to use.
  std::optional<std::string> mount_blob(std::string_view repository, const Digest& digest, std::string_view from);

  // Uploads `size` bytes of `fd` as the blob `digest`: one PUT up to the
  // chunk size, PATCH chunks above it, resuming where the registry says
  // it stopped after a dropped connection.
  struct UploadStats {
    bool chunked = false;
    unsigned chunks = 0;
    unsigned resumed = 0;  // times an interrupted upload continued
  };
  // `started`: an upload session a refused mount opened, used first.
  UploadStats upload_blob(std::string_view repository, const Digest& digest, int fd, std::uint64_t size,
                          const std::function<void(std::uint64_t)>& on_progress = nullptr,
                          std::optional<std::string> started = std::nullopt);

  // The manifest or index a tag or digest names, or nullopt when the
  // repository has no such tag or digest. Refuses one over kMaxManifestSize.
  std::optional<FetchedManifest> get_manifest(std::string_view repository, std::string_view reference);
  // The manifest `ref` names (its digest, else its tag); a RegistryError
  // (404 MANIFEST_UNKNOWN) naming the missing tag or digest when there is none.
  FetchedManifest require_manifest(const Reference& ref);

  struct PutManifestResult {
    Digest digest;
    // The registry answered with OCI-Subject: it indexes the manifest's
    // subject itself (the referrers API), so no fallback tag is needed.
    bool subject_indexed = false;
  };
  PutManifestResult put_manifest(std::string_view repository, std::string_view reference, std::string_view media_type,
                                 std::string_view bytes);

  // The referrers API: the image index of manifests whose subject is
  // `digest`, filtered by artifact type when one is given; nullopt when the
  // registry has no referrers API (it answered 404 for the endpoint).
  std::optional<std::string> referrers(std::string_view repository, const Digest& digest,
                                       std::string_view artifact_type = {});

  // Counters for reports and benchmarks.
  struct Stats {
    std::uint64_t requests = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
  };
  const Stats& stats() const noexcept { return stats_; }

 private:
  struct Scope;
  enum class Access { pull, push };
  http::Response send(http::Request request, std::string_view repository, Access access,
                      std::string_view mount_from = {});
  http::Response send_once(http::Request& request, std::string_view repository, Access access,
                           std::string_view mount_from);
  void ping();
  // Runs `attempt` again (with backoff) while it fails transiently: a
  // transport error other than TLS, or a 5xx, 408 or 429, until the retries
  // are spent; then returns the last response, or throws naming `what`.
  http::Response retrying(const std::function<http::Response()>& attempt, std::string_view what);
  // Takes the Basic or Bearer challenge of a 401; false when it has none.
  bool adopt_challenge(const http::Response& response);
  std::string authorization(std::string_view repository, Access access, std::string_view mount_from);
  std::string fetch_token(const std::string& scopes);
  [[noreturn]] void fail_response(const http::Response& response, std::string_view what);
  std::string url(std::string_view repository, std::string_view tail);

  std::string host_;
  Options options_;
  std::unique_ptr<http::Client> client_;
  std::string scheme_;  // "https" or "http", after ping()
  std::optional<Challenge> challenge_;  // the 401 challenge of /v2/, when there was one
  std::optional<Credentials> credentials_;
  bool credentials_looked_up_ = false;
  std::map<std::string, std::string> tokens_;  // scopes -> bearer token
  Stats stats_;
};

// The fallback tag under which referrers of `digest` are listed in a
// registry without the referrers API: "sha256-<hex>".
std::string referrers_tag(const Digest& digest);

}  // namespace sheaf::registry
