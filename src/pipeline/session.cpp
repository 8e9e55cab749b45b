#include "pipeline/session.hpp"

#include <cerrno>
#include <cstdlib>

#include "base/error.hpp"

namespace sheaf::pipeline {

Session::Session(std::unique_ptr<store::LocalStore> store, Reporter& reporter)
    : store_(std::move(store)), reporter_(reporter) {}

Session::Session(std::function<std::unique_ptr<store::LocalStore>()> open, Reporter& reporter)
    : open_(std::move(open)), reporter_(reporter) {}

store::LocalStore& Session::store() {
  if (!store_) store_ = open_();
  return *store_;
}

const repo::NetworkSettings& Session::network() {
  if (!network_) network_ = repo::host_network();
  return *network_;
}

void Session::use_network(repo::NetworkSettings network) {
  network_ = std::move(network);
}

std::optional<std::int64_t> source_date_epoch_from_environment() {
  const char* text = std::getenv("SOURCE_DATE_EPOCH");
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 0) fail_usage("SOURCE_DATE_EPOCH={} is not a number of seconds", text);
  return static_cast<std::int64_t>(value);
}

}  // namespace sheaf::pipeline
