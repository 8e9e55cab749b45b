#include "registry/client.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "base/json_fields.hpp"
#include "registry/reference.hpp"

namespace sheaf::registry {

namespace {

constexpr std::string_view kAcceptManifests =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr unsigned kMaxRedirects = 5;
constexpr std::uint64_t kMaxErrorBody = std::uint64_t{1} << 20;

std::string percent_encode(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string with_query(std::string url, std::string_view param) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += param;
  return url;
}

bool transient_status(long status) { return status >= 500 || status == 429 || status == 408; }

bool transient_transport(const http::TransportError& e) {
  return e.kind() != http::TransportError::Kind::tls && e.kind() != http::TransportError::Kind::certificate;
}

// "0-1234" (what a registry's Range header says it holds, ends included)
// -> 1235 bytes. "0-0" is 0: distribution 2.8 writes it for an empty upload
// (and for one of a single byte, which it cannot tell apart; the digest
// check at the end catches that, and the upload starts over).
std::optional<std::uint64_t> bytes_held(const std::optional<std::string>& range) {
  if (!range) return std::nullopt;
  std::string_view r = *range;
  if (r.starts_with("bytes=")) r.remove_prefix(6);
  auto dash = r.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string end(r.substr(dash + 1));
  if (end.empty() || !std::all_of(end.begin(), end.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t last = std::stoull(end);
  return last == 0 ? 0 : last + 1;
}

// The first error a distribution error body holds: {"errors":[{"code","message"}]}.
std::pair<std::string, std::string> error_of(std::string_view body) {
  try {
    auto doc = nlohmann::json::parse(body);
    if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() && !doc["errors"].empty()) {
      const auto& e = doc["errors"][0];
      return {string_field(e, "code"), string_field(e, "message")};
    }
  } catch (const nlohmann::json::exception&) {
  }
  return {"", ""};
}

}  // namespace

std::string referrers_tag(const Digest& digest) { return "sha256-" + digest.hex(); }

Registry::Registry(std::string host, Options options) : host_(std::move(host)), options_(std::move(options)) {
  http::ClientSettings settings;
  settings.connect_timeout_seconds = options_.timeout_seconds;
  settings.stall_timeout_seconds = options_.timeout_seconds;
  settings.proxy_for = options_.proxy_for;
  if (!settings.proxy_for && is_loopback(host_)) {
    // This machine is never reached through http_proxy.
    settings.proxy_for = [](std::string_view) { return std::optional<std::string>(""); };
  }
  client_ = std::make_unique<http::Client>(settings, tls_for(host_, options_.cert_dir, options_.tls_verify));
}

Registry::~Registry() = default;

Discovery Registry::discovery() const {
  return {scheme_, challenge_, credentials_, credentials_looked_up_, tokens_};
}

void Registry::resume(const Discovery& d) {
  scheme_ = d.scheme;
  challenge_ = d.challenge;
  credentials_ = d.credentials;
  credentials_looked_up_ = d.credentials_looked_up;
  tokens_ = d.tokens;
}

std::string Registry::base_url() {
  if (scheme_.empty()) ping();
  return scheme_ + "://" + host_;
}

std::string Registry::url(std::string_view repository, std::string_view tail) {
  return base_url() + "/v2/" + std::string(repository) + "/" + std::string(tail);
}

void Registry::ping() {
  const bool may_use_http = is_loopback(host_) || !options_.tls_verify;
  std::string tls_error;  // why https failed, when it did
  for (std::string scheme : {"https", "http"}) {
    if (scheme == "http" && (!may_use_http || tls_error.empty())) break;
    http::Request request;
    request.url = scheme + "://" + host_ + "/v2/";
    request.max_body = kMaxErrorBody;
    for (unsigned attempt = 0;; ++attempt) {
      try {
        ++stats_.requests;
        http::Response response = client_->perform(request);
        if (response.status == 401) {
          if (!adopt_challenge(response)) {
            fail("registry {} asks for authentication (HTTP 401) with no Basic or Bearer challenge", host_);
          }
        } else if (response.status != 200) {
          if (transient_status(response.status) && attempt < options_.retries) {
            std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_ms << attempt));
            continue;
          }
          if (!tls_error.empty()) {
            // Not a plain-http registry either: the https failure is the news.
            fail("cannot reach registry {} over https: {}", host_, tls_error);
          }
          fail("{} answered HTTP {} for GET /v2/; is it an OCI registry?", host_, response.status);
        }
        scheme_ = scheme;
        return;
      } catch (const http::TransportError& e) {
        if (e.kind() == http::TransportError::Kind::certificate ||
            (e.kind() == http::TransportError::Kind::tls && !may_use_http)) {
          fail("cannot reach registry {} over https: {} (give the registry's CA with --cert-dir, or put it in "
               "/etc/containers/certs.d/{}/; --tls-verify=false turns verification off)",
               host_, e.what(), host_);
        }
        if (e.kind() == http::TransportError::Kind::tls) {
          tls_error = e.what();  // a loopback registry that may speak plain http
          break;
        }
        if (!transient_transport(e) || attempt >= options_.retries) {
          fail("cannot reach registry {}: {}{}", host_, e.what(),
               attempt > 0 ? fmt::format(" (gave up after {} attempts)", attempt + 1) : "");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_ms << attempt));
      }
    }
  }
  fail("cannot reach registry {} over https: {}", host_, tls_error);
}

std::string Registry::fetch_token(const std::string& scopes) {
  auto realm = challenge_->params.find("realm");
  if (realm == challenge_->params.end() || realm->second.empty()) {
    fail("registry {} asks for a bearer token but names no realm to get one from", host_);
  }
  std::string token_url = realm->second;
  if (!token_url.starts_with("https://")) {
    std::string origin = http::url_origin(token_url);
    std::string token_host = origin.substr(origin.find("://") + 3);
    if (!token_url.starts_with("http://") || !(is_loopback(token_host) || !options_.tls_verify)) {
      fail("registry {} names the token realm {}, which is not https", host_, quote(token_url));
    }
  }
  if (auto service = challenge_->params.find("service"); service != challenge_->params.end()) {
    token_url = with_query(token_url, "service=" + percent_encode(service->second));
  }
  for (std::size_t pos = 0; pos < scopes.size();) {
    auto space = scopes.find(' ', pos);
    std::string scope = scopes.substr(pos, space == std::string::npos ? std::string::npos : space - pos);
    token_url = with_query(token_url, "scope=" + percent_encode(scope));
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  http::Request request;
  request.url = token_url;
  request.max_body = kMaxErrorBody;
  if (credentials_) {
    request.headers.emplace_back(
        "Authorization", "Basic " + base64_encode(credentials_->user + ":" + credentials_->password));
  }
  http::Response response = retrying(
      [&] {
        ++stats_.requests;
        return client_->perform(request);
      },
      fmt::format("cannot get a token for registry {} from {}", host_, quote(realm->second)));
  if (response.status == 401 || response.status == 403) {
    throw RegistryError(
        response.status, "UNAUTHORIZED",
        credentials_ ? fmt::format("registry {}: the token server {} refused the credentials from {} (HTTP {})", host_,
                                   quote(realm->second), credentials_->source, response.status)
                     : fmt::format("registry {}: the token server {} refused anonymous access (HTTP {}); log in "
                                   "with podman login or give --authfile",
                                   host_, quote(realm->second), response.status));
  }
  if (response.status != 200) {
    fail("registry {}: the token server {} answered HTTP {}", host_, quote(realm->second), response.status);
  }
  try {
    auto doc = nlohmann::json::parse(response.body);
    for (const char* key : {"token", "access_token"}) {
      if (doc.contains(key) && doc[key].is_string() && !doc[key].get<std::string>().empty()) {
        return doc[key].get<std::string>();
      }
    }
  } catch (const nlohmann::json::exception&) {
  }
  fail("registry {}: the token server {} sent no token", host_, quote(realm->second));
}

std::string Registry::authorization(std::string_view repository, Access access, std::string_view mount_from) {
  if (!challenge_) return "";
  if (!credentials_looked_up_) {
    credentials_ = find_credentials(auth_files(options_.authfile), host_, repository);
    credentials_looked_up_ = true;
  }
  if (challenge_->scheme == "basic") {
    if (!credentials_) return "";
    return "Basic " + base64_encode(credentials_->user + ":" + credentials_->password);
  }
  std::string scopes = fmt::format("repository:{}:{}", repository, access == Access::push ? "pull,push" : "pull");
  if (!mount_from.empty()) scopes += fmt::format(" repository:{}:pull", mount_from);
  auto it = tokens_.find(scopes);
  if (it == tokens_.end()) it = tokens_.emplace(scopes, fetch_token(scopes)).first;
  return "Bearer " + it->second;
}

http::Response Registry::send_once(http::Request& request, std::string_view repository, Access access,
                                   std::string_view mount_from) {
  const std::string origin = http::url_origin(base_url());
  std::string auth = authorization(repository, access, mount_from);
  http::Request current = request;
  if (!auth.empty()) current.headers.emplace_back("Authorization", auth);
  for (unsigned redirects = 0;; ++redirects) {
    ++stats_.requests;
    http::Response response = client_->perform(current);
    const bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                          response.status == 307 || response.status == 308;
    if (!redirect) return response;
    auto location = response.header("location");
    if (!location) return response;
    if (redirects == kMaxRedirects) fail("{} {}: more than {} redirects", request.method, request.url, kMaxRedirects);
    current.url = http::resolve_url(current.url, *location);
    // Never hand the registry's credentials to another host (blob storage).
    std::erase_if(current.headers, [](const auto& h) { return h.first == "Authorization"; });
    if (http::url_origin(current.url) == origin && !auth.empty()) current.headers.emplace_back("Authorization", auth);
    if (response.status == 303) current.method = "GET";
  }
}

http::Response Registry::send(http::Request request, std::string_view repository, Access access,
                              std::string_view mount_from) {
  return retrying(
      [&] {
        http::Response response = send_once(request, repository, access, mount_from);
        if (response.status == 401 && challenge_ && challenge_->scheme == "bearer") {
          // A token for other scopes, or an expired one: ask once more.
          tokens_.clear();
          response = send_once(request, repository, access, mount_from);
        }
        // Anonymous /v2/, but this repository wants credentials.
        if (response.status == 401 && !challenge_ && adopt_challenge(response)) {
          response = send_once(request, repository, access, mount_from);
        }
        return response;
      },
      {});
}

http::Response Registry::retrying(const std::function<http::Response()>& attempt, std::string_view what) {
  for (unsigned n = 0;; ++n) {
    try {
      http::Response response = attempt();
      if (!transient_status(response.status) || n >= options_.retries) return response;
    } catch (const http::TransportError& e) {
      if (!transient_transport(e) || n >= options_.retries) {
        fail("{}{}{}", what, what.empty() ? "" : ": ", e.what(),
             n > 0 ? fmt::format(" (gave up after {} attempts)", n + 1) : "");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_ms << n));
  }
}

bool Registry::adopt_challenge(const http::Response& response) {
  for (auto& challenge : parse_challenges(response.header("www-authenticate").value_or(""))) {
    if (challenge.scheme == "bearer" || challenge.scheme == "basic") {
      challenge_ = std::move(challenge);
      return true;
    }
  }
  return false;
}

void Registry::fail_response(const http::Response& response, std::string_view what) {
  auto [code, message] = error_of(response.body);
  std::string detail = code.empty() ? "" : fmt::format(" ({}{}{})", code, message.empty() ? "" : ": ", message);
  if (response.status == 401 || response.status == 403) {
    std::string who = credentials_ ? fmt::format("the credentials from {}", credentials_->source)
                                   : std::string("no credentials (none found in the auth files; log in with podman "
                                                 "login or give --authfile)");
    throw RegistryError(response.status, code.empty() ? "UNAUTHORIZED" : code,
                        fmt::format("{}: registry {} refused access with {}: HTTP {}{}", what, host_, who,
                                    response.status, detail));
  }
  throw RegistryError(response.status, code,
                      fmt::format("{}: registry {} answered HTTP {}{}", what, host_, response.status, detail));
}

std::optional<std::uint64_t> Registry::blob_size(std::string_view repository, const Digest& digest) {
  http::Request request;
  request.method = "HEAD";
  request.url = url(repository, "blobs/" + digest.str());
  http::Response response = send(request, repository, Access::pull);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) fail_response(response, fmt::format("HEAD blob {} in {}", digest.str(), repository));
  auto length = response.header("content-length");
  try {
    return length ? std::stoull(*length) : 0;
  } catch (...) {
    return 0;
  }
}

void Registry::get_blob(std::string_view repository, const Digest& digest, std::uint64_t size,
                        const std::function<void(std::string_view)>& on_chunk, const std::function<void()>& on_restart,
                        const std::function<void(std::uint64_t)>& on_progress) {
  const std::string what = fmt::format("blob {} of {}/{}", digest.str(), host_, repository);
  for (unsigned attempt = 0;; ++attempt) {
    std::optional<Sha256> hash;
    hash.emplace();
    std::uint64_t got = 0;
    http::Request request;
    request.url = url(repository, "blobs/" + digest.str());
    request.max_body = kMaxErrorBody;  // of an error page; a 2xx body goes to on_body
    request.on_body = [&](std::string_view chunk) {
      got += chunk.size();
      if (got > size) fail("{} is larger than the {} bytes its descriptor gives", what, size);
      hash->update(chunk.data(), chunk.size());
      on_chunk(chunk);
      stats_.bytes_received += chunk.size();
      if (on_progress) on_progress(chunk.size());
    };
    // A response that is not 200 is an error page: keep it for the message.
    http::Response response;
    try {
      response = send_once(request, repository, Access::pull, {});
      if (response.status == 401 && challenge_ && challenge_->scheme == "bearer") {
        tokens_.clear();
        if (got > 0) on_restart();
        got = 0;
        hash.emplace();
        response = send_once(request, repository, Access::pull, {});
      }
    } catch (const http::TransportError& e) {
      if (!transient_transport(e) || attempt >= options_.retries) {
        fail("{}: {}{}", what, e.what(), attempt > 0 ? fmt::format(" (gave up after {} attempts)", attempt + 1) : "");
      }
      if (got > 0) on_restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_ms << attempt));
      continue;
    }
    if (response.status != 200) {
      if (got > 0) on_restart();
      if (transient_status(response.status) && attempt < options_.retries) {
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_ms << attempt));
        continue;
      }
      if (response.status == 404) {
        throw RegistryError(404, "BLOB_UNKNOWN", fmt::format("{}: the registry does not have it (HTTP 404)", what));
      }
      fail_response(response, what);
    }
    if (got != size) fail("{} has {} bytes, but its descriptor gives {}", what, got, size);
    Digest actual = hash->finish();
    if (actual != digest) fail("{}: its bytes hash to {}, not to the digest it was asked for", what, actual.str());
    return;
  }
}

std::string Registry::get_blob_bytes(std::string_view repository, const Digest& digest, std::uint64_t size,
                                     std::uint64_t limit) {
  if (size > limit) {
    fail("blob {} of {}/{} is {} bytes, over the limit of {} bytes for its kind", digest.str(), host_, repository,
         size, limit);
  }
  std::string bytes;
  get_blob(
      repository, digest, size, [&](std::string_view chunk) { bytes.append(chunk); }, [&] { bytes.clear(); });
  return bytes;
}

std::optional<std::string> Registry::mount_blob(std::string_view repository, const Digest& digest,
                                               std::string_view from) {
  http::Request request;
  request.method = "POST";
  request.url = url(repository, "blobs/uploads/?mount=" + percent_encode(digest.str()) + "&from=" +
                                    percent_encode(std::string(from)));
  http::Response response = send(request, repository, Access::push, from);
  if (response.status == 201) return std::nullopt;
  if (response.status == 202) {
    // An ordinary upload session instead (the registry lacks the blob in `from`).
    if (auto location = response.header("location")) return http::resolve_url(request.url, *location);
    fail("mount blob {} into {}: the registry started an upload but sent no Location", digest.str(), repository);
  }
  fail_response(response, fmt::format("mount blob {} from {} into {}", digest.str(), from, repository));
}

Registry::UploadStats Registry::upload_blob(std::string_view repository, const Digest& digest, int fd,
                                            std::uint64_t size, const std::function<void(std::uint64_t)>& on_progress,
                                            std::optional<std::string> started) {
  const std::string what = fmt::format("upload blob {} to {}/{}", digest.str(), host_, repository);
  UploadStats stats;
  auto start = [&] {
    if (started) {
      std::string location = std::move(*started);
      started.reset();
      return location;
    }
    http::Request request;
    request.method = "POST";
    request.url = url(repository, "blobs/uploads/");
    http::Response response = send(request, repository, Access::push);
    if (response.status != 202) fail_response(response, what);
    auto location = response.header("location");
    if (!location) fail("{}: the registry started an upload but sent no Location", what);
    return http::resolve_url(request.url, *location);
  };
  std::uint64_t reported = 0;
  auto progress = [&](std::uint64_t done) {
    if (on_progress && done > reported) on_progress(done - reported);
    if (done > reported) reported = done;
  };
  auto finish = [&](const std::string& location, bool with_body) {
    http::Request request;
    request.method = "PUT";
    request.url = with_query(location, "digest=" + percent_encode(digest.str()));
    request.headers.emplace_back("Content-Type", "application/octet-stream");
    if (with_body) {
      request.body_fd = fd;
      request.body_length = size;
      request.on_upload = [&](std::uint64_t sent) { progress(sent); };
    }
    return send_once(request, repository, Access::push, {});
  };

  if (size <= options_.chunk_size) {
    // Each attempt starts a new upload session and sends the whole blob.
    http::Response response = retrying([&] { return finish(start(), true); }, what);
    if (response.status != 201) fail_response(response, what);
    stats_.bytes_sent += size;
    return stats;
  }

  stats.chunked = true;
  for (unsigned round = 0;; ++round) {
    std::string location = start();
    std::uint64_t offset = 0;
    unsigned failures = 0;
    reported = 0;
    while (offset < size) {
      std::uint64_t n = std::min(options_.chunk_size, size - offset);
      http::Request request;
      request.method = "PATCH";
      request.url = location;
      request.headers.emplace_back("Content-Type", "application/octet-stream");
      request.headers.emplace_back("Content-Range", fmt::format("{}-{}", offset, offset + n - 1));
      request.body_fd = fd;
      request.body_offset = offset;
      request.body_length = n;
      const std::uint64_t base = offset;
      request.on_upload = [&](std::uint64_t sent) { progress(base + sent); };
      std::optional<std::string> failure;
      try {
        http::Response response = send_once(request, repository, Access::push, {});
        if (response.status == 202) {
          if (auto next = response.header("location")) location = http::resolve_url(location, *next);
          offset = bytes_held(response.header("range")).value_or(offset + n);
          stats_.bytes_sent += n;
          ++stats.chunks;
          continue;
        }
        if (response.status != 416 && !transient_status(response.status)) fail_response(response, what);
        failure = fmt::format("HTTP {}", response.status);
      } catch (const http::TransportError& e) {
        if (!transient_transport(e)) fail("{}: {}", what, e.what());
        failure = e.what();
      }
      // Ask the registry how much it holds, and go on from there.
      if (++failures > options_.retries) fail("{}: {} (gave up after {} attempts)", what, *failure, failures);
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.backoff_ms << (failures - 1)));
      http::Request status;
      status.url = location;
      http::Response answer = send(status, repository, Access::push);
      if (answer.status != 204) fail_response(answer, what + " (asking how much arrived)");
      if (auto next = answer.header("location")) location = http::resolve_url(location, *next);
      offset = std::min(bytes_held(answer.header("range")).value_or(0), size);
      ++stats.resumed;
    }
    http::Response response = finish(location, false);
    if (response.status == 201) return stats;
    // A resumed upload that the registry assembled wrongly: once more, whole.
    if (response.status == 400 && stats.resumed > 0 && round == 0 && error_of(response.body).first == "DIGEST_INVALID") {
      continue;
    }
    fail_response(response, what);
  }
}

FetchedManifest Registry::require_manifest(const Reference& ref) {
  auto manifest = get_manifest(ref.repository, ref.manifest_reference());
  if (!manifest) {
    throw RegistryError(404, "MANIFEST_UNKNOWN",
                        fmt::format("registry {} has no {} {} in {} (HTTP 404)", ref.host,
                                    ref.digest ? "manifest" : "tag", ref.manifest_reference(), ref.repository));
  }
  return std::move(*manifest);
}

std::optional<FetchedManifest> Registry::get_manifest(std::string_view repository, std::string_view reference) {
  http::Request request;
  request.url = url(repository, "manifests/" + std::string(reference));
  request.headers.emplace_back("Accept", std::string(kAcceptManifests));
  request.max_body = kMaxManifestSize;
  http::Response response;
  try {
    response = send(request, repository, Access::pull);
  } catch (const http::ResponseTooLarge&) {
    fail("the manifest {}/{}:{} is larger than {} bytes; sheaf refuses it", host_, repository, reference,
         kMaxManifestSize);
  }
  if (response.status == 404) {
    auto [code, message] = error_of(response.body);
    if (code == "NAME_UNKNOWN") {
      throw RegistryError(404, code, fmt::format("registry {} has no repository {} (HTTP 404 NAME_UNKNOWN)", host_,
                                                 repository));
    }
    return std::nullopt;
  }
  if (response.status != 200) fail_response(response, fmt::format("GET manifest {}/{}:{}", host_, repository, reference));
  FetchedManifest out;
  out.media_type = response.header("content-type").value_or("");
  if (auto semicolon = out.media_type.find(';'); semicolon != std::string::npos) out.media_type.resize(semicolon);
  out.bytes = std::move(response.body);
  out.digest = Digest::of(out.bytes);
  stats_.bytes_received += out.bytes.size();
  if (auto wanted = Digest::parse(reference); wanted && *wanted != out.digest) {
    fail("registry {} answered {}/{}@{} with a manifest whose digest is {}", host_, host_, repository, reference,
         out.digest.str());
  }
  // A tag has no digest of its own to check against, but the registry names
  // the digest of what it keeps. Bytes that differ from it were damaged in
  // the registry's storage or on the way.
  if (auto named = response.header("docker-content-digest")) {
    if (auto stated = Digest::parse(*named); stated && *stated != out.digest) {
      fail("registry {} answered {}/{}:{} with a manifest whose digest is {}, not the {} it names in "
           "Docker-Content-Digest; its copy is damaged, or the answer was altered on the way",
           host_, host_, repository, reference, out.digest.str(), stated->str());
    }
  }
  return out;
}

Registry::PutManifestResult Registry::put_manifest(std::string_view repository, std::string_view reference,
                                                   std::string_view media_type, std::string_view bytes) {
  http::Request request;
  request.method = "PUT";
  request.url = url(repository, "manifests/" + std::string(reference));
  request.headers.emplace_back("Content-Type", std::string(media_type));
  request.body = std::string(bytes);
  http::Response response = send(request, repository, Access::push);
  if (response.status != 201) fail_response(response, fmt::format("PUT manifest {}/{}:{}", host_, repository, reference));
  stats_.bytes_sent += bytes.size();
  PutManifestResult out{Digest::of(bytes), response.header("oci-subject").has_value()};
  if (auto digest = response.header("docker-content-digest")) {
    if (Digest::parse(*digest) != out.digest) {
      fail("registry {} stored the manifest {} under the digest {}", host_, out.digest.str(), *digest);
    }
  }
  return out;
}

std::optional<std::string> Registry::referrers(std::string_view repository, const Digest& digest,
                                               std::string_view artifact_type) {
  http::Request request;
  request.url = url(repository, "referrers/" + digest.str());
  if (!artifact_type.empty()) request.url = with_query(request.url, "artifactType=" + percent_encode(artifact_type));
  request.headers.emplace_back("Accept", "application/vnd.oci.image.index.v1+json");
  request.max_body = kMaxManifestSize;
  http::Response response = send(request, repository, Access::pull);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) fail_response(response, fmt::format("GET referrers of {}", digest.str()));
  return response.body;
}

}  // namespace sheaf::registry
