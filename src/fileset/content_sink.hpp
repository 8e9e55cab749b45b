// Where FileSet readers (a directory walk, later a .deb's data.tar) put file
// contents. The store's WriteBatch is the production sink; an in-memory sink
// for tests lives in src/testing.
#pragma once

#include <cstdint>

#include "base/byte_source.hpp"
#include "base/digest.hpp"

namespace sheaf::fileset {

struct ContentRef {
  Digest digest;
  std::uint64_t size = 0;
};

class ContentSink {
 public:
  virtual ~ContentSink() = default;
  // Consumes `source` to its end and keeps its bytes under their sha256.
  // Implementations must be safe to call from several threads at once.
  virtual ContentRef put(ByteSource& source) = 0;
};

// Hashes contents and keeps nothing: for reading a FileSet back, or a
// directory's FileSet id, when only the digests matter.
class HashOnlySink final : public ContentSink {
 public:
  ContentRef put(ByteSource& source) override {
    StreamDigest d = digest_stream(source);
    return {d.digest, d.size};
  }
};

}  // namespace sheaf::fileset
