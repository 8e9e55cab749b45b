// A batch of writes to the store, published all at once and durably.
//
// Protocol (docs/decisions.md, "Durable writes without an fsync per file"):
//   1. every new object and blob is written to a private staging directory
//      under tmp/, which the writer owns while it holds the shared store lock;
//   2. commit() calls syncfs(2) once, so all staged bytes are durable;
//   3. it renames each staged file to its final name (never replacing one that
//      exists: an object already present is trusted, because step 2 ran
//      before it was published);
//   4. it calls syncfs(2) again, so the renames are durable;
//   5. it commits the index transaction, which may now refer to them.
// A crash before 5 leaves, at worst, unreferenced objects (removed by gc) and
// a staging directory (removed by the next writer or gc).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/byte_source.hpp"
#include "base/digest.hpp"
#include "base/unique_fd.hpp"
#include "fileset/content_sink.hpp"
#include "store/index.hpp"
#include "store/local_store.hpp"

namespace sheaf::store {

class WriteBatch final : public fileset::ContentSink {
 public:
  // Use LocalStore::begin_write(). `lock` is the shared store lock, held until
  // the batch is destroyed.
  WriteBatch(LocalStore& store, StoreLock lock);
  // Discards whatever was staged and not committed.
  ~WriteBatch() override;
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // Reads `source` to its end, hashing as it reads, and stages the bytes as an
  // object unless the store or this batch already has that digest. Content
  // that fits one buffer (1 MiB) is hashed before anything is written, so
  // re-adding known small files writes nothing. Safe to call from several
  // threads at once.
  fileset::ContentRef put(ByteSource& source) override;

  // Opens an object that is in the store or staged by this batch, so a
  // batch can read back what it has not yet published. Safe to call from
  // several threads.
  std::optional<UniqueFd> open_object(const Digest& digest);

  // Stages a blob held in memory. Safe to call from several threads at once.
  Digest add_blob(std::string_view bytes);

  // Stages the file at `path` as a blob, streamed (a source file of a
  // recipe build); returns its digest. Safe from several threads at once.
  Digest add_blob_file(const std::filesystem::path& path);

  // A blob written as a stream (a layer): write its bytes to `fd` (open for
  // reading too, so that a pulled layer can be checked before it is kept),
  // then hand it to keep_blob_file() with their digest.
  struct BlobFile {
    std::string name;  // inside the staging directory
    UniqueFd fd;
  };
  BlobFile create_blob_file();
  // Closes the file and stages it as the blob `digest`, or removes it when the
  // store or this batch already has that blob. Safe to call from several
  // threads at once.
  void keep_blob_file(BlobFile file, const Digest& digest, std::uint64_t size);

  // Publishes everything staged, then runs `update` in one index transaction.
  // Call at most once; the batch is finished afterwards.
  void commit(const std::function<void(Index::Transaction&)>& update);

  // How many objects and bytes this batch staged as new (for reporting).
  std::uint64_t new_objects() const noexcept { return new_objects_.load(); }
  std::uint64_t new_bytes() const noexcept { return new_bytes_.load(); }

 private:
  enum class Kind { object, blob };
  struct Staged {
    std::string name;  // inside the staging directory
    Digest digest;
    Kind kind;
  };

  std::string next_staging_name();
  // Records a staged file, or returns false when the digest is already staged
  // or present in the store (the caller then drops its copy).
  bool claim(const Digest& digest, Kind kind);
  void keep(std::string name, const Digest& digest, Kind kind, std::uint64_t size);
  void publish(const Staged& staged);
  void write_staged(const std::string& name, std::string_view bytes);

  LocalStore& store_;
  StoreLock lock_;
  std::string staging_name_;
  UniqueFd staging_fd_;
  std::atomic<std::uint64_t> counter_{0};
  std::atomic<std::uint64_t> new_objects_{0};
  std::atomic<std::uint64_t> new_bytes_{0};
  std::mutex mutex_;  // guards claimed_ and staged_
  std::unordered_set<Digest, DigestHash> claimed_objects_;
  std::unordered_set<Digest, DigestHash> claimed_blobs_;
  std::vector<Staged> staged_;
  std::unordered_map<Digest, std::string, DigestHash> staged_objects_;  // digest -> staging name
  bool finished_ = false;
};

}  // namespace sheaf::store
