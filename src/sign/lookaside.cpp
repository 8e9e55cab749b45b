#include "sign/lookaside.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "http/client.hpp"

namespace sheaf::sign {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFile = "file://";

std::optional<fs::path> file_path(std::string_view url) {
  if (!url.starts_with(kFile)) return std::nullopt;
  return fs::path(std::string(url.substr(kFile.size())));
}

// One signature from a file:// store: nullopt when the file is missing.
std::optional<std::string> read_file_signature(const fs::path& path, const std::string& url) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    fail("cannot read the signature {}: {}", url, std::strerror(errno));
  }
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxSignatureSize) {
    fail("the signature {} is {} bytes, over the limit of {} (containers/image's too)", url, size, kMaxSignatureSize);
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

FoundSignatures read_signatures(const std::optional<LookasideEntry>& entry, const registry::Reference& reference,
                                const Digest& manifest, const registry::Options& options) {
  FoundSignatures found;
  if (!entry || !entry->read) return found;
  const std::string& base = *entry->read;
  found.from = signature_url(base, reference, manifest, 1);
  found.from = found.from.substr(0, found.from.rfind('/'));
  std::unique_ptr<http::Client> client;
  if (!base.starts_with(kFile)) {
    if (!base.starts_with("http://") && !base.starts_with("https://")) {
      fail("{}: the lookaside {} is neither file:// nor http(s)://", entry->where, base);
    }
    http::ClientSettings settings;
    settings.connect_timeout_seconds = options.timeout_seconds;
    settings.stall_timeout_seconds = options.timeout_seconds;
    settings.proxy_for = options.proxy_for;
    http::Tls tls;
    tls.verify = options.tls_verify;
    client = std::make_unique<http::Client>(settings, tls);
  }
  for (unsigned index = 1; index <= kMaxSignatures; ++index) {
    const std::string url = signature_url(base, reference, manifest, index);
    if (auto path = file_path(url)) {
      auto signature = read_file_signature(*path, url);
      if (!signature) break;
      found.signatures.push_back(std::move(*signature));
      continue;
    }
    http::Request request;
    request.url = url;
    request.max_body = kMaxSignatureSize;
    http::Response response;
    try {
      response = client->perform(request);
    } catch (const http::ResponseTooLarge&) {
      fail("the signature {} is over the limit of {} bytes (containers/image's too)", url, kMaxSignatureSize);
    } catch (const http::TransportError& e) {
      fail("cannot read the signature {}: {}", url, e.what());
    }
    if (response.status == 404) break;
    if (response.status != 200) fail("cannot read the signature {}: the server answered HTTP {}", url, response.status);
    found.signatures.push_back(std::move(response.body));
  }
  return found;
}

std::optional<Staging> prepare_staging(const std::optional<LookasideEntry>& entry,
                                       const registry::Reference& reference, const Digest& manifest) {
  if (!entry || (!entry->write && !entry->read)) return std::nullopt;
  const std::string& base = entry->write ? *entry->write : *entry->read;
  auto root = file_path(base);
  if (!root || !root->is_absolute()) {
    fail("{}: signatures are written only to a file:// directory, not {} (set lookaside-staging to file:///DIR)",
         entry->where, base);
  }
  Staging staging;
  staging.where = entry->where;
  std::string url = signature_url(base, reference, manifest, 1);
  staging.dir = *file_path(url.substr(0, url.rfind('/')));
  std::error_code ec;
  fs::create_directories(staging.dir, ec);
  if (ec) fail("cannot write signatures to {} ({}): {}", quote(staging.dir.string()), entry->where, ec.message());
  // A file it takes now is one it takes after the upload.
  const fs::path probe = staging.dir / (".sheaf-probe-" + random_hex(8));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail_errno(errno, fmt::format("cannot write signatures to {} ({})", quote(staging.dir.string()), entry->where));
  ::close(fd);
  ::unlink(probe.c_str());
  return staging;
}

void write_signatures(const Staging& staging, const std::vector<std::string>& signatures) {
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    write_file_atomically(staging.dir / fmt::format("signature-{}", i + 1), signatures[i]);
  }
  for (std::size_t i = signatures.size() + 1;; ++i) {
    std::error_code ec;
    if (!fs::remove(staging.dir / fmt::format("signature-{}", i), ec)) break;
  }
}

}  // namespace sheaf::sign
