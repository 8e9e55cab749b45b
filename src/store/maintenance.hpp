// Whole-store checks and clean-up: verify, gc and du.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/index.hpp"
#include "store/local_store.hpp"

namespace sheaf::store {

struct Damage {
  std::string subject;  // what is damaged: "objects/sha256/ab/<hex>", "package hello 1.0 (sha256:...)"
  std::string problem;  // what is wrong with it
};

struct VerifyReport {
  std::uint64_t objects = 0;
  std::uint64_t blobs = 0;
  std::uint64_t packages = 0;
  // Packages held in part (pulled from layers a drop filter narrowed): the
  // content of the files the filter removed is absent, and that is no damage.
  std::uint64_t partial_packages = 0;
  std::uint64_t images = 0;
  std::vector<Damage> damage;  // sorted by subject
};

// An extra check of a package document against its index record, supplied by
// the module that owns the document format. Returns a problem, or nullopt.
using PackageCheck = std::function<std::optional<std::string>(const PackageRecord&, std::string_view document)>;

// The blobs a package's index row names beyond its document and FileSet
// (its metadata's maintainer scripts), supplied by the module that owns the
// metadata format. gc keeps them; verify checks that they exist.
using PackageBlobs = std::function<std::vector<Digest>(const PackageRecord&)>;

// Re-hashes every object and blob, and checks every package in the index: its
// document and FileSet manifest exist and parse, the blobs `package_blobs`
// names exist, and every file the manifest names is present with the right
// size. Holds the shared store lock, so gc cannot remove anything while it
// runs. Uses `threads` threads for hashing.
VerifyReport verify_store(LocalStore& store, const PackageCheck& check_package, const PackageBlobs& package_blobs,
                          unsigned threads);

struct GcReport {
  std::uint64_t objects_removed = 0;
  std::uint64_t blobs_removed = 0;
  std::uint64_t bytes_freed = 0;
  std::uint64_t staging_removed = 0;
  std::uint64_t trees_removed = 0;  // package trees (sheaf run) of packages no longer in the index
  std::uint64_t trees_in_use = 0;   // such trees kept because a container still uses them
  std::uint64_t runs_removed = 0;   // run/ directories of `sheaf run`s that died, with nothing mounted
};

struct GcOptions {
  bool dry_run = false;  // report what would be removed, remove nothing
  // How long to wait for the store lock (LocalStore::lock_exclusive).
  std::chrono::milliseconds wait = kDefaultGcWait;
  // Runs under the same exclusive lock after the store's own sweep: the
  // clean-up of caches other modules keep in the store (repo's cache/apt).
  std::function<void()> also = nullptr;
  // Blobs each package's row names beyond its document and FileSet: kept.
  PackageBlobs package_blobs = nullptr;
};

// Removes every object and blob that no package in the index references,
// every staging leftover, the package trees of packages no longer in the
// index that no container uses, and the run/ directories that dead `sheaf
// run`s left with nothing mounted. Holds the exclusive store lock, so no
// writer can be between staging and committing meanwhile; waits for it at
// most `options.wait`, then throws, having removed nothing. Refuses to run,
// removing nothing, if a live package's manifest is missing or unreadable.
GcReport collect_garbage(LocalStore& store, const GcOptions& options);

struct DiskUsage {
  std::uint64_t packages = 0;
  std::uint64_t objects = 0;
  std::uint64_t blobs = 0;
  std::uint64_t logical_bytes = 0;  // file content of every package, as if each had its own copy
  std::uint64_t object_bytes = 0;   // file content as stored: each distinct content once
  std::uint64_t blob_bytes = 0;
  std::uint64_t disk_bytes = 0;  // allocated blocks of objects, blobs and the index
  // logical_bytes / object_bytes; 1.0 for an empty store.
  double dedup_ratio() const;
};

DiskUsage disk_usage(LocalStore& store);

}  // namespace sheaf::store
