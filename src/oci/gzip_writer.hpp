// Layer compression: gzip with one pinned codec and level, streamed.
//
// The codec is libdeflate (1.14, Debian 12's) at level kGzipLevel. libdeflate
// compresses whole buffers only, so a layer is written as a sequence of
// independent gzip members of kGzipChunk input bytes each (RFC 1952 section
// 2.2; gzip, Go's compress/gzip and libarchive read such a stream as one).
// That keeps memory bounded whatever the layer's size, and lets members be
// compressed on several threads while the output stays one function of the
// input: the chunking never depends on the thread count or on how the caller
// splits its writes. docs/decisions.md, "Layer compression", has the numbers
// behind the choice.
//
// Because the stored blob is the identity, a later libdeflate that compressed
// differently would change new layers' digests, never published ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"

namespace sheaf::oci {

inline constexpr int kGzipLevel = 1;
inline constexpr std::size_t kGzipChunk = std::size_t{1} << 20;

// Where compressed bytes go, in order.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view bytes) = 0;
};

// What a finished layer is, in OCI's terms.
struct LayerDigests {
  Digest digest;                // sha256 of the compressed blob
  std::uint64_t size = 0;       // bytes of the compressed blob
  Digest diff_id;               // sha256 of the uncompressed tar
  std::uint64_t diff_size = 0;  // bytes of the uncompressed tar
};

class GzipWriter {
 public:
  // `threads` members are compressed at once; 1 compresses on the caller's
  // thread. The output does not depend on it.
  GzipWriter(ByteSink& out, unsigned threads);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  void write(std::string_view bytes);
  // Compresses what is buffered and returns the digests. Call once.
  LayerDigests finish();

 private:
  void flush_chunks(bool final);

  ByteSink& out_;
  unsigned threads_;
  std::vector<std::string> chunks_;  // full chunks waiting, plus the one filling
  Sha256 raw_hash_;
  Sha256 gz_hash_;
  std::uint64_t raw_size_ = 0;
  std::uint64_t gz_size_ = 0;
  bool finished_ = false;
};

// Decompresses a (possibly multi-member) gzip stream held in memory; for
// tests and for reading small blobs back.
std::string gunzip(std::string_view compressed);

}  // namespace sheaf::oci
