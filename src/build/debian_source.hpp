// A Debian source package laid out for a recipe's steps, as `dpkg-source
// -x` lays it out: the upstream tarball(s), the Debian tarball (or diff) and,
// for "3.0 (quilt)", the patches of debian/patches/series applied in order.
//
// dpkg-source itself does it, from the build environment (dpkg-dev, which
// build-essential brings), inside the build's sandbox: the files were checked
// against the lock (repo::fetch_source_package) before, and dpkg-source
// checks them against the .dsc again. The source's SOURCE_DATE_EPOCH is the
// date of its newest debian/changelog entry, as dpkg-buildpackage sets it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "build/sandbox.hpp"

namespace sheaf::build {

struct DebianSourceRequest {
  std::string name, version;
  // (file name, path): the .dsc and every file it lists.
  std::vector<std::pair<std::string, std::filesystem::path>> files;
  // Relative to the source directory; "" for the source directory itself.
  std::string dest;
};

// Unpacks the source package into `source_dir`/dest (the build's
// /build/src), which must not exist yet when dest is "" or be empty, by
// running dpkg-source in a sandbox made like `sandbox` (its root, dest, home,
// tmp, log and time limit; its source directory is a scratch directory
// beside `source_dir`). Returns the date of the newest changelog entry.
// Throws an Error when the environment has no dpkg-source, when dpkg-source
// fails (with the end of its output), or when the tree has no
// debian/changelog with a dated entry.
std::int64_t unpack_debian_source(const SandboxRequest& sandbox, const std::filesystem::path& source_dir,
                                  const DebianSourceRequest& source);

}  // namespace sheaf::build
