#include "base/byte_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/error.hpp"

namespace sheaf {

std::size_t FdSource::read(std::span<char> buffer) {
  for (;;) {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) fail_errno(errno, fmt::format("cannot read {}", quote(name_)));
  }
}

std::size_t MemorySource::read(std::span<char> buffer) {
  std::size_t n = std::min(buffer.size(), data_.size());
  std::copy_n(data_.data(), n, buffer.data());
  data_.remove_prefix(n);
  return n;
}

}  // namespace sheaf
