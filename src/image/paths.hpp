// The image's tree as the union of its packages' FileSets, and the conflict
// check that makes that union well defined.
//
// Two packages may claim one path only with identical entries: the same
// type, mode, owner, xattrs and content (files) or target (symlinks). Shared
// directories such as usr/ are the common case. Anything else is a conflict
// naming both packages and the path. FileSets are already in the merged-/usr
// layout (deb/merged_usr.hpp), so "bin/sh" and "usr/bin/sh" cannot both
// appear: the check compares real locations.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fileset/manifest.hpp"

namespace sheaf::image {

// An image path as a FileSet spells it: "/usr/bin" -> "usr/bin".
inline std::string relative_path(std::string_view absolute) {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return std::string(absolute);
}

class ImageTree {
 public:
  // Adds a member's FileSet. `owner` names it in messages ("libc6 2.36-9").
  // Records a conflict for every path it claims differently from an earlier
  // member, except:
  //   - paths in `set_aside`, which it does not claim at all: another
  //     member diverted them (image/effects.hpp); set_aside() keeps them;
  //   - paths in `replaces`, where its entry replaces the earlier claim on
  //     purpose: the assembly's changed owner or mode.
  struct AddOptions {
    const std::set<std::string>* set_aside = nullptr;
    const std::map<std::string, std::string>* replaces = nullptr;
  };
  void add(const fileset::Manifest& manifest, const std::string& owner, const AddOptions& options);
  void add(const fileset::Manifest& manifest, const std::string& owner) { add(manifest, owner, AddOptions{}); }

  struct Claim {
    const fileset::Entry* entry;
    std::size_t owner;  // index into owners()
  };
  const Claim* find(std::string_view path) const;
  const std::vector<std::string>& owners() const noexcept { return owners_; }
  // "path usr/bin/awk is claimed by mawk 1.3.4 (symlink to /etc/alternatives/awk)
  // and by gawk 5.2 (file, 0755, 0:0, sha256:...)", in path order.
  std::vector<std::string> conflicts() const;

  // Resolves an absolute path inside the image, following symlinks (at most
  // 40) and the merged-/usr top-level links that assembly adds. Returns the
  // final entry, or nullptr when the path does not exist in the image.
  const fileset::Entry* resolve(std::string_view path) const;

  // Every path, in byte order.
  const std::map<std::string, Claim, std::less<>>& claims() const noexcept { return claims_; }
  // The entries add() set aside, by path: each with its owner's index.
  const std::map<std::string, std::vector<Claim>, std::less<>>& set_aside() const noexcept { return set_aside_; }

 private:
  std::vector<std::string> owners_;
  std::vector<fileset::Manifest> manifests_;  // kept so claims may point into them
  std::map<std::string, Claim, std::less<>> claims_;
  std::map<std::string, std::vector<std::string>, std::less<>> conflicts_;
  std::map<std::string, std::vector<Claim>, std::less<>> set_aside_;
};

// "file, 0644, 0:0, sha256:ab12..." / "symlink to ../x" / "directory, 0755, 0:0".
std::string describe_entry(const fileset::Entry& entry);

}  // namespace sheaf::image
