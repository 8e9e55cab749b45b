// The dev.sheaf.* annotations: what an image's manifest says about its
// packages, in the one place their keys are spelled (docs/formats/image.md).
//
//   layer of one package   dev.sheaf.package.name, .version, .id, .purl,
//                          and .dropped (entries drop_paths removed) when any
//   layer shared by many   dev.sheaf.packages: canonical JSON
//                          [{"id", "name", "version"}, ...]
//   manifest               dev.sheaf.drop-paths: canonical JSON of the
//                          [packages] drop_paths globs, when there are any;
//                          dev.sheaf.trimmed-from: the digest of the image
//                          a trimmed image was traced on (image/trim.hpp)
//
// compose renders them; run, export, sbom, image show and diff, and naming
// an image read them through the parser here, so every reader agrees on
// what a layer holds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/documents.hpp"

namespace sheaf::image {

// A package as a layer's annotations name it.
struct LayerPackage {
  std::string name;
  std::string version;
  std::string id;
};

// A layer that holds one package.
inline constexpr std::string_view kAnnotationPackageName = "dev.sheaf.package.name";
inline constexpr std::string_view kAnnotationPackageVersion = "dev.sheaf.package.version";
inline constexpr std::string_view kAnnotationPackageId = "dev.sheaf.package.id";
inline constexpr std::string_view kAnnotationPackagePurl = "dev.sheaf.package.purl";
inline constexpr std::string_view kAnnotationPackageDropped = "dev.sheaf.package.dropped";
std::map<std::string, std::string> package_layer_annotations(const LayerPackage& package, const std::string& purl,
                                                             std::uint64_t dropped);

// A layer that several packages share.
inline constexpr std::string_view kAnnotationPackages = "dev.sheaf.packages";
std::map<std::string, std::string> shared_layer_annotations(const std::vector<LayerPackage>& packages);

// The manifest's drop filter; set_drop_paths leaves it out for no globs.
inline constexpr std::string_view kAnnotationDropPaths = "dev.sheaf.drop-paths";
void set_drop_paths(oci::ImageManifest& manifest, const std::vector<std::string>& globs);
inline constexpr std::string_view kAnnotationTrimmedFrom = "dev.sheaf.trimmed-from";
void set_trimmed_from(oci::ImageManifest& manifest, const std::string& source);
// The image a trimmed image was traced on; nullopt for one not trimmed.
std::optional<std::string> trimmed_from(const oci::ImageManifest& manifest);

// What the per-package keys share, for messages about them.
inline constexpr std::string_view kAnnotationPackagePrefix = "dev.sheaf.package";

// Whether sheaf annotated the layer with its packages.
bool names_packages(const oci::Descriptor& layer);
// The packages of one layer, in the order the layer lists them; none for a
// layer sheaf did not annotate. Throws an Error naming the layer when its
// annotations are there but malformed.
std::vector<LayerPackage> layer_packages(const oci::Descriptor& layer);
// A one-package layer's purl, as compose recorded it; nullopt otherwise.
std::optional<std::string> layer_purl(const oci::Descriptor& layer);
// How many entries drop_paths removed from a one-package layer (0 when none).
std::uint64_t layer_dropped(const oci::Descriptor& layer);
// The drop filter the image was composed with (empty for none). Throws an
// Error when the annotation is malformed.
std::vector<std::string> drop_paths(const oci::ImageManifest& manifest);

}  // namespace sheaf::image
