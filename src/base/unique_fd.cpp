#include "base/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.hpp"

namespace sheaf {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::size_t read_full(int fd, std::span<char> buffer, std::string_view what) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, fmt::format("cannot read {}", what));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void write_all(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, fmt::format("cannot write {}", what));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_all(int fd, std::string_view what) {
  std::string out;
  char chunk[65536];
  for (;;) {
    std::size_t n = read_full(fd, chunk, what);
    out.append(chunk, n);
    if (n < sizeof chunk) return out;
  }
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail_errno(errno, fmt::format("cannot open {}", quote(path)));
  return read_all(fd.get(), quote(path));
}

}  // namespace sheaf
