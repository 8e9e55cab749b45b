// Package trees: one unpacked, read-only copy of a package's FileSet per
// host, shared by every container that runs an image holding the package.
//
//   <store>/trees/<package id hex>/   the tree, exactly as the FileSet says:
//                                     modes, owners, xattrs, symlinks and
//                                     hardlinks
//
// A tree is made on first use in the store's tmp/, checked by reading it
// back into a FileSet whose id must equal the package's, and renamed into
// place; a tree under its final name is therefore complete and right. Making
// trees needs root (files keep their owners). The overlay mounts that use
// them are read-only lower layers (run/overlay.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "fileset/manifest.hpp"
#include "store/local_store.hpp"

namespace sheaf::run {

struct TreeStats {
  bool made = false;  // false: the tree was there already
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

// The tree of the package `package_id` (sha256:<hex>), less what
// `drop_paths` removes (an image's `dev.sheaf.drop-paths`), made if absent.
// A tree with a filter lives at trees/<id hex>-<16 hex digits of the
// filter's sha256>, so images with the same filter share it.
std::filesystem::path ensure_package_tree(store::LocalStore& store, const std::string& package_id,
                                          const std::vector<std::string>& drop_paths, TreeStats* stats = nullptr);

// Writes `manifest` into the directory `root` (which must not exist):
// directories, files (reflinked or copied from the store's objects),
// symlinks and hardlinks, with modes, xattrs and, when running as root,
// owners.
void materialize(const store::LocalStore& store, const fileset::Manifest& manifest, const std::filesystem::path& root,
                 TreeStats& stats);

// Where a package's tree lives (whether or not it exists).
std::filesystem::path package_tree_path(const store::LocalStore& store, const std::string& package_id,
                                        const std::vector<std::string>& drop_paths);

}  // namespace sheaf::run
