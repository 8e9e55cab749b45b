#include "store/local_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string_view>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "store/write_batch.hpp"

namespace sheaf::store {

namespace {

constexpr std::string_view kFormatFile = "format";
constexpr std::string_view kLockFile = "lock";
constexpr std::string_view kGateFile = "gate";

// What a store directory may hold; anything else means it is not a store.
const std::set<std::string, std::less<>> kStoreNames = {
    "format", "objects", "blobs", "tmp", "lock", "gate", "index.db", "index.db-wal", "index.db-shm", "index.db-journal"};

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

// This process's shared holds of one store (by the identity of its lock
// file), whichever LocalStore took them.
struct StoreLock::Holds {
  std::mutex mutex;
  int count = 0;
};

namespace {

std::shared_ptr<StoreLock::Holds> holds_of(int root_fd, const std::filesystem::path& root) {
  UniqueFd fd(::openat(root_fd, std::string(kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) fail_errno(errno, fmt::format("cannot open {}", quote((root / kLockFile).string())));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_errno(errno, "cannot stat the store lock");
  static std::mutex registry_mutex;
  static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<StoreLock::Holds>> registry;
  std::lock_guard guard(registry_mutex);
  auto& slot = registry[{st.st_dev, st.st_ino}];
  auto holds = slot.lock();
  if (!holds) {
    holds = std::make_shared<StoreLock::Holds>();
    slot = holds;
  }
  return holds;
}

// How long a lock may take before sheaf says that it is waiting: writers
// take the lock exclusively for a moment to clear staging leftovers.
constexpr auto kQuietWait = std::chrono::milliseconds(300);

}  // namespace

LocalStore::LocalStore(const std::filesystem::path& root) : root_(std::filesystem::absolute(root)) {
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
    // One process initialises; the others wait for it and find the format
    // file. The gate, held exclusively, is enough: no process takes the
    // store lock before the format file exists, and any that comes after
    // passes the gate. Taking the store lock exclusively instead would make
    // a second creator wait for the first one's whole command, which holds
    // it shared, and hold the gate, so everyone else, all that time.
    FileLock creating = take_gate(LockMode::exclusive, std::nullopt);
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
  if (!holds_) holds_ = holds_of(root_fd_.get(), root_);
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

StoreLock::StoreLock(FileLock lock, FileLock gate, std::shared_ptr<Holds> holds)
    : lock_(std::move(lock)), gate_(std::move(gate)), holds_(std::move(holds)) {
  if (holds_) {
    std::lock_guard guard(holds_->mutex);
    holds_->count += 1;
  }
}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    release();
    lock_ = std::move(other.lock_);
    gate_ = std::move(other.gate_);
    holds_ = std::move(other.holds_);
  }
  return *this;
}

StoreLock::~StoreLock() {
  release();
}

void StoreLock::release() noexcept {
  if (holds_) {
    // The flock goes while the count is guarded: a thread that saw a count
    // above zero must find the lock still held by this process.
    std::lock_guard guard(holds_->mutex);
    holds_->count -= 1;
    lock_.release();
  }
  lock_.release();
  gate_.release();
  holds_.reset();
}

FileLock LocalStore::take_gate(LockMode mode, std::optional<std::chrono::steady_clock::time_point> deadline) const {
  std::string shown = (root_ / kGateFile).string();
  auto quiet = std::chrono::steady_clock::now() + kQuietWait;
  if (auto gate = FileLock::acquire_until(root_fd_.get(), std::string(kGateFile), mode, shown,
                                          deadline ? std::min(*deadline, quiet) : quiet)) {
    return std::move(*gate);
  }
  // Only an exclusive holder keeps the gate: gc, or the process creating the store.
  std::string holder = describe_pids(flock_holders_of(root_fd_.get(), std::string(kGateFile)));
  std::fprintf(stderr, "sheaf: waiting for %s, which has the store %s to itself (store gc, or creating the store)\n",
               holder.c_str(), quote(root_.string()).c_str());
  if (!deadline) return FileLock::acquire(root_fd_.get(), std::string(kGateFile), mode, shown);
  if (auto gate = FileLock::acquire_until(root_fd_.get(), std::string(kGateFile), mode, shown, *deadline)) {
    return std::move(*gate);
  }
  return {};
}

StoreLock LocalStore::lock(StoreLock::Mode mode) const {
  std::string shown = (root_ / kLockFile).string();
  auto wait_for_lock = [&](LockMode flock_mode) {
    auto quiet = std::chrono::steady_clock::now() + kQuietWait;
    if (auto held = FileLock::acquire_until(root_fd_.get(), std::string(kLockFile), flock_mode, shown, quiet)) {
      return std::move(*held);
    }
    std::string holders = describe_pids(flock_holders_of(root_fd_.get(), std::string(kLockFile)));
    std::fprintf(stderr, "sheaf: waiting for %s to finish with the store %s\n", holders.c_str(),
                 quote(root_.string()).c_str());
    return FileLock::acquire(root_fd_.get(), std::string(kLockFile), flock_mode, shown);
  };
  if (mode == StoreLock::Mode::exclusive) {
    FileLock gate = take_gate(LockMode::exclusive, std::nullopt);
    FileLock held = wait_for_lock(LockMode::exclusive);
    return StoreLock(std::move(held), std::move(gate), nullptr);
  }
  {
    // Held already by this process: no gate (see StoreLock).
    std::unique_lock guard(holds_->mutex);
    if (holds_->count > 0) {
      FileLock held = FileLock::acquire(root_fd_.get(), std::string(kLockFile), LockMode::shared, shown);
      guard.unlock();
      return StoreLock(std::move(held), FileLock(), holds_);
    }
  }
  FileLock gate = take_gate(LockMode::shared, std::nullopt);
  FileLock held = wait_for_lock(LockMode::shared);
  gate.release();
  return StoreLock(std::move(held), FileLock(), holds_);
}

StoreLock LocalStore::lock_exclusive(std::chrono::milliseconds wait) const {
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::string shown = (root_ / kLockFile).string();
  auto give_up = [&](const std::vector<pid_t>& holders) {
    fail("gave up after waiting {} s for the store lock of {}: {} still use the store{}", wait.count() / 1000,
         quote(root_.string()), describe_pids(holders),
         holders.empty() ? "" : " (sheaf builds, fetches or other commands)");
  };
  FileLock gate = take_gate(LockMode::exclusive, deadline);
  if (!gate.is_held()) {
    give_up(flock_holders_of(root_fd_.get(), std::string(kGateFile)));
  }
  // The gate is ours: nobody new comes in, and those inside finish.
  auto quiet = std::chrono::steady_clock::now() + kQuietWait;
  auto held = FileLock::acquire_until(root_fd_.get(), std::string(kLockFile), LockMode::exclusive, shown,
                                      std::min(deadline, quiet));
  if (!held) {
    UniqueFd probe(::openat(root_fd_.get(), std::string(kLockFile).c_str(), O_RDONLY | O_CLOEXEC));
    auto holders = probe ? flock_holders(probe.get()) : std::vector<pid_t>{};
    std::fprintf(stderr,
                 "sheaf: waiting up to %lld s for %s to finish with the store %s; new sheaf commands wait meanwhile\n",
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(deadline - quiet).count()),
                 describe_pids(holders).c_str(), quote(root_.string()).c_str());
    held = FileLock::acquire_until(root_fd_.get(), std::string(kLockFile), LockMode::exclusive, shown, deadline);
    if (!held) give_up(probe ? flock_holders(probe.get()) : std::vector<pid_t>{});
  }
  return StoreLock(std::move(*held), std::move(gate), nullptr);
}

std::optional<StoreLock> LocalStore::try_lock_exclusive() const {
  auto held = FileLock::try_acquire(root_fd_.get(), std::string(kLockFile), LockMode::exclusive,
                                    (root_ / kLockFile).string());
  if (!held) return std::nullopt;
  return StoreLock(std::move(*held), FileLock(), nullptr);
}

std::unique_ptr<WriteBatch> LocalStore::begin_write() {
  // Staging leftovers belong to writers that died: a live writer holds the
  // shared lock, so getting the exclusive lock proves there is none.
  if (auto exclusive = try_lock_exclusive()) remove_staging();
  return std::make_unique<WriteBatch>(*this, lock(StoreLock::Mode::shared));
}

std::size_t LocalStore::remove_staging() {
  auto names = list_dir(tmp_fd_.get(), (root_ / "tmp").string());
  for (const auto& name : names) remove_tree_at(tmp_fd_.get(), name);
  return names.size();
}

}  // namespace sheaf::store
