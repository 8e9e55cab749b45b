// `sheaf fetch`: the locked .deb files, downloaded, checked and imported.
//
// A locked package whose .deb the store already holds (an origin with that
// sha256 and size, however it got there) is not downloaded. The others are
// downloaded in parallel into <store>/cache/apt/partial/, resuming what an
// earlier run left, checked against the lock's size and sha256, then imported
// in one write batch: either all of them land in the store, or none does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pkg/import_deb.hpp"
#include "repo/downloader.hpp"
#include "repo/lockfile.hpp"
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
  unsigned jobs = 4;  // downloads at once
  unsigned import_threads = 2;
  // Called as bytes arrive, from any thread, one call at a time.
  std::function<void(const FetchProgress&)> on_progress = nullptr;
};

struct FetchReport {
  std::size_t present = 0;     // already in the store
  std::size_t downloaded = 0;  // fetched by this run (resumed ones included)
  std::uint64_t bytes = 0;     // bytes transferred by this run
  std::vector<pkg::ImportResult> imported;
};

// The .deb URL of a locked package: its suite's URI joined with its Filename.
// Throws when the lock names a suite that `suites` does not serve.
std::string package_url(const LockedPackage& package, const std::vector<SuiteSource>& suites);

// Fetches and imports every locked package the store lacks.
FetchReport fetch_locked(store::LocalStore& store, const Lockfile& lock, const std::vector<SuiteSource>& suites,
                         const NetworkSettings& network, const FetchOptions& options);

// The locked packages the store lacks, in lock order.
std::vector<const LockedPackage*> missing_packages(store::LocalStore& store, const Lockfile& lock);

}  // namespace sheaf::repo
