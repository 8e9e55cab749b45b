// Package layers: a package's FileSet, less what drop_paths removes, as the
// canonical tar (docs/formats/layer.md) compressed with the pinned gzip
// (oci/gzip_writer.hpp).
//
// A layer is a function of the package, the drop filter and the codec only,
// never of the image, so it is made once and every image that holds the
// package with the same filter shares its blob. The index remembers it
// (store::LayerRecord) under a variant key that names the codec and filter.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fileset/manifest.hpp"
#include "oci/gzip_writer.hpp"
#include "store/local_store.hpp"
#include "store/write_batch.hpp"

namespace sheaf::image {

// The variant key of a layer: "gzip-libdeflate1.14-1-1m", plus
// ";drop=<canonical JSON of the globs>" when there are any.
std::string layer_variant(const std::vector<std::string>& drop_paths);

struct FilteredFileSet {
  fileset::Manifest manifest;
  std::vector<std::string> dropped;  // paths removed, in manifest order
};

// Removes every entry a glob matches, with everything below it. A kept
// hardlink whose file was dropped becomes the file.
FilteredFileSet apply_drop_paths(const fileset::Manifest& manifest, const std::vector<std::string>& globs);

// Keeps the entries `keep` accepts, and nothing else; a kept hardlink whose
// file was dropped becomes the file. (apply_drop_paths, and trimming.)
FilteredFileSet filter_fileset(const fileset::Manifest& manifest,
                               const std::function<bool(const fileset::Entry&)>& keep);

// The FileSet of a layer from its packages' (filtered) FileSets, in layer
// order: the one package's, or for a shared layer their union, an entry two
// of them hold once (the first one's; the image tree's conflict check made
// them identical).
fileset::Manifest layer_fileset(std::vector<fileset::Manifest> members);

// Writes `manifest` as a layer blob staged in `batch`, streaming file contents
// from the store's objects (or the ones `batch` has staged).
oci::LayerDigests write_layer_blob(store::WriteBatch& batch, const fileset::Manifest& manifest, unsigned threads);

}  // namespace sheaf::image
