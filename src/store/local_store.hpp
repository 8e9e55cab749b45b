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

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/digest.hpp"
#include "base/file_lock.hpp"
#include "base/unique_fd.hpp"
#include "store/index.hpp"

namespace sheaf::store {

class WriteBatch;

// The store layout version this build reads and writes.
inline constexpr int kStoreFormat = 1;

// The store lock: a held flock(2) on <root>/lock (docs/formats/store.md,
// "Concurrency"). Writers and readers that need a stable store hold it
// shared for the whole of their work; gc holds it exclusive, so it never
// runs while a writer has staged objects or relies on an object it found
// already present.
//
// So that a steady stream of shared holders cannot starve gc, shared holders
// pass through a second lock on <root>/gate on their way in: they take it
// shared, take the store lock, and drop the gate at once. gc takes the gate
// exclusive first and keeps it, so once gc waits, new holders queue behind
// it while the ones already inside finish. A process that already holds the
// store lock shared skips the gate when it takes it again (a fetch's import
// batch, say), or it would wait for a gc that waits for it.
class StoreLock {
 public:
  enum class Mode { shared, exclusive };
  StoreLock() = default;
  StoreLock(StoreLock&&) noexcept = default;
  StoreLock& operator=(StoreLock&&) noexcept;
  ~StoreLock();
  bool is_held() const noexcept { return lock_.is_held(); }

  struct Holds;  // this process's shared holds of one store (local_store.cpp)

 private:
  friend class LocalStore;
  StoreLock(FileLock lock, FileLock gate, std::shared_ptr<Holds> holds);
  void release() noexcept;

  FileLock lock_;
  FileLock gate_;                // held by an exclusive holder only
  std::shared_ptr<Holds> holds_;  // set for a shared holder only
};

// How long gc waits for the commands already in the store to finish before
// it gives up (`store gc --wait`). New commands wait behind it meanwhile.
inline constexpr std::chrono::seconds kDefaultGcWait{300};

class LocalStore {
 public:
  // Opens the store at `root`, creating it when the directory is absent or
  // empty. Refuses a non-empty directory that is not a store, and a store or
  // index of a newer format.
  explicit LocalStore(const std::filesystem::path& root);
  ~LocalStore();
  LocalStore(const LocalStore&) = delete;
  LocalStore& operator=(const LocalStore&) = delete;

  // Absolute, even when the store was named relative to the working directory
  // (a container bundle names its files by absolute path).
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

  // Takes the store lock, waiting for it as long as it takes (and saying so
  // on stderr if the wait is not short). Safe to call from several threads.
  StoreLock lock(StoreLock::Mode mode) const;
  // Takes the store lock exclusively, waiting at most `wait` (gc). Throws an
  // Error naming the processes that hold it when the time runs out.
  StoreLock lock_exclusive(std::chrono::milliseconds wait) const;
  // Takes the store lock exclusively only if no one holds it at all, without
  // waiting and without the gate.
  std::optional<StoreLock> try_lock_exclusive() const;

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
  FileLock take_gate(LockMode mode, std::optional<std::chrono::steady_clock::time_point> deadline) const;

  std::filesystem::path root_;
  UniqueFd root_fd_;
  UniqueFd objects_fd_;
  UniqueFd blobs_fd_;
  UniqueFd tmp_fd_;
  std::unique_ptr<Index> index_;
  std::shared_ptr<StoreLock::Holds> holds_;
};

}  // namespace sheaf::store
