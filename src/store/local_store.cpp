#include "store/local_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <set>
#include <string_view>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "store/write_batch.hpp"

namespace sheaf::store {

namespace {

constexpr std::string_view kFormatFile = "format";
constexpr std::string_view kLockFile = "lock";

// What a store directory may hold; anything else means it is not a store.
const std::set<std::string, std::less<>> kStoreNames = {
    "format", "objects", "blobs", "tmp", "lock", "index.db", "index.db-wal", "index.db-shm", "index.db-journal"};

UniqueFd open_dir(int at, const std::string& name, const std::filesystem::path& shown) {
  UniqueFd fd(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) fail_errno(errno, fmt::format("cannot open {}", quote(shown.string())));
  return fd;
}

void make_dir(int at, const std::string& name, const std::filesystem::path& shown) {
  if (::mkdirat(at, name.c_str(), 0755) != 0 && errno != EEXIST) {
    fail_errno(errno, fmt::format("cannot create {}", quote(shown.string())));
  }
}

std::string format_line() {
  return fmt::format("sheaf-store {}\n", kStoreFormat);
}

// Reads <root>/format; nullopt when it does not exist.
std::optional<std::string> read_format_file(int root_fd) {
  UniqueFd fd(::openat(root_fd, std::string(kFormatFile).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    fail_errno(errno, "cannot open the store's format file");
  }
  std::array<char, 256> buffer{};
  std::size_t n = read_full(fd.get(), buffer, "the store's format file");
  return std::string(buffer.data(), n);
}

}  // namespace

LocalStore::LocalStore(const std::filesystem::path& root) : root_(root) {
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) throw Error(fmt::format("cannot create the store directory {}: {}", quote(root_.string()), ec.message()));
  root_fd_ = open_dir(AT_FDCWD, root_.string(), root_);

  auto format = read_format_file(root_fd_.get());
  if (!format) {
    for (const auto& name : list_dir(root_fd_.get(), root_.string())) {
      if (!kStoreNames.contains(name)) {
        fail("{} is not a sheaf store: it has no 'format' file and is not empty (it holds {})", quote(root_.string()),
             quote(name));
      }
    }
    // One process initialises; the others wait for it and find the format file.
    StoreLock creating = lock(StoreLock::Mode::exclusive);
    format = read_format_file(root_fd_.get());
    if (!format) {
      initialize();
      format = format_line();
    }
  }
  if (*format != format_line()) {
    // "sheaf-store N\n" with an N this build does not know.
    std::string_view text = *format;
    int version = 0;
    if (text.starts_with("sheaf-store ") && text.ends_with('\n')) {
      text = text.substr(12, text.size() - 13);
      auto parsed = std::from_chars(text.data(), text.data() + text.size(), version);
      if (parsed.ec == std::errc() && parsed.ptr == text.data() + text.size() && version > kStoreFormat) {
        fail("the store {} has format {}, but this sheaf understands only up to format {}; use a newer sheaf",
             quote(root_.string()), version, kStoreFormat);
      }
    }
    fail("{} is not a sheaf store: its 'format' file does not name a known format", quote(root_.string()));
  }
  objects_fd_ = open_dir(root_fd_.get(), "objects/sha256", root_ / "objects/sha256");
  blobs_fd_ = open_dir(root_fd_.get(), "blobs/sha256", root_ / "blobs/sha256");
  tmp_fd_ = open_dir(root_fd_.get(), "tmp", root_ / "tmp");
  index_ = std::make_unique<Index>((root_ / "index.db").string());
}

LocalStore::~LocalStore() = default;

// Creates the layout, then the format file last: a store whose format file
// exists is complete. The caller holds the store lock exclusively.
void LocalStore::initialize() {
  for (const char* dir : {"objects", "objects/sha256", "blobs", "blobs/sha256", "tmp"}) {
    make_dir(root_fd_.get(), dir, root_ / dir);
  }
  UniqueFd objects = open_dir(root_fd_.get(), "objects/sha256", root_ / "objects/sha256");
  for (int i = 0; i < 256; ++i) {
    std::string fanout = fmt::format("{:02x}", i);
    make_dir(objects.get(), fanout, root_ / "objects/sha256" / fanout);
  }
  Index index((root_ / "index.db").string());

  UniqueFd tmp = open_dir(root_fd_.get(), "tmp", root_ / "tmp");
  std::string staged = fmt::format("format.{}", ::getpid());
  UniqueFd fd(::openat(tmp.get(), staged.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) fail_errno(errno, fmt::format("cannot create the format file in {}", quote(root_.string())));
  write_all(fd.get(), format_line(), "the store's format file");
  if (::fsync(fd.get()) != 0) fail_errno(errno, "cannot sync the store's format file");
  if (::renameat(tmp.get(), staged.c_str(), root_fd_.get(), std::string(kFormatFile).c_str()) != 0) {
    fail_errno(errno, "cannot publish the store's format file");
  }
  ::fsync(root_fd_.get());
}

std::string LocalStore::object_name(const Digest& digest) {
  std::string hex = digest.hex();
  return hex.substr(0, 2) + "/" + hex;
}

std::filesystem::path LocalStore::object_path(const Digest& digest) const {
  return root_ / "objects/sha256" / object_name(digest);
}

bool LocalStore::has_object(const Digest& digest) const {
  return ::faccessat(objects_fd_.get(), object_name(digest).c_str(), F_OK, 0) == 0;
}

std::optional<UniqueFd> LocalStore::open_object(const Digest& digest) const {
  UniqueFd fd(::openat(objects_fd_.get(), object_name(digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    fail_errno(errno, fmt::format("cannot open object {}", digest.str()));
  }
  return fd;
}

std::filesystem::path LocalStore::blob_path(const Digest& digest) const {
  return root_ / "blobs/sha256" / digest.hex();
}

bool LocalStore::has_blob(const Digest& digest) const {
  return ::faccessat(blobs_fd_.get(), digest.hex().c_str(), F_OK, 0) == 0;
}

std::optional<std::string> LocalStore::read_blob(const Digest& digest) const {
  UniqueFd fd(::openat(blobs_fd_.get(), digest.hex().c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    fail_errno(errno, fmt::format("cannot open blob {}", digest.str()));
  }
  std::string bytes = read_all(fd.get(), fmt::format("blob {}", digest.str()));
  if (Digest::of(bytes) != digest) {
    fail("blob {} is damaged: its content does not match its digest (run 'sheaf store verify')", digest.str());
  }
  return bytes;
}

UniqueFd LocalStore::open_lock_file() const {
  UniqueFd fd(::openat(root_fd_.get(), std::string(kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) fail_errno(errno, fmt::format("cannot open {}", quote((root_ / kLockFile).string())));
  return fd;
}

namespace {

// flock(2) that retries on EINTR; false when `non_blocking` and it is held.
bool take_flock(int fd, StoreLock::Mode mode, bool non_blocking) {
  int operation = (mode == StoreLock::Mode::shared ? LOCK_SH : LOCK_EX) | (non_blocking ? LOCK_NB : 0);
  while (::flock(fd, operation) != 0) {
    if (non_blocking && errno == EWOULDBLOCK) return false;
    if (errno != EINTR) fail_errno(errno, "cannot lock the store");
  }
  return true;
}

}  // namespace

std::optional<StoreLock> LocalStore::try_lock(StoreLock::Mode mode) const {
  UniqueFd fd = open_lock_file();
  if (!take_flock(fd.get(), mode, /*non_blocking=*/true)) return std::nullopt;
  return StoreLock(std::move(fd));
}

StoreLock LocalStore::lock(StoreLock::Mode mode) const {
  UniqueFd fd = open_lock_file();
  if (!take_flock(fd.get(), mode, /*non_blocking=*/true)) {
    std::fprintf(stderr, "sheaf: waiting for another sheaf process to finish with the store %s\n",
                 quote(root_.string()).c_str());
    take_flock(fd.get(), mode, /*non_blocking=*/false);
  }
  return StoreLock(std::move(fd));
}

std::unique_ptr<WriteBatch> LocalStore::begin_write() {
  // Staging leftovers belong to writers that died: a live writer holds the
  // shared lock, so getting the exclusive lock proves there is none.
  if (auto exclusive = try_lock(StoreLock::Mode::exclusive)) remove_staging();
  return std::make_unique<WriteBatch>(*this, lock(StoreLock::Mode::shared));
}

std::size_t LocalStore::remove_staging() {
  auto names = list_dir(tmp_fd_.get(), (root_ / "tmp").string());
  for (const auto& name : names) remove_tree_at(tmp_fd_.get(), name);
  return names.size();
}

}  // namespace sheaf::store
