// What push and pull share: a pool of registry clients (one per worker
// thread, each with its own connection and tokens), and the OCI platform
// of a Debian architecture.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oci/documents.hpp"
#include "registry/client.hpp"

namespace sheaf::pipeline {

class RegistryPool {
 public:
  RegistryPool(std::string host, registry::Options options) : host_(std::move(host)), options_(std::move(options)) {}

  // A client that no other thread uses until it is given back. Clients
  // that are not given back (their request failed) are dropped. A new
  // client starts from what the last one given back had learnt (scheme,
  // challenge, tokens), so that workers do not each ask again.
  std::unique_ptr<registry::Registry> take() {
    std::optional<registry::Discovery> learnt;
    {
      std::lock_guard guard(mutex_);
      if (!free_.empty()) {
        auto client = std::move(free_.back());
        free_.pop_back();
        return client;
      }
      learnt = learnt_;
    }
    auto client = std::make_unique<registry::Registry>(host_, options_);
    if (learnt) client->resume(*learnt);
    return client;
  }
  void give_back(std::unique_ptr<registry::Registry> client) {
    std::lock_guard guard(mutex_);
    learnt_ = client->discovery();
    free_.push_back(std::move(client));
  }

 private:
  std::string host_;
  registry::Options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<registry::Registry>> free_;
  std::optional<registry::Discovery> learnt_;
};

// The OCI platform (GOARCH names) of a Debian architecture: amd64 -> amd64,
// arm64 -> arm64 (variant v8), armhf -> arm v7, armel -> arm v5, i386 ->
// 386, ppc64el -> ppc64le, mips64el -> mips64le; others keep their name.
oci::Platform oci_platform(const std::string& debian_arch);

}  // namespace sheaf::pipeline
