// Bookworm's merged-/usr layout, applied to package contents at import.
//
// On a merged-/usr system /bin, /sbin and /lib* are symlinks into /usr, and
// dpkg unpacks a package's bin/sh through them to usr/bin/sh. sheaf makes that
// rewrite once, when a package is imported, so every FileSet is already in
// the canonical layout, the conflict check compares real locations, and the
// top-level symlinks are left to image assembly (docs/decisions.md, "Merged
// /usr at import").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fileset/entry.hpp"

namespace sheaf::deb {

// True for a top-level directory that bookworm merges into usr/: bin, sbin,
// lib, lib32, lib64, libx32 and libo32 (debootstrap's list).
bool is_merged_directory(std::string_view top);

// The canonical location of `path`: "bin/sh" -> "usr/bin/sh",
// "lib64/ld-linux-x86-64.so.2" -> "usr/lib64/ld-linux-x86-64.so.2"; any other
// path is returned unchanged. Symlink targets are never rewritten: they keep
// working through the top-level symlinks, exactly as after dpkg's unpack.
std::string merged_usr_path(std::string_view path);

// Moves every entry to its canonical location and rewrites hardlink targets
// to match. Two entries that land on one path merge when they are identical
// (as libc6's lib/x86_64-linux-gnu/ and usr/lib/x86_64-linux-gnu/ are);
// otherwise the result is a ParseError naming `where` and both paths. A
// top-level symlink that is itself the merge (bin -> usr/bin) is dropped.
std::vector<fileset::Entry> merge_usr(std::vector<fileset::Entry> entries, std::string_view where);

}  // namespace sheaf::deb
