// The container's root: an overlay of package trees.
//
// Lower layers are the package trees, read-only, the image's last layer on
// top. A writable upper directory per container takes its changes, unless
// the root is read-only. FileSets hold no whiteouts (devices are refused),
// so none are ever made; the no-conflict rule makes them unnecessary.
//
// Mounting uses the new mount API and the "lowerdir+" parameter (Linux 6.8
// and later), which takes any number of layers, one path at a time. On an
// older kernel it falls back to mount(2) with "lowerdir=" built from short
// relative paths (symlinks named by index, in a directory it changes into),
// since the option string must fit in a page.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace sheaf::run {

struct OverlayLayout {
  std::vector<std::filesystem::path> lowers;   // the top layer first
  std::optional<std::filesystem::path> upper;  // with work; none: read-only
  std::optional<std::filesystem::path> work;
};

class OverlayMount {
 public:
  // Mounts at `target` (an existing empty directory). `scratch` is a
  // directory the fallback may use for its short links.
  OverlayMount(const OverlayLayout& layout, const std::filesystem::path& target, const std::filesystem::path& scratch);
  // Unmounts (lazily, so a process that still holds a file there does not
  // keep the mount alive in the host's namespace).
  ~OverlayMount();
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;

  const std::filesystem::path& target() const noexcept { return target_; }
  bool used_lowerdir_plus() const noexcept { return lowerdir_plus_; }

 private:
  std::filesystem::path target_;
  bool lowerdir_plus_ = false;
};

}  // namespace sheaf::run
