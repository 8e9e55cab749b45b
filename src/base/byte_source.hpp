// A pull-based stream of bytes. Producers (a file on disk, a tar member, an
// HTTP body) implement it; consumers (the store, hashers) read it in chunks,
// so no stage ever holds a whole file in memory.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "base/unique_fd.hpp"

namespace sheaf {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills a prefix of `buffer` and returns its length. Returns 0 only at the
  // end of the stream. Throws an Error when the bytes cannot be produced.
  virtual std::size_t read(std::span<char> buffer) = 0;
};

// Reads a file descriptor (not owned) to its end. `name` appears in errors.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  std::size_t read(std::span<char> buffer) override;

 private:
  int fd_;
  std::string name_;
};

// Reads a file descriptor it owns to its end, closing it when destroyed.
class OwnedFdSource final : public ByteSource {
 public:
  OwnedFdSource(UniqueFd fd, std::string name) : fd_(std::move(fd)), source_(fd_.get(), std::move(name)) {}
  std::size_t read(std::span<char> buffer) override { return source_.read(buffer); }

 private:
  UniqueFd fd_;
  FdSource source_;
};

// Reads bytes held in memory (not owned).
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  std::size_t read(std::span<char> buffer) override;

 private:
  std::string_view data_;
};

}  // namespace sheaf
