// `sheaf fetch`: the locked .deb files, downloaded, checked and imported.
//
// A locked package whose .deb the store already holds (an origin with that
// sha256 and size, however it got there) is not downloaded. The others are
// downloaded in parallel, checked against the lock's size and sha256, then
// imported in one write batch: either all of them land in the store, or none
// does. (A second batch imports what another process was importing for
// this one and did not commit.)
//
// Downloads are shared between processes (docs/formats/store.md,
// "Concurrency"), in <store>/cache/apt/:
//   partial/<sha256>.deb     a download in progress, resumed by whoever goes on
//   partial/<sha256>.lock    flock(2)ed by the one process downloading it
//   partial/<sha256>.import  flock(2)ed by the one process importing it
//   debs/<sha256>.deb        a download that matched the lock, until imported
//   tmp/fetch-<random>/      one fetch's hard links to the files it imports
// Each file is downloaded once however many processes want it: the others
// wait for the lock, then find the file in debs/ (or the package in the
// store). The download lock is held only while bytes arrive, never while
// waiting for anything else, so waits cannot form a cycle. When the
// downloading process dies, even by kill -9, its lock goes with it, and a
// waiter resumes its partial file. Each file is imported once too: by the
// process that downloaded it, while the others wait for that import after
// their own, and import the file themselves only if it did not commit. A
// file leaves debs/ only after a batch that imported it has committed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pkg/import_deb.hpp"
#include "repo/lockfile.hpp"
#include "repo/network.hpp"
#include "repo/repository.hpp"
#include "store/local_store.hpp"

namespace sheaf::repo {

struct FetchProgress {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
  std::size_t files_done = 0;
  std::size_t files_total = 0;
};

struct FetchOptions {
  // Files fetched at once; each worker also reads the file it got into the
  // import batch, so this many .debs may be decompressing at once too.
  unsigned jobs = 4;
  // Called as bytes arrive, from any thread, one call at a time.
  std::function<void(const FetchProgress&)> on_progress = nullptr;
  // Called once, from any thread, when this fetch first waits for a file that
  // another process is downloading ("waiting for pid 42, which is ...").
  std::function<void(const std::string&)> note = nullptr;
};

struct FetchReport {
  std::size_t present = 0;     // already in the store
  std::size_t downloaded = 0;  // fetched by this run (resumed ones included)
  std::size_t shared = 0;      // downloaded or imported by another process meanwhile
  std::size_t taken_over = 0;  // partial downloads of a process that died, finished by this run
  std::uint64_t bytes = 0;     // bytes transferred by this run
  std::vector<pkg::ImportResult> imported;
};

// The .deb URL of a locked package: its suite's URI joined with its Filename.
// Throws when the lock names a suite that `suites` does not serve.
std::string package_url(const LockedPackage& package, const std::vector<SuiteSource>& suites);

// Fetches and imports every locked package the store lacks.
FetchReport fetch_locked(store::LocalStore& store, const Lockfile& lock, const std::vector<SuiteSource>& suites,
                         const NetworkSettings& network, const FetchOptions& options);

// The files of a locked Debian source package, each checked against the
// lock's sha256 and size, kept in <store>/cache/apt/sources/<sha256> (a
// download goes to a file of its own and is renamed into place once it
// matched, so processes that fetch the same file at once never see a part
// of it). Returns (file name, path in the cache), in the lock's order.
// Throws an Error naming the URL and what was wrong; nothing unchecked
// enters the cache.
std::vector<std::pair<std::string, std::filesystem::path>> fetch_source_package(const std::filesystem::path& cache_dir,
                                                                                const LockedSource& source,
                                                                                const std::vector<SuiteSource>& suites,
                                                                                const NetworkSettings& network);

// The locked Debian packages the store lacks, in lock order (registry
// packages come through pipeline/registry_sources.hpp).
std::vector<const LockedPackage*> missing_packages(store::LocalStore& store, const Lockfile& lock);

}  // namespace sheaf::repo
