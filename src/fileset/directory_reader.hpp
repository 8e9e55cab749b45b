// Reading a directory tree into a FileSet.
//
// The walk never follows symlinks (they are recorded, whatever they point
// at), keeps hardlinks as hardlinks, and refuses what a FileSet cannot hold:
// device nodes, fifos, sockets, names that are not UTF-8, and extended
// attributes other than user.* and security.capability (security.selinux is
// a host label and is skipped). File contents stream into a ContentSink in
// one pass and are never held whole in memory.
//
// If anything in the tree changes while it is read (content, metadata, or
// entries added or removed), the read fails: every entry is stat'ed before
// and after, and files must yield exactly the size they had.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "fileset/content_sink.hpp"
#include "fileset/manifest.hpp"

namespace sheaf::fileset {

struct DirectoryReadOptions {
  unsigned threads = 1;  // files read at once
  // Called after each file's content has been read, from any thread.
  std::function<void(std::string_view path, std::uint64_t size)> on_file = nullptr;
};

// Reads the tree below `root` (which itself is not an entry). Throws an Error
// naming the offending path; the sink may then hold some contents, which the
// caller discards.
Manifest read_directory(const std::filesystem::path& root, ContentSink& sink, const DirectoryReadOptions& options);

}  // namespace sheaf::fileset
