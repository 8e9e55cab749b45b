// Reading a directory tree into a FileSet.
//
// The walk never follows symlinks (they are recorded, whatever they point
// at), keeps hardlinks as hardlinks, and refuses what a FileSet cannot hold:
// device nodes, fifos, sockets, names that are not UTF-8, and extended
// attributes other than user.* and security.capability (security.selinux is
// a host label and is skipped). File contents stream into a ContentSink in
// one pass and are never held whole in memory.
//
// With a cache, a file whose identity (device, inode, size, mtime, ctime,
// mode, owner) matches a recorded one is not opened; its recorded digest and
// xattrs are used.
//
// If anything in the tree changes while it is read (content, metadata, or
// entries added or removed), the read fails: every entry is stat'ed before
// and after, and files must yield exactly the size they had.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "fileset/content_cache.hpp"
#include "fileset/content_sink.hpp"
#include "fileset/manifest.hpp"

namespace sheaf::fileset {

struct DirectoryReadOptions {
  unsigned threads = 1;  // files read at once
  // Where unchanged files may be answered from instead of being read again,
  // and where files that were read are recorded. nullptr: read everything.
  ContentCache* cache = nullptr;
  bool use_cached = true;  // false: read every file, but still record them
  // Files whose ctime is this close to the start of their read are not
  // recorded (see content_cache.hpp). Tests lower it.
  std::int64_t racy_margin_ns = kRacyMarginNs;
  // Called after each file's content has been read, from any thread.
  std::function<void(std::string_view path, std::uint64_t size)> on_file = nullptr;
};

struct DirectoryReadStats {
  std::uint64_t cached_files = 0;  // files answered from the cache, not read
};

// Reads the tree below `root` (which itself is not an entry). Throws an Error
// naming the offending path; the sink may then hold some contents, which the
// caller discards.
Manifest read_directory(const std::filesystem::path& root, ContentSink& sink, const DirectoryReadOptions& options,
                        DirectoryReadStats* stats = nullptr);

}  // namespace sheaf::fileset
