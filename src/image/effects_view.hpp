// The image as the effects of maintainer scripts see it (image/effects.hpp):
// a script's absolute paths as the image's FileSets name them, and the
// members' tree under what the assembly has added so far, with symlinks
// resolved inside the image. Private to the module.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fileset/manifest.hpp"
#include "image/paths.hpp"

namespace sheaf::image {

// An absolute path of a script, as the image's FileSets name it: relative,
// normalised, merged-/usr. nullopt when it is not absolute or climbs out.
std::optional<std::string> image_relative(std::string_view absolute);

// A symlink's target, for the link at `link` (relative), may be absolute
// (resolved inside the image) or relative to the link's directory, but must
// not climb above the root.
bool target_stays_inside(std::string_view link, std::string_view target);

// The image as the effects see it: the members' tree under what the
// assembly has added so far.
class EffectsView {
 public:
  EffectsView(const ImageTree& tree, const std::vector<fileset::Entry>& base,
              std::map<std::string, fileset::Entry>& added)
      : tree_(tree), added_(added) {
    for (const auto& e : base) base_.emplace(e.path, e);
  }

  const fileset::Entry* find(std::string_view path) const {
    if (auto it = added_.find(std::string(path)); it != added_.end()) return &it->second;
    if (auto it = base_.find(path); it != base_.end()) return &it->second;
    const ImageTree::Claim* claim = tree_.find(path);
    return claim ? claim->entry : nullptr;
  }
  // A hardlink stands for its file.
  const fileset::Entry* content_of(const fileset::Entry* e) const {
    if (e && e->type == fileset::EntryType::hardlink) return find(e->target);
    return e;
  }
  bool shipped(std::string_view path) const { return tree_.find(path) != nullptr; }

  // Where `path` (relative) really is: symlinks in its directories followed,
  // and the last one too when `follow_last`. nullopt when something on the
  // way is not a directory, or a loop.
  std::optional<std::string> real(std::string_view path, bool follow_last) const;

 private:
  const ImageTree& tree_;
  std::map<std::string, fileset::Entry, std::less<>> base_;
  std::map<std::string, fileset::Entry>& added_;
};

}  // namespace sheaf::image
