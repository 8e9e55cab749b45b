// Directory operations relative to directory fds, which is how sheaf touches
// the filesystem wherever a path could be swapped under it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf {

// Names in the directory open at `dir_fd`, without "." and "..", unsorted.
// `shown` names the directory in error messages.
std::vector<std::string> list_dir(int dir_fd, std::string_view shown);

// Removes `name` below `parent_fd` and, if it is a directory, everything in
// it. Never follows symlinks. Missing entries are not an error.
void remove_tree_at(int parent_fd, const std::string& name);

// Replaces `path` with `bytes` atomically: a temporary file beside it,
// fsync'd, then renamed over it. A reader sees the old content or the new,
// and a crash leaves one of them (or a stray temporary, never `path` half
// written). The temporary is removed on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, unsigned mode = 0644);

// `bytes` random bytes from getrandom(2), as lowercase hex.
std::string random_hex(std::size_t bytes);

}  // namespace sheaf
