// `sheaf pkg import`: Debian binary packages become sheaf packages.
//
// Each .deb becomes one package. Its data.tar streams straight into the store
// (never unpacked to disk), rewritten to the merged-/usr layout, plus the two
// dpkg database files scanners read (var/lib/dpkg/status.d/<name> and
// <name>.md5sums). Its identity fields and relations come from the control
// file, its descriptive fields (license, source, scripts skipped) go to the
// index, and its origin is the .deb's sha256 and size. Maintainer scripts are
// never run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "deb/deb_archive.hpp"
#include "fileset/manifest.hpp"
#include "pkg/package.hpp"
#include "store/local_store.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pkg {

struct ImportOptions {
  unsigned threads = 1;  // .deb files read at once
  deb::DebLimits limits;
  // The sha256 and size of each file, when the caller has just checked them
  // (sheaf fetch): one per file, in order, or empty. Import then skips its
  // first hashing pass and takes them at their word for the origin lookup,
  // so they must be the files' true digests. A file it reads is still hashed
  // as it is read and refused when it does not match.
  std::vector<StreamDigest> known_digests;
  // Called once per file when it is done (from any thread, one at a time).
  std::function<void(const std::filesystem::path& file)> on_file = nullptr;
};

struct ImportResult {
  std::filesystem::path file;
  Package package;
  Digest id;
  PackageMetadata metadata;
  Digest deb_digest;  // sha256 of the .deb
  std::uint64_t deb_size = 0;
  std::uint64_t entries = 0;
  std::uint64_t size = 0;
  bool inserted = false;  // the store did not have this package before
  bool known = false;     // the store already had a package from this very .deb; it was not read again
};

// The origin document recorded for a package imported from a .deb:
// {"sha256":"<hex>","size":N,"type":"deb"} in canonical JSON. Any way of
// getting the same .deb into the store (import, fetch) records the same one.
std::string deb_origin(const Digest& digest, std::uint64_t size);

// The FileSet of a package read from a .deb: data.tar in the merged-/usr
// layout plus var/lib/dpkg/status.d/<name> and <name>.md5sums, whose bytes go
// to `sink`. Throws ParseError naming `where` when the contents cannot form
// one (two different entries on one merged path, a malformed md5sums).
fileset::Manifest deb_fileset(const deb::DebArchive& deb, std::string_view where, fileset::ContentSink& sink);

// Expands the command line's operands: a file stands for itself, a directory
// for the regular files directly inside it whose names end in ".deb", sorted.
// Throws a usage Error for an operand that does not exist, or a directory
// with no .deb in it.
std::vector<std::filesystem::path> expand_deb_operands(const std::vector<std::string>& operands);

// One write batch that .deb files are read into as they become available,
// from any number of threads, and that commits them together: what
// import_debs does with files at hand, and what a fetch does with files as
// their downloads finish. Destroyed without commit(), it leaves the store as
// it was.
class DebBatch {
 public:
  DebBatch(store::LocalStore& store, const deb::DebLimits& limits);
  ~DebBatch();
  DebBatch(const DebBatch&) = delete;
  DebBatch& operator=(const DebBatch&) = delete;

  // Reads the .deb at `file`, whose sha256 and size must be `expected`, into
  // the batch, and fills `result` (which must stay where it is until commit).
  // With `refresh`, a package the store already holds gets the metadata this
  // read derived (it was imported by a sheaf that derived less:
  // pkg/derived.hpp). Thread-safe. Throws an Error naming the file.
  void read(const std::filesystem::path& file, const StreamDigest& expected, ImportResult& result,
            bool refresh = false);
  // Commits every package read (setting each result's `inserted`). Nothing
  // read: nothing to commit.
  void commit();

 private:
  struct Read;
  store::LocalStore& store_;
  deb::DebLimits limits_;
  std::unique_ptr<store::WriteBatch> batch_;
  std::mutex mutex_;
  std::vector<Read> reads_;
};

// Imports `files` in one write batch: either every package lands in the store
// or, on any error, none does. A .deb the store already holds (by origin) is
// only hashed. Results come back in the order of `files`.
std::vector<ImportResult> import_debs(store::LocalStore& store, const std::vector<std::filesystem::path>& files,
                                      const ImportOptions& options);

}  // namespace sheaf::pkg
