// An in-memory ContentSink: the store's contract without a filesystem, for
// tests of FileSet readers. Thread-safe, like the real one.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "fileset/content_sink.hpp"

namespace sheaf::testing {

class MemorySink final : public fileset::ContentSink {
 public:
  fileset::ContentRef put(ByteSource& source) override;

  // The bytes stored under `digest`, or nullptr.
  const std::string* find(const Digest& digest) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<Digest, std::string> contents_;
};

}  // namespace sheaf::testing
