#include "build/debian_source.hpp"

#include <fmt/format.h>

#include <system_error>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "deb/source_package.hpp"

namespace sheaf::build {

namespace fs = std::filesystem;

std::int64_t unpack_debian_source(const SandboxRequest& sandbox, const fs::path& source_dir,
                                  const DebianSourceRequest& source) {
  const std::string shown = fmt::format("the Debian source package {} {}", source.name, source.version);
  std::error_code ec;
  if (!fs::exists(sandbox.root / "usr/bin/dpkg-source", ec) &&
      !fs::is_symlink(sandbox.root / "usr/bin/dpkg-source", ec)) {
    fail(
        "{} is unpacked by dpkg-source, which the build environment lacks: include dpkg-dev in [environment] (or "
        "keep build_essential = true, which brings it)",
        shown);
  }
  std::string dsc;
  for (const auto& [name, path] : source.files) {
    if (name.ends_with(".dsc")) dsc = name;
  }
  if (dsc.empty()) fail("{} has no .dsc", shown);

  // A scratch directory beside the source directory: the files, then the
  // tree dpkg-source makes, which then moves into place (one rename).
  fs::path scratch = source_dir.parent_path() / fmt::format("unpack-{}", random_hex(4));
  struct Remove {
    fs::path path;
    ~Remove() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{scratch};
  fs::create_directories(scratch);
  // Copies, not hard links: the sandbox's root may write where they are, and
  // they come from the store (its cache, or a rebuild's blobs).
  for (const auto& [name, path] : source.files) fs::copy_file(path, scratch / name);

  SandboxRequest unpack = sandbox;
  unpack.source_dir = scratch;
  // The file name reaches the shell as a variable, never as code.
  unpack.env = {{"SHEAF_DSC", dsc}};
  unpack.on_step = nullptr;
  unpack.steps = {"dpkg-source -x \"$SHEAF_DSC\" tree"};
  with_context(fmt::format("while unpacking {}", shown), [&] { run_steps(unpack); });

  fs::path tree = scratch / "tree";
  fs::path target = source.dest.empty() ? source_dir : source_dir / source.dest;
  if (fs::exists(fs::symlink_status(target, ec))) {
    if (!fs::is_directory(fs::symlink_status(target, ec)) || !fs::is_empty(target, ec)) {
      fail("{} would unpack onto {}, which another source wrote; give it a dest of its own", shown,
           quote(source.dest.empty() ? std::string(kSourceDir) : fmt::format("{}/{}", kSourceDir, source.dest)));
    }
    fs::remove(target);
  }
  fs::create_directories(target.parent_path());
  fs::rename(tree, target);

  fs::path changelog = target / "debian" / "changelog";
  if (!fs::is_regular_file(fs::symlink_status(changelog, ec))) {
    fail("{} has no debian/changelog, whose newest entry gives SOURCE_DATE_EPOCH", shown);
  }
  return deb::changelog_date(read_file(changelog.string()), fmt::format("debian/changelog of {}", shown));
}

}  // namespace sheaf::build
