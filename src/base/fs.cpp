#include "base/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace sheaf {

std::vector<std::string> list_dir(int dir_fd, std::string_view shown) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno(errno, fmt::format("cannot open {}", quote(shown)));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    fail_errno(err, fmt::format("cannot list {}", quote(shown)));
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) fail_errno(err, fmt::format("cannot list {}", quote(shown)));
  return names;
}

void remove_tree_at(int parent_fd, const std::string& name) {
  if (::unlinkat(parent_fd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return;
  for (const auto& child : list_dir(fd.get(), name)) remove_tree_at(fd.get(), child);
  ::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, unsigned mode) {
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::filesystem::path tmp = dir / fmt::format(".{}.{}.tmp", path.filename().string(), random_hex(6));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) fail_errno(errno, "cannot write " + quote(tmp.string()));
  try {
    write_all(fd.get(), bytes, tmp.string());
    if (::fsync(fd.get()) != 0) fail_errno(errno, "cannot sync " + quote(tmp.string()));
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail_errno(errno, "cannot replace " + quote(path.string()));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t done = 0;
  while (done < bytes) {
    ssize_t n = ::getrandom(raw.data() + done, bytes - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, "getrandom");
    }
    done += static_cast<std::size_t>(n);
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : raw) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

}  // namespace sheaf
