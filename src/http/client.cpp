#include "http/client.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "base/text.hpp"
#include "http/curl_api.hpp"

namespace sheaf::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

struct Exchange {
  CURL* curl = nullptr;
  const Request* request = nullptr;
  Response* response = nullptr;
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
  bool too_big = false;
  std::exception_ptr error;  // what a callback threw, rethrown after libcurl returns
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& x = *static_cast<Exchange*>(user);
  std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    x.response->headers.clear();  // a new response (after 100 Continue, say)
    return bytes;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    x.response->headers.emplace_back(ascii_lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return bytes;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto& x = *static_cast<Exchange*>(user);
  std::size_t bytes = size * count;
  x.received += bytes;
  long status = 0;
  curl_api().easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &status);
  try {
    if (x.request->on_body && status >= 200 && status < 300) {
      x.request->on_body(std::string_view(data, bytes));
    } else {
      if (x.received > x.request->max_body) {
        x.too_big = true;
        return 0;
      }
      x.response->body.append(data, bytes);
    }
  } catch (...) {
    x.error = std::current_exception();
    return 0;
  }
  return bytes;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& x = *static_cast<Exchange*>(user);
  const Request& r = *x.request;
  std::size_t want = size * count;
  std::size_t n = 0;
  if (r.body_fd >= 0) {
    std::uint64_t left = r.body_length - x.sent;
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
    while (n < want) {
      ssize_t got = ::pread(r.body_fd, buffer + n, want - n, static_cast<off_t>(r.body_offset + x.sent + n));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        x.error = std::make_exception_ptr(
            Error(fmt::format("cannot read the body of {} {}: {}", r.method, r.url,
                              got < 0 ? std::strerror(errno) : "the file is shorter than its length")));
        return CURL_READFUNC_ABORT;
      }
      n += static_cast<std::size_t>(got);
    }
  } else {
    std::uint64_t left = r.body.size() - x.sent;
    n = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
    std::memcpy(buffer, r.body.data() + x.sent, n);
  }
  x.sent += n;
  if (r.on_upload) {
    try {
      r.on_upload(x.sent);
    } catch (...) {
      x.error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  return n;
}

TransportError::Kind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::Kind::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
      return TransportError::Kind::tls;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return TransportError::Kind::certificate;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::Kind::timeout;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return TransportError::Kind::dropped;
    default:
      return TransportError::Kind::other;
  }
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

struct Client::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_api().easy_cleanup(curl);
  }
};

Client::Client(ClientSettings settings, Tls tls)
    : settings_(std::move(settings)), tls_(std::move(tls)), handle_(std::make_unique<Handle>()) {
  handle_->curl = curl_api().easy_init();
  if (!handle_->curl) throw Error("cannot create a libcurl handle");
}

Client::~Client() = default;

Response Client::perform(const Request& request) {
  const CurlApi& api = curl_api();
  CURL* curl = handle_->curl;
  Response response;
  Exchange x;
  x.curl = curl;
  x.request = &request;
  x.response = &response;

  api.easy_reset(curl);
  api.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(curl, CURLOPT_USERAGENT, "sheaf");
  api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, settings_.connect_timeout_seconds);
  api.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  api.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, settings_.stall_timeout_seconds);
  if (settings_.timeout_seconds > 0) api.easy_setopt(curl, CURLOPT_TIMEOUT, settings_.timeout_seconds);
  std::optional<std::string> proxy = settings_.proxy_for ? settings_.proxy_for(request.url) : std::nullopt;
  if (proxy) api.easy_setopt(curl, CURLOPT_PROXY, proxy->c_str());

  if (!tls_.verify) {
    api.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    api.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_blob ca{};
  if (!tls_.ca_pem.empty()) {
    ca.data = const_cast<char*>(tls_.ca_pem.data());
    ca.len = tls_.ca_pem.size();
    ca.flags = CURL_BLOB_NOCOPY;
    api.easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  }
  if (!tls_.client_certificate.empty()) {
    api.easy_setopt(curl, CURLOPT_SSLCERT, tls_.client_certificate.c_str());
    api.easy_setopt(curl, CURLOPT_SSLKEY, tls_.client_key.c_str());
  }

  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, api.slist_free_all);
  auto add_header = [&](const std::string& line) {
    curl_slist* next = api.slist_append(headers.get(), line.c_str());
    if (!next) throw Error("out of memory building an HTTP request");
    (void)headers.release();
    headers.reset(next);
  };
  for (const auto& [name, value] : request.headers) add_header(name + ": " + value);
  add_header("Expect:");  // no 100-continue round trip before a body

  const bool has_body = request.body_fd >= 0 || !request.body.empty();
  const std::uint64_t body_size = request.body_fd >= 0 ? request.body_length : request.body.size();
  if (request.method == "HEAD") {
    api.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    api.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (has_body || request.method == "PUT" || request.method == "PATCH") {
    api.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    api.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    api.easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    api.easy_setopt(curl, CURLOPT_READDATA, &x);
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    // A body-less POST or DELETE.
    api.easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    api.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  api.easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  api.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(curl, CURLOPT_HEADERDATA, &x);
  api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  api.easy_setopt(curl, CURLOPT_WRITEDATA, &x);
  char error_buffer[CURL_ERROR_SIZE] = {};
  api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

  CURLcode code = api.easy_perform(curl);
  api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (x.error) std::rethrow_exception(x.error);
  if (x.too_big) {
    throw ResponseTooLarge(fmt::format("{} {} answered with more than {} bytes (HTTP {})", request.method,
                                       request.url, request.max_body, response.status));
  }
  if (code != CURLE_OK) {
    std::string reason = error_buffer[0] ? error_buffer : api.easy_strerror(code);
    throw TransportError(kind_of(code), fmt::format("{} {}: {}", request.method, request.url, reason));
  }
  return response;
}

std::string url_origin(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return ascii_lower(url);
  auto host_end = url.find_first_of("/?#", scheme_end + 3);
  std::string_view origin = url.substr(0, host_end);
  // Credentials in the authority ("user:pass@") are not part of the origin.
  if (auto at = origin.rfind('@'); at != std::string_view::npos && at > scheme_end) {
    return ascii_lower(origin.substr(0, scheme_end + 3)) + ascii_lower(origin.substr(at + 1));
  }
  return ascii_lower(origin);
}

std::string resolve_url(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  std::string origin = url_origin(base);
  if (location.starts_with("//")) return std::string(base.substr(0, base.find("://") + 1)) + std::string(location);
  if (location.starts_with('/')) return origin + std::string(location);
  auto scheme_end = base.find("://");
  auto host_end = scheme_end == std::string_view::npos ? std::string_view::npos : base.find_first_of("/?#", scheme_end + 3);
  std::string_view path = host_end == std::string_view::npos ? std::string_view() : base.substr(host_end);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.rfind('/');
  std::string dir = slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash + 1));
  return origin + dir + std::string(location);
}

}  // namespace sheaf::http
