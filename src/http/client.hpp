// One HTTP request at a time, with any method, headers and body, over one
// libcurl handle (so connections are reused). This is the layer a protocol
// client (the registry's) is built on: it follows no redirects, sends no
// credentials of its own and never retries, because each of those depends
// on the protocol. A response with any status is a Response; only a request
// that got no response at all throws (TransportError).
//
// A Client is not thread-safe: give each thread its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace sheaf::http {

struct Tls {
  bool verify = true;   // check the server's certificate and name
  std::string ca_pem;   // extra trusted CA certificates (PEM), beside the system's
  std::filesystem::path client_certificate;  // PEM; with client_key, for servers that ask for one
  std::filesystem::path client_key;
};

struct ClientSettings {
  long connect_timeout_seconds = 20;
  // A transfer slower than 1 KiB/s for this long is abandoned.
  long stall_timeout_seconds = 30;
  // The longest one request may take, or 0 for no limit.
  long timeout_seconds = 0;
  // The proxy for a URL: a URL, "" for a direct connection, or nullopt to
  // leave it to libcurl (http_proxy, https_proxy). Unset: nullopt.
  std::function<std::optional<std::string>(std::string_view url)> proxy_for = nullptr;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  // The body: `body`, or when body_fd >= 0, body_length bytes of that file
  // from body_offset.
  std::string body;
  int body_fd = -1;
  std::uint64_t body_offset = 0;
  std::uint64_t body_length = 0;
  // The response body is kept in Response::body, up to max_body bytes (more
  // is an error), unless on_body is set: then it is passed there as it
  // arrives and not kept (the body of a 2xx response only: an error page or
  // a redirect's body is kept as usual). on_body may throw to stop the
  // transfer.
  std::uint64_t max_body = std::uint64_t{1} << 20;
  std::function<void(std::string_view chunk)> on_body = nullptr;
  // Called with the number of body bytes sent so far.
  std::function<void(std::uint64_t sent)> on_upload = nullptr;
};

struct Response {
  long status = 0;
  Headers headers;  // names lower-cased, in the order received (of the last response)
  std::string body;

  // The first header of that name (lower case), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// No response arrived: the connection was refused or dropped, the TLS
// handshake failed, or a timeout expired.
class TransportError : public Error {
 public:
  // tls: the handshake failed (the server may not speak TLS at all);
  // certificate: it spoke TLS with a certificate that does not verify.
  enum class Kind { connect, tls, certificate, timeout, dropped, other };
  TransportError(Kind kind, std::string message) : Error(std::move(message)), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// The response body was larger than Request::max_body.
class ResponseTooLarge : public Error {
 public:
  using Error::Error;
};

class Client {
 public:
  Client(ClientSettings settings, Tls tls);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` and returns the response, whatever its status. A 3xx
  // is returned as it is (the caller decides whether to follow Location,
  // and with which headers). Throws TransportError when no response came,
  // ResponseTooLarge when the body is larger than max_body, and whatever
  // on_body threw.
  Response perform(const Request& request);

 private:
  struct Handle;
  ClientSettings settings_;
  Tls tls_;
  std::unique_ptr<Handle> handle_;
};

// `location` (a Location header) resolved against `base`: an absolute URL
// stays, "/path" keeps base's scheme and host, and anything else is taken
// relative to base's directory.
std::string resolve_url(std::string_view base, std::string_view location);

// "scheme://host[:port]" of a URL, lower-cased: what decides whether a
// redirect leaves the server that credentials were meant for.
std::string url_origin(std::string_view url);

}  // namespace sheaf::http
