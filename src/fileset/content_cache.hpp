// A cache of what files held, keyed by their identity on disk, so that
// re-reading an unchanged tree need not hash it again (git's index does the
// same). The store implements it (store::FileCache).
//
// Soundness rests on ctime: the kernel sets it to "now" on every change of
// content, size, mode, owner, link count or xattrs, and userspace cannot set
// it. A file whose identity matches a cached one has not changed since it was
// read, provided it had not changed within the timestamp granularity before
// that read; the directory reader therefore records only files whose ctime is
// older than kRacyMarginNs before the read began.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "fileset/content_sink.hpp"
#include "fileset/entry.hpp"

namespace sheaf::fileset {

// Files changed less than this long before they were read are not recorded.
inline constexpr std::int64_t kRacyMarginNs = 2'000'000'000;  // 2 s: FAT's granularity, the coarsest

struct FileIdentity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint32_t mode = 0;  // st_mode, type bits included
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

struct CachedContent {
  ContentRef content;
  std::vector<Xattr> xattrs;  // as the reader records them (already filtered)
};

class ContentCache {
 public:
  virtual ~ContentCache() = default;
  // What a file with exactly this identity held, if recorded and if its
  // content is still available to the sink. Safe to call from several threads.
  virtual std::optional<CachedContent> find(const FileIdentity& identity) = 0;
  // Records what a file held. Safe to call from several threads.
  virtual void remember(const FileIdentity& identity, const CachedContent& content) = 0;
};

}  // namespace sheaf::fileset
