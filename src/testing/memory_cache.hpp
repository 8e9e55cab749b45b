// An in-memory ContentCache for tests of FileSet readers. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <tuple>

#include "fileset/content_cache.hpp"

namespace sheaf::testing {

class MemoryCache final : public fileset::ContentCache {
 public:
  std::optional<fileset::CachedContent> find(const fileset::FileIdentity& identity) override {
    std::lock_guard guard(mutex_);
    auto it = entries_.find(key(identity));
    if (it == entries_.end() || !(it->second.first == identity)) return std::nullopt;
    return it->second.second;
  }
  void remember(const fileset::FileIdentity& identity, const fileset::CachedContent& content) override {
    std::lock_guard guard(mutex_);
    entries_[key(identity)] = {identity, content};
    remembered_ += 1;
  }
  std::size_t remembered() const { return remembered_.load(); }

 private:
  static std::pair<std::uint64_t, std::uint64_t> key(const fileset::FileIdentity& id) { return {id.dev, id.ino}; }
  std::mutex mutex_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::pair<fileset::FileIdentity, fileset::CachedContent>> entries_;
  std::atomic<std::size_t> remembered_{0};
};

}  // namespace sheaf::testing
