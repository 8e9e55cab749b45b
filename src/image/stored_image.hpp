// Reading an image the store holds: its manifest and config, the packages
// its layers name, the drop filter it was composed with, each package's
// FileSet as the image holds it, and the flattened root. Everything that
// looks at a stored image (run, image export and show, diff, the SBOMs)
// reads it here; writing it out in OCI formats is image/export.hpp.
#pragma once

#include <string>
#include <vector>

#include "base/digest.hpp"
#include "fileset/manifest.hpp"
#include "image/annotations.hpp"
#include "oci/documents.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

// The parsed manifest of a stored image, with its config.
struct StoredImage {
  oci::ImageManifest manifest;
  std::string manifest_bytes;
  oci::ImageConfig config;
  std::string config_bytes;
};

// Throws an Error naming the blob when the manifest or config is missing.
StoredImage load_image(const store::LocalStore& store, const Digest& manifest);

// The packages of a layer of an image sheaf built. Throws an Error when the
// layer names none: sheaf reads only images whose layers are packages.
std::vector<LayerPackage> required_layer_packages(const oci::Descriptor& layer);

// Every package the image's layers name, layer by layer (bottom first).
std::vector<LayerPackage> image_packages(const StoredImage& image);

// Reads a FileSet manifest blob from the store.
fileset::Manifest load_manifest(const store::LocalStore& store, const std::string& fileset_digest);

// A package's FileSet as an image with `drop_paths` holds it.
fileset::Manifest package_fileset(store::LocalStore& store, const std::string& package_id,
                                  const std::vector<std::string>& drop_paths);

// The image's root as a container sees it: the union of its packages'
// FileSets, where a later layer's entry wins over an earlier one's (the
// assembly's changed owners, for one). Throws an Error when a layer names
// no packages: sheaf reads only images whose layers are packages.
fileset::Manifest image_root(store::LocalStore& store, const StoredImage& image);

}  // namespace sheaf::image
