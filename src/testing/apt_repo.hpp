// Real apt repositories for tests: .deb files built by dpkg-deb, indexes by
// apt-ftparchive, signatures by gpg with a throwaway key, served from disk
// (file://) or by a small HTTP server on 127.0.0.1 (http_server.py).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/deb_fixture.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::testing {

// A throwaway gpg key in its own GNUPGHOME.
class GpgKey {
 public:
  // Creates an ed25519 signing key below `dir`.
  explicit GpgKey(const std::filesystem::path& dir, std::string_view name = "sheaf test key");
  // The public key as a binary keyring file, for gpgv --keyring.
  const std::filesystem::path& keyring() const noexcept { return keyring_; }
  // Its GNUPGHOME (for GNUPGHOME=... gpg, skopeo --sign-by, sheaf sign).
  const std::filesystem::path& home() const noexcept { return home_; }
  // The primary key's fingerprint (40 hex digits).
  std::string fingerprint() const;
  void clearsign(const std::filesystem::path& in, const std::filesystem::path& out) const;
  void detach_sign(const std::filesystem::path& in, const std::filesystem::path& out) const;

 private:
  std::filesystem::path home_;
  std::filesystem::path keyring_;
};

enum class Signature { inrelease, detached, none };

struct PublishOptions {
  Signature signature = Signature::inrelease;
  const GpgKey* key = nullptr;                  // required unless Signature::none
  std::optional<std::string> valid_until;       // a Valid-Until line value
  std::vector<std::string> components{"main"};  // components to index
  std::string arch = "amd64";
  // Several architectures: a Packages index each, of the pool's packages of
  // that architecture and "all" (`arch` is then ignored).
  std::vector<std::string> arches;
  std::vector<std::string> compressions{"xz"};  // of Packages: "xz", "gz"
};

// A repository rooted at `root`: pool/SUITE/COMPONENT/*.deb and dists/SUITE/.
class AptRepo {
 public:
  explicit AptRepo(std::filesystem::path root);
  const std::filesystem::path& root() const noexcept { return root_; }
  std::string file_url() const { return "file://" + root_.string(); }

  // Builds a package with dpkg-deb and files it in `suite`. `fields` go into
  // DEBIAN/control verbatim ("Depends: b (>= 2)\n"). Returns the .deb's path.
  std::filesystem::path add(std::string_view suite, std::string_view name, std::string_view version,
                            std::string_view fields = "", std::string_view arch = "amd64",
                            std::string_view component = "main");
  // The same, with `fill` adding files to the package's tree (beside its README).
  std::filesystem::path add_with(std::string_view suite, std::string_view name, std::string_view version,
                                 std::string_view fields, const std::function<void(DebTree&)>& fill,
                                 std::string_view arch = "amd64");
  // Writes dists/SUITE: Packages.xz per component (apt-ftparchive), Release
  // (apt-ftparchive release) and its signature.
  void publish(std::string_view suite, const PublishOptions& options);

 private:
  std::filesystem::path add_in(std::string_view suite, std::string_view name, std::string_view version,
                               std::string_view fields, const std::function<void(DebTree&)>& fill,
                               std::string_view arch, std::string_view component);

  std::filesystem::path root_;
  unsigned counter_ = 0;
};

// A repository and the throwaway key that signs it, in a directory of their
// own: what a test suite sets up once and shares between its tests.
struct SignedAptRepo {
  TempDir dir;
  GpgKey key{dir.path() / "key"};
  AptRepo repo{dir.path() / "repo"};

  void publish(std::string_view suite) { repo.publish(suite, {.key = &key}); }

  // sheaf.toml text of an image NAME, entrypoint /usr/bin/app, built from
  // this repository's "stable" suite with INCLUDE (TOML list items) and
  // EXTRA appended: the spec the registry and signing tests build.
  std::string app_spec(const std::string& name, const std::string& include, const std::string& extra = "") const {
    return "[image]\nname = \"" + name + "\"\nentrypoint = [\"/usr/bin/app\"]\n\n[source.debian]\nsuites = "
           "[\"stable\"]\narch = \"amd64\"\nmirror = \"" + repo.file_url() + "\"\nkeyring = \"" +
           key.keyring().string() + "\"\n\n[packages]\ninclude = [" + include + "]\n" + extra;
  }
};

struct HttpServerOptions {
  std::uint64_t rate = 0;  // bytes per second per response at the most; 0 is as fast as it can
};

// One response of the server, from its JSON log.
struct HttpTransfer {
  std::string method;
  std::string status;  // "200", "206", "304", ..., "dropped", "aborted"
  std::string path;
  std::string range;   // the Range header, or ""
  double start = 0;    // seconds since the epoch
  double end = 0;
  std::uint64_t bytes = 0;  // of the body sent
};

// http_server.py serving `root` on 127.0.0.1, for the life of the object.
class HttpServer {
 public:
  explicit HttpServer(const std::filesystem::path& root, const HttpServerOptions& options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  std::string url() const;  // "http://127.0.0.1:PORT"
  // The request log: "METHOD STATUS PATH RANGE" lines.
  std::vector<std::string> requests() const;
  // Requests whose path ends in `suffix` and that sent a body (200 or 206).
  std::size_t downloads_of(std::string_view suffix) const;
  // Every response so far, in the order they ended.
  std::vector<HttpTransfer> transfers() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_;
};

}  // namespace sheaf::testing
