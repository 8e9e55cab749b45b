// Debian repositories: which URI serves each suite, and their verified
// indexes.
//
// Loading a suite fetches InRelease (or Release and Release.gpg), checks the
// signature with gpgv, the suite name and Valid-Until, then fetches each
// component's Packages.gz (or .xz), and its Sources index when asked, and
// checks it against the Release's sha256 and size. Verified indexes are kept in the store's cache directory,
// <store>/cache/apt/, named by their sha256, so an unchanged index is never
// fetched twice. InRelease is always asked for again (a conditional request),
// and always verified again, so the cache never widens trust.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "base/file_lock.hpp"
#include "repo/apt_config.hpp"
#include "repo/network.hpp"
#include "spec/spec.hpp"

namespace sheaf::repo {

// <store>/cache/apt: where indexes, their parsed forms and downloads in
// progress are kept. The one spelling of that path.
std::filesystem::path apt_cache_dir(const std::filesystem::path& store_root);

// One suite to read, and from where.
struct SuiteSource {
  std::string uri;  // the mirror's base URI, without a trailing '/'
  std::string suite;
  std::vector<std::string> components;
  std::string arch;
  std::filesystem::path keyring;
  std::string origin;  // where the URI came from, for messages: "the spec's mirror" or "FILE:LINE"
};

// The default keyring: the host's Debian archive keyring.
inline constexpr const char* kDebianArchiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

// Decides where each of the spec's suites comes from: the spec's mirror when
// it names one, otherwise the first host apt source that lists the suite
// (with every requested component and the architecture). The keyring is the
// spec's, else the source's Signed-By, else kDebianArchiveKeyring. Throws an
// Error naming the suite when no source serves it.
std::vector<SuiteSource> plan_suites(const spec::DebianSource& source, const AptConfig& apt);

struct LoadedIndex {
  std::string component;
  std::string path;  // below dists/SUITE: "main/binary-amd64/Packages.xz"
  Digest sha256;     // of the file as fetched (compressed)
  std::uint64_t size = 0;
  std::filesystem::path file;  // the verified copy in the cache
  // The decompressed index, when it was decoded while downloading (and then
  // verified); null when it came from the cache.
  std::shared_ptr<const std::string> text;
};

struct LoadedSuite {
  SuiteSource source;
  std::string release_file;  // "InRelease" or "Release"
  Digest release_sha256;     // of that file as fetched
  bool verified = false;     // false only under --allow-unsigned
  std::optional<std::int64_t> valid_until;
  std::vector<LoadedIndex> indexes;  // in the order of source.components
  // The Sources index of each component, when LoadOptions::sources asked.
  std::vector<LoadedIndex> source_indexes;
  unsigned downloads = 0;            // files fetched from the mirror (not 304, not from the cache)
};

struct LoadOptions {
  bool allow_unsigned = false;
  std::int64_t now = 0;  // seconds since the epoch, for Valid-Until
  bool sources = false;  // also each component's Sources index (source packages)
  // Where warnings go (unsigned repositories); stderr when unset.
  std::function<void(const std::string&)> warn = nullptr;
};

class RepositoryCache {
 public:
  // `cache_dir` is <store>/cache/apt; it is created when missing.
  RepositoryCache(std::filesystem::path cache_dir, const NetworkSettings& network);

  // Fetches and verifies one suite (see the file comment). Throws an Error
  // naming the URL and the problem; on error nothing new enters the cache.
  LoadedSuite load(const SuiteSource& source, const LoadOptions& options);

  // Locks `source` in the cache against other processes, for as long as the
  // caller loads it and parses its indexes: a second process that wants the
  // same suite waits (`note` says for whom, once) and then finds everything
  // cached instead of downloading and parsing it again.
  FileLock lock_suite(const SuiteSource& source, const std::function<void(const std::string&)>& note) const;

  const std::filesystem::path& dir() const noexcept { return dir_; }
  // Where the parsed (libsolv) form of an index is cached.
  std::filesystem::path solv_path(const Digest& index) const;
  // A fresh temporary path inside the cache directory (same filesystem, so a
  // rename publishes it).
  std::filesystem::path temp_path(std::string_view hint) const;

 private:
  std::filesystem::path dir_;
  const NetworkSettings& network_;
  http::Downloader downloader_;
};

struct CachePruneReport {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
};

// Removes what the cache no longer needs: indexes (and their parsed forms)
// that no cached Release lists, parsed forms of an older format, download
// locks, and temporary, partial and unimported downloads older than
// `min_age_seconds` (kept for a retry to resume or use). The caller holds
// the exclusive store lock, so no command is using the cache. With
// `dry_run`, only counts.
CachePruneReport prune_cache(const std::filesystem::path& cache_dir, bool dry_run, std::int64_t min_age_seconds = 3600);

// The bytes of regular files below the cache directory.
std::uint64_t cache_size(const std::filesystem::path& cache_dir);

}  // namespace sheaf::repo
