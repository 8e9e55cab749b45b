// Downloads over HTTP(S) and file:// with libcurl: retries with backoff,
// resuming a partial file with a Range request, conditional requests, and a
// proxy and credentials chosen per URL by the caller (repo/ answers them from
// apt's configuration; a registry client can answer them from its own).
//
// A Downloader owns one curl handle, so connections to a server are reused
// across its requests. It is not thread-safe: give each thread its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace sheaf::http {

struct Credentials {
  std::string user;
  std::string password;
};

struct Settings {
  unsigned retries = 3;  // extra attempts after a transient failure
  long connect_timeout_seconds = 20;
  // A transfer slower than 1 KiB/s for this long is abandoned (and retried).
  long stall_timeout_seconds = 30;
  // The first retry waits this long; each later one waits twice as long.
  unsigned backoff_ms = 200;
  // The proxy for a URL: a URL, "" for a direct connection, or nullopt to
  // leave it to libcurl, which reads http_proxy and https_proxy from the
  // environment. Unset: nullopt for every URL.
  std::function<std::optional<std::string>(std::string_view url)> proxy_for = nullptr;
  // The credentials for a URL, or nullopt for none. Unset: none.
  std::function<std::optional<Credentials>(std::string_view url)> credentials_for = nullptr;
};

struct DownloadRequest {
  std::string url;
  std::filesystem::path destination;
  // Continue from the bytes already in `destination` (Range request) instead
  // of starting over.
  bool resume = false;
  // Ask only for a newer copy than this Last-Modified time (seconds).
  std::optional<std::int64_t> if_modified_since;
  // Refuse more bytes than this: the size an index promised.
  std::optional<std::uint64_t> max_size;
  // Called with the number of new bytes as they arrive.
  std::function<void(std::uint64_t)> on_bytes = nullptr;
  // Called with each chunk and its offset in the file, after it was written.
  // A retry that starts over delivers offset 0 again.
  std::function<void(std::uint64_t offset, std::string_view chunk)> on_data = nullptr;
};

struct DownloadResult {
  enum class Status { done, not_found, not_modified };
  Status status = Status::done;
  std::optional<std::int64_t> last_modified;  // the server's Last-Modified, when it sent one
  unsigned attempts = 0;
};

// Thrown by Downloader::fetch when the destination's filesystem is full
// (ENOSPC or EDQUOT). The bytes written before stay in the file.
class DiskFullError : public Error {
 public:
  using Error::Error;
};

class Downloader {
 public:
  explicit Downloader(const Settings& settings);
  ~Downloader();
  Downloader(const Downloader&) = delete;
  Downloader& operator=(const Downloader&) = delete;

  // Fetches `request.url` into `request.destination`. A 404 or 410 (or a
  // missing file:// path) is not an error but Status::not_found. Throws an
  // Error naming the URL for anything else that still fails after the
  // retries: a refused connection, an HTTP error, an HTML page where a
  // repository file belongs, more bytes than max_size; a DiskFullError when
  // the destination cannot take more bytes.
  DownloadResult fetch(const DownloadRequest& request);

 private:
  struct Handle;
  const Settings& settings_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace sheaf::http
