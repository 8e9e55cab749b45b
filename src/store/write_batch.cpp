#include "store/write_batch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/host.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::store {

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr unsigned kStagingShards = 8;

// Reads until `buffer` is full or the source ends.
std::size_t fill(ByteSource& source, std::span<char> buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    std::size_t n = source.read(buffer.subspan(done));
    if (n == 0) break;
    done += n;
  }
  return done;
}

void sync_filesystem(int fd) {
  if (::syncfs(fd) != 0) fail_errno(errno, "cannot sync the store's filesystem");
}

}  // namespace

WriteBatch::WriteBatch(LocalStore& store, StoreLock lock) : store_(store), lock_(std::move(lock)) {
  staging_name_ = fmt::format("w-{}-{}", ::getpid(), random_hex(6));
  if (::mkdirat(store_.tmp_fd(), staging_name_.c_str(), 0700) != 0) {
    fail_errno(errno, fmt::format("cannot create a staging directory in {}", quote((store_.root() / "tmp").string())));
  }
  staging_fd_ = UniqueFd(::openat(store_.tmp_fd(), staging_name_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!staging_fd_) fail_errno(errno, "cannot open the staging directory");
  for (unsigned shard = 0; shard < kStagingShards; ++shard) {
    if (::mkdirat(staging_fd_.get(), std::to_string(shard).c_str(), 0700) != 0) {
      fail_errno(errno, "cannot create a staging directory");
    }
  }
}

WriteBatch::~WriteBatch() {
  staging_fd_.reset();
  try {
    remove_tree_at(store_.tmp_fd(), staging_name_);
  } catch (const Error&) {
    // Leftovers are removed by the next writer or by gc.
  }
}

// Staged files are spread over subdirectories, one per writing thread (up to
// kStagingShards): threads that create files in one directory serialise on its
// inode lock, which cost a fifth of a cold add's time on two cores.
std::string WriteBatch::next_staging_name() {
  static std::atomic<unsigned> next_thread{0};
  thread_local unsigned shard = next_thread.fetch_add(1) % kStagingShards;
  return fmt::format("{}/s{}", shard, counter_.fetch_add(1));
}

bool WriteBatch::claim(const Digest& digest, Kind kind) {
  bool present = kind == Kind::object ? store_.has_object(digest) : store_.has_blob(digest);
  std::lock_guard guard(mutex_);
  auto& claimed = kind == Kind::object ? claimed_objects_ : claimed_blobs_;
  bool inserted = claimed.insert(digest).second;
  return inserted && !present;
}

void WriteBatch::keep(std::string name, const Digest& digest, Kind kind, std::uint64_t size) {
  std::lock_guard guard(mutex_);
  if (kind == Kind::object) staged_objects_.emplace(digest, name);
  staged_.push_back({std::move(name), digest, kind});
  if (kind == Kind::object) {
    new_objects_ += 1;
    new_bytes_ += size;
  }
}

void WriteBatch::write_staged(const std::string& name, std::string_view bytes) {
  UniqueFd fd(::openat(staging_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd) fail_errno(errno, "cannot create a staging file");
  write_all(fd.get(), bytes, "a staging file");
  if (::close(fd.release()) != 0) fail_errno(errno, "cannot write a staging file");
}

fileset::ContentRef WriteBatch::put(ByteSource& source) {
  thread_local std::unique_ptr<char[]> buffer_storage(new char[kChunk]);
  std::span<char> buffer(buffer_storage.get(), kChunk);

  std::size_t n = fill(source, buffer);
  if (n < kChunk) {
    std::string_view bytes(buffer.data(), n);
    Digest digest = Digest::of(bytes);
    if (claim(digest, Kind::object)) {
      std::string name = next_staging_name();
      write_staged(name, bytes);
      keep(std::move(name), digest, Kind::object, n);
    }
    return {digest, n};
  }

  // Too big to hold: stream it to a staging file while hashing, and drop the
  // copy afterwards if the store turns out to have it.
  std::string name = next_staging_name();
  UniqueFd fd(::openat(staging_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd) fail_errno(errno, "cannot create a staging file");
  Sha256 hasher;
  std::uint64_t total = 0;
  while (n > 0) {
    hasher.update(buffer.data(), n);
    write_all(fd.get(), std::string_view(buffer.data(), n), "a staging file");
    total += n;
    n = fill(source, buffer);
  }
  if (::close(fd.release()) != 0) fail_errno(errno, "cannot write a staging file");
  Digest digest = hasher.finish();
  if (claim(digest, Kind::object)) {
    keep(std::move(name), digest, Kind::object, total);
  } else {
    ::unlinkat(staging_fd_.get(), name.c_str(), 0);
  }
  return {digest, total};
}

Digest WriteBatch::add_blob(std::string_view bytes) {
  Digest digest = Digest::of(bytes);
  if (claim(digest, Kind::blob)) {
    std::string name = next_staging_name();
    write_staged(name, bytes);
    keep(std::move(name), digest, Kind::blob, bytes.size());
  }
  return digest;
}

std::optional<UniqueFd> WriteBatch::open_object(const Digest& digest) {
  std::string name;
  {
    std::lock_guard guard(mutex_);
    if (auto it = staged_objects_.find(digest); it != staged_objects_.end()) name = it->second;
  }
  if (name.empty()) return store_.open_object(digest);
  UniqueFd fd(::openat(staging_fd_.get(), name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail_errno(errno, fmt::format("cannot open the staged object {}", digest.str()));
  return fd;
}

WriteBatch::BlobFile WriteBatch::create_blob_file() {
  std::string name = next_staging_name();
  UniqueFd fd(::openat(staging_fd_.get(), name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd) fail_errno(errno, "cannot create a staging file");
  return {std::move(name), std::move(fd)};
}

Digest WriteBatch::add_blob_file(const std::filesystem::path& path) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) fail_errno(errno, "cannot read " + quote(path.string()));
  BlobFile file = create_blob_file();
  Sha256 digest;
  std::uint64_t size = 0;
  std::vector<char> buffer(std::size_t{1} << 16);
  for (;;) {
    ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(errno, "cannot read " + quote(path.string()));
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    digest.update(chunk);
    size += chunk.size();
    write_all(file.fd.get(), chunk, "a staging file");
  }
  Digest result = digest.finish();
  keep_blob_file(std::move(file), result, size);
  return result;
}

void WriteBatch::keep_blob_file(BlobFile file, const Digest& digest, std::uint64_t size) {
  if (::close(file.fd.release()) != 0) fail_errno(errno, "cannot write a staging file");
  if (claim(digest, Kind::blob)) {
    keep(std::move(file.name), digest, Kind::blob, size);
  } else {
    ::unlinkat(staging_fd_.get(), file.name.c_str(), 0);
  }
}

void WriteBatch::publish(const Staged& staged) {
  bool is_object = staged.kind == Kind::object;
  int target_fd = is_object ? store_.objects_fd() : store_.blobs_fd();
  std::string target = is_object ? LocalStore::object_name(staged.digest) : staged.digest.hex();
  for (int attempt = 0;; ++attempt) {
    if (::renameat2(staging_fd_.get(), staged.name.c_str(), target_fd, target.c_str(), RENAME_NOREPLACE) == 0) return;
    int err = errno;
    if (err == EEXIST) {
      // Another writer published the same bytes first; theirs is durable too.
      ::unlinkat(staging_fd_.get(), staged.name.c_str(), 0);
      return;
    }
    if (err == ENOENT && is_object && attempt == 0) {
      // The fan-out directory went missing; recreate it and try again.
      ::mkdirat(target_fd, target.substr(0, 2).c_str(), 0755);
      continue;
    }
    if (err == EINVAL && attempt == 0) {
      // A filesystem without RENAME_NOREPLACE: link(2) never replaces either.
      if (::linkat(staging_fd_.get(), staged.name.c_str(), target_fd, target.c_str(), 0) == 0 || errno == EEXIST) {
        ::unlinkat(staging_fd_.get(), staged.name.c_str(), 0);
        return;
      }
      err = errno;
    }
    fail_errno(err, fmt::format("cannot publish {} into the store", staged.digest.str()));
  }
}

void WriteBatch::commit(const std::function<void(Index::Transaction&)>& update) {
  if (finished_) throw Error("internal error: a write batch was committed twice");
  finished_ = true;
  if (!staged_.empty()) {
    sync_filesystem(staging_fd_.get());  // staged bytes are durable before any rename
    // Renames are independent system calls; two at a time on two cores
    // shortens this step for an import of a thousand objects or more.
    parallel_for(staged_.size(), hardware_threads(), [&](std::size_t i) { publish(staged_[i]); });
  }
  // Makes our renames durable, and also any rename by another writer whose
  // object this batch found present and is about to reference.
  sync_filesystem(staging_fd_.get());
  store_.index().write(update);
}

}  // namespace sheaf::store
