// A pull-based stream of bytes. Producers (a file on disk, a tar member, an
// HTTP body) implement it; consumers (the store, hashers) read it in chunks,
// so no stage ever holds a whole file in memory.
#pragma once

#include <cstddef>
#include <span>

namespace sheaf {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills a prefix of `buffer` and returns its length. Returns 0 only at the
  // end of the stream. Throws an Error when the bytes cannot be produced.
  virtual std::size_t read(std::span<char> buffer) = 0;
};

}  // namespace sheaf
