// The store's cache of unchanged files, kept in the index: what a file with a
// given identity (device, inode, size, mtime, ctime, mode, owner) held when it
// was last read. It lets `sheaf pkg add` skip reading files that have not
// changed since an earlier add. The rules that make this sound are in
// fileset/content_cache.hpp and docs/decisions.md.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "fileset/content_cache.hpp"
#include "store/index.hpp"
#include "store/local_store.hpp"

namespace sheaf::store {

class FileCache final : public fileset::ContentCache {
 public:
  // Loads what the index remembers about files on device `dev`. Use within a
  // write batch, so that gc cannot remove an object between find() and the
  // commit that references it.
  FileCache(LocalStore& store, std::uint64_t dev);

  // A hit needs an identical identity and the object still in the store.
  std::optional<fileset::CachedContent> find(const fileset::FileIdentity& identity) override;
  void remember(const fileset::FileIdentity& identity, const fileset::CachedContent& content) override;

  // Writes the remembered files; call in the batch's index transaction.
  void save(Index::Transaction& transaction) const;

 private:
  LocalStore& store_;
  std::uint64_t dev_;
  std::unordered_map<std::uint64_t, FileCacheRow> rows_;  // by inode; read-only after construction
  mutable std::mutex mutex_;
  std::vector<FileCacheRow> remembered_;
};

}  // namespace sheaf::store
