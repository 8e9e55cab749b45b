#include "run/overlay.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::run {

namespace fs = std::filesystem;

namespace {

// Returns false when the kernel does not know "lowerdir+" (before 6.8).
bool mount_with_new_api(const OverlayLayout& layout, const fs::path& target) {
  UniqueFd fsfd(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fsfd) fail_errno(errno, "cannot open an overlay filesystem context (is overlayfs available?)");
  auto set = [&](const char* key, const std::string& value) {
    return ::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) == 0;
  };
  set("source", "sheaf");
  for (const auto& lower : layout.lowers) {
    if (!set("lowerdir+", lower.string())) {
      if (errno == EINVAL && &lower == &layout.lowers.front()) return false;
      fail_errno(errno, "cannot add the overlay layer " + quote(lower.string()));
    }
  }
  if (layout.upper) {
    if (!set("upperdir", layout.upper->string())) fail_errno(errno, "cannot set the overlay's upper directory");
    if (!set("workdir", layout.work->string())) fail_errno(errno, "cannot set the overlay's work directory");
  }
  if (::fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    fail_errno(errno, fmt::format("cannot create the overlay of {} layers", layout.lowers.size()));
  }
  UniqueFd mnt(::fsmount(fsfd.get(), FSMOUNT_CLOEXEC, layout.upper ? 0 : MOUNT_ATTR_RDONLY));
  if (!mnt) fail_errno(errno, "cannot mount the overlay");
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    fail_errno(errno, "cannot attach the overlay at " + quote(target.string()));
  }
  return true;
}

void mount_with_short_paths(const OverlayLayout& layout, const fs::path& target, const fs::path& scratch) {
  fs::path links = scratch / "l";
  fs::create_directories(links);
  std::string lowerdir;
  for (std::size_t i = 0; i < layout.lowers.size(); ++i) {
    std::string name = std::to_string(i);
    fs::create_symlink(layout.lowers[i], links / name);
    if (!lowerdir.empty()) lowerdir += ':';
    lowerdir += name;
  }
  std::string options = "lowerdir=" + lowerdir;
  if (layout.upper) options += ",upperdir=" + layout.upper->string() + ",workdir=" + layout.work->string();
  if (options.size() >= 4096) fail("{} layers do not fit one mount(2) option string", layout.lowers.size());
  UniqueFd cwd(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (::chdir(links.c_str()) != 0) fail_errno(errno, "cannot enter " + quote(links.string()));
  int rc = ::mount("sheaf", target.c_str(), "overlay", layout.upper ? 0 : MS_RDONLY, options.c_str());
  int err = errno;
  if (cwd) (void)::fchdir(cwd.get());
  if (rc != 0) fail_errno(err, "cannot mount the overlay");
}

}  // namespace

OverlayMount::OverlayMount(const OverlayLayout& layout, const fs::path& target, const fs::path& scratch)
    : target_(target) {
  if (layout.lowers.empty()) fail("an overlay needs at least one layer");
  lowerdir_plus_ = mount_with_new_api(layout, target);
  if (!lowerdir_plus_) mount_with_short_paths(layout, target, scratch);
}

OverlayMount::~OverlayMount() {
  ::umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace sheaf::run
