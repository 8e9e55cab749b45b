// The local store: content-addressed file contents (objects), OCI-style blobs
// (manifests, documents, later layers) and the SQLite index, in one directory.
//
//   <root>/format                 "sheaf-store 1": the layout version
//   <root>/objects/sha256/ab/<hex> file contents, read-only, written once
//   <root>/blobs/sha256/<hex>      documents and, later, OCI blobs
//   <root>/index.db                the index (see index.hpp)
//   <root>/lock                    the store lock (see StoreLock)
//   <root>/tmp/                    staging; everything arrives by rename
//
// Invariants, which hold after a crash or power cut at any instant:
//   - an object or blob under its final name is durable and matches its name;
//   - the index refers only to objects and blobs that exist;
//   - staging leftovers are removed by a later writer or by gc.
// The write protocol that keeps them is in WriteBatch and docs/decisions.md.
//
// A LocalStore may be used from one thread, except where a member says
// otherwise. Any number of processes may open the same store at once.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/digest.hpp"
#include "base/unique_fd.hpp"
#include "store/index.hpp"

namespace sheaf::store {

class WriteBatch;

// The store layout version this build reads and writes.
inline constexpr int kStoreFormat = 1;

// A held flock(2) on <root>/lock. Writers hold it shared for the whole of a
// batch; gc holds it exclusive, so it never runs while a writer has staged
// objects or relies on an object it found already present.
class StoreLock {
 public:
  enum class Mode { shared, exclusive };
  StoreLock() = default;
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
  bool is_held() const noexcept { return static_cast<bool>(fd_); }

 private:
  UniqueFd fd_;
};

class LocalStore {
 public:
  // Opens the store at `root`, creating it when the directory is absent or
  // empty. Refuses a non-empty directory that is not a store, and a store or
  // index of a newer format.
  explicit LocalStore(const std::filesystem::path& root);
  ~LocalStore();
  LocalStore(const LocalStore&) = delete;
  LocalStore& operator=(const LocalStore&) = delete;

  const std::filesystem::path& root() const noexcept { return root_; }

  // Objects. These members are safe to call from several threads.
  std::filesystem::path object_path(const Digest& digest) const;
  bool has_object(const Digest& digest) const;
  std::optional<UniqueFd> open_object(const Digest& digest) const;

  // Blobs. Safe to call from several threads.
  std::filesystem::path blob_path(const Digest& digest) const;
  bool has_blob(const Digest& digest) const;
  // Reads a blob and checks its digest. Returns nullopt when it is absent and
  // throws when its bytes do not match its name.
  std::optional<std::string> read_blob(const Digest& digest) const;

  Index& index() noexcept { return *index_; }

  // Takes the store lock, waiting for it (and saying so on stderr if the wait
  // is not immediate).
  StoreLock lock(StoreLock::Mode mode) const;
  // Takes the store lock only if that is possible without waiting.
  std::optional<StoreLock> try_lock(StoreLock::Mode mode) const;

  // Starts a batch of writes. Also removes staging leftovers of writers that
  // died, when no other writer is active.
  std::unique_ptr<WriteBatch> begin_write();

  // Removes every staging directory. The caller must hold the exclusive lock.
  std::size_t remove_staging();

  // Directory fds for the store's own modules (write batches, maintenance).
  int objects_fd() const noexcept { return objects_fd_.get(); }
  int blobs_fd() const noexcept { return blobs_fd_.get(); }
  int tmp_fd() const noexcept { return tmp_fd_.get(); }

  // "ab/<hex>": an object's name below objects/sha256.
  static std::string object_name(const Digest& digest);

 private:
  void initialize();
  UniqueFd open_lock_file() const;

  std::filesystem::path root_;
  UniqueFd root_fd_;
  UniqueFd objects_fd_;
  UniqueFd blobs_fd_;
  UniqueFd tmp_fd_;
  std::unique_ptr<Index> index_;
};

}  // namespace sheaf::store
