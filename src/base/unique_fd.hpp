// File descriptors with an owner, and the few fd-level operations that sheaf
// needs to get exactly right (short reads and writes, EINTR).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sheaf {

// Owns one file descriptor and closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Reads until `buffer` is full or EOF; returns the number of bytes read.
// Throws an Error naming `what` on failure.
std::size_t read_full(int fd, std::span<char> buffer, std::string_view what);

// Reads from `fd` until EOF; throws an Error naming `what` on failure. For
// small inputs only (documents, a helper's output): it holds them whole.
std::string read_all(int fd, std::string_view what);

// Writes all of `data`; throws an Error naming `what` on failure.
void write_all(int fd, std::string_view data, std::string_view what);

// Reads a whole (small) file. Throws on failure.
std::string read_file(const std::string& path);

}  // namespace sheaf
