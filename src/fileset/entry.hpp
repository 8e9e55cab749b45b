// One path of a FileSet: what it is, who owns it and, for files, what it holds.
// The fields mirror design brief section 3; docs/formats/fileset.md gives the
// serialised form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"

namespace sheaf::fileset {

enum class EntryType : std::uint8_t { file, dir, symlink, hardlink };

std::string_view to_string(EntryType type);

struct Xattr {
  std::string name;   // for example "user.origin" or "security.capability"
  std::string value;  // raw bytes
  friend bool operator==(const Xattr&, const Xattr&) = default;
};

struct Entry {
  std::string path;  // relative, no leading '/', see is_valid_path()
  EntryType type = EntryType::file;
  // Permission bits, including setuid, setgid and sticky (mask 07777). Symlinks
  // always carry 0777; hardlinks carry their target's and record nothing.
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;     // files only
  Digest digest;              // files only: sha256 of the content
  std::string target;         // symlinks: the link text; hardlinks: an earlier file's path
  std::vector<Xattr> xattrs;  // sorted by name, names unique

  friend bool operator==(const Entry&, const Entry&) = default;
};

inline constexpr std::uint32_t kPermissionMask = 07777;

// True when `path` can name an entry: non-empty, relative, valid UTF-8, no NUL,
// and no empty, "." or ".." component.
bool is_valid_path(std::string_view path);

// The parent of `path` ("" for a top-level path).
std::string_view parent_path(std::string_view path);

// Whether a relative symlink target, followed from the directory of the link
// at `path` (a valid path), stays inside the root: false when its ".."
// components climb above it.
bool relative_target_stays_inside(std::string_view path, std::string_view target);

// Adds a directory entry (mode 0755, owner 0:0) for every parent that
// `entries` lacks, as dpkg and tar do when an archive leaves one out.
void add_missing_parents(std::vector<Entry>& entries);

// Puts hardlink groups in canonical form: in each group (a file and the
// hardlinks that name it) the path that sorts first holds the content, and
// every other name becomes a hardlink to it. Archive order is arbitrary, but
// a manifest needs each hardlink to point to an earlier file.
void canonicalize_hardlinks(std::vector<Entry>& entries);

}  // namespace sheaf::fileset
