#include "http/downloader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "http/curl_api.hpp"

namespace sheaf::http {

namespace {

// Why one attempt failed, and whether trying again could help.
struct AttemptFailure {
  std::string message;
  bool transient = false;
};

struct Transfer {
  int fd = -1;
  std::uint64_t written = 0;  // bytes written by this attempt
  std::uint64_t offset = 0;   // bytes already there when it started
  std::optional<std::uint64_t> max_size;
  bool too_big = false;
  int write_errno = 0;  // set when writing the body failed
  const std::function<void(std::uint64_t)>* on_bytes = nullptr;
  const std::function<void(std::uint64_t, std::string_view)>* on_data = nullptr;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  std::size_t bytes = size * count;
  if (t.max_size && t.offset + t.written + bytes > *t.max_size) {
    t.too_big = true;
    return 0;
  }
  std::size_t done = 0;
  while (done < bytes) {
    ssize_t n = ::write(t.fd, data + done, bytes - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      t.write_errno = errno;
      return 0;
    }
    done += static_cast<std::size_t>(n);
  }
  if (t.on_data && *t.on_data) (*t.on_data)(t.offset + t.written, std::string_view(data, bytes));
  t.written += bytes;
  if (t.on_bytes && *t.on_bytes) (*t.on_bytes)(bytes);
  return bytes;
}

std::uint64_t size_on_disk(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

struct Downloader::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_api().easy_cleanup(curl);
  }
};

Downloader::Downloader(const Settings& settings) : settings_(settings), handle_(std::make_unique<Handle>()) {
  handle_->curl = curl_api().easy_init();
  if (!handle_->curl) throw Error("cannot create a libcurl handle");
}

Downloader::~Downloader() = default;

DownloadResult Downloader::fetch(const DownloadRequest& request) {
  const CurlApi& api = curl_api();
  CURL* curl = handle_->curl;
  DownloadResult result;
  const bool is_file = request.url.starts_with("file:");
  AttemptFailure failure;
  bool resume = request.resume;

  for (unsigned attempt = 0; attempt <= settings_.retries; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(settings_.backoff_ms << (attempt - 1)));
    }
    result.attempts = attempt + 1;
    std::uint64_t offset = resume ? size_on_disk(request.destination) : 0;
    if (request.max_size && offset > *request.max_size) offset = 0;  // a stale partial larger than promised
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (offset > 0 ? O_APPEND : O_TRUNC);
    UniqueFd fd(::open(request.destination.c_str(), flags, 0644));
    if (!fd) fail_errno(errno, "cannot write " + quote(request.destination.string()));

    Transfer transfer;
    transfer.fd = fd.get();
    transfer.offset = offset;
    transfer.max_size = request.max_size;
    transfer.on_bytes = &request.on_bytes;
    transfer.on_data = &request.on_data;

    api.easy_reset(curl);
    api.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    api.easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    api.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, settings_.connect_timeout_seconds);
    api.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    api.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, settings_.stall_timeout_seconds);
    api.easy_setopt(curl, CURLOPT_FILETIME, 1L);
    api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(curl, CURLOPT_USERAGENT, "sheaf");
    // Without a proxy of the caller's, libcurl reads http_proxy and
    // https_proxy from the environment.
    std::optional<std::string> proxy = settings_.proxy_for ? settings_.proxy_for(request.url) : std::nullopt;
    if (proxy) api.easy_setopt(curl, CURLOPT_PROXY, proxy->c_str());
    std::optional<Credentials> credentials =
        settings_.credentials_for ? settings_.credentials_for(request.url) : std::nullopt;
    if (credentials) {
      api.easy_setopt(curl, CURLOPT_USERNAME, credentials->user.c_str());
      api.easy_setopt(curl, CURLOPT_PASSWORD, credentials->password.c_str());
    }
    if (offset > 0) api.easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(offset));
    if (request.if_modified_since) {
      api.easy_setopt(curl, CURLOPT_TIMECONDITION, static_cast<long>(CURL_TIMECOND_IFMODSINCE));
      api.easy_setopt(curl, CURLOPT_TIMEVALUE_LARGE, static_cast<curl_off_t>(*request.if_modified_since));
    }
    char error_buffer[CURL_ERROR_SIZE] = {};
    api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

    CURLcode code = api.easy_perform(curl);
    long status = 0;
    api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    char* content_type = nullptr;
    api.easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
    curl_off_t filetime = -1;
    api.easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
    if (filetime >= 0) result.last_modified = static_cast<std::int64_t>(filetime);
    fd.reset();

    if (transfer.too_big) {
      fail("{} sent more than the {} bytes its index promised", request.url, *request.max_size);
    }
    if (transfer.write_errno == ENOSPC || transfer.write_errno == EDQUOT) {
      throw DiskFullError(
          fmt::format("cannot write {}: {}", quote(request.destination.string()), std::strerror(transfer.write_errno)));
    }
    if (transfer.write_errno != 0) {
      fail_errno(transfer.write_errno, "cannot write " + quote(request.destination.string()));
    }
    if (content_type && std::string_view(content_type).starts_with("text/html")) {
      fail("{} answered with an HTML page (HTTP {}), not a repository file; is the mirror down or behind a login page?",
           request.url, status);
    }
    if (code == CURLE_OK) {
      if (is_file || (status >= 200 && status < 300)) {
        // With a time condition, libcurl reports an unmet condition as success with no body.
        long unmet = 0;
        api.easy_getinfo(curl, CURLINFO_CONDITION_UNMET, &unmet);
        if (unmet || status == 304) {
          result.status = DownloadResult::Status::not_modified;
        }
        return result;
      }
      if (status == 304) {
        result.status = DownloadResult::Status::not_modified;
        return result;
      }
      if (status == 404 || status == 410) {
        result.status = DownloadResult::Status::not_found;
        return result;
      }
      if (status == 416 && offset > 0) {
        // The partial file is no prefix the server can continue: start over.
        resume = false;
        failure = {fmt::format("{} refused to resume at byte {}", request.url, offset), true};
        continue;
      }
      failure = {fmt::format("{} answered HTTP {}", request.url, status),
                 status >= 500 || status == 408 || status == 429};
      if (!failure.transient) break;
      continue;
    }
    if (is_file && (code == CURLE_FILE_COULDNT_READ_FILE)) {
      result.status = DownloadResult::Status::not_found;
      return result;
    }
    if (code == CURLE_RANGE_ERROR || code == CURLE_BAD_DOWNLOAD_RESUME) {
      resume = false;  // the server cannot continue a partial file
      failure = {fmt::format("{} cannot resume a partial download", request.url), true};
      continue;
    }
    // Everything else (refused or dropped connections, timeouts, a body cut
    // short) may pass; what arrived stays, and the next attempt resumes.
    resume = true;
    failure = {
        fmt::format("cannot download {}: {}", request.url, error_buffer[0] ? error_buffer : api.easy_strerror(code)),
        code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT && code != CURLE_LOGIN_DENIED &&
            code != CURLE_REMOTE_ACCESS_DENIED};
    if (!failure.transient) break;
  }
  if (result.attempts > 1) fail("{} (gave up after {} attempts)", failure.message, result.attempts);
  fail("{}", failure.message);
}

}  // namespace sheaf::http
