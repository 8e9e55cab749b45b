// A package as an OCI artifact (docs/formats/package-artifact.md): what
// `sheaf pkg push` sends and `sheaf pkg pull` and a spec's registry
// packages read. An image manifest with the artifactType of a package
// document and the empty config, whose layers are, by media type:
//
//   application/vnd.sheaf.package.v1+json            the package document (its digest is the id)
//   application/vnd.sheaf.fileset.v1                 its FileSet manifest
//   application/vnd.sheaf.package-metadata.v1+json   its metadata, canonical JSON
//   application/vnd.sheaf.scripts.v1                 its maintainer scripts, when it has any
//   application/vnd.oci.image.layer.v1.tar+gzip      the layer images use for it (no drop filter)
//
// The layer is the same blob as in every image that holds the package
// unfiltered, so a registry stores it once for both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "oci/documents.hpp"
#include "pkg/package.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

inline constexpr std::string_view kArtifactTypePackage = "application/vnd.sheaf.package.v1+json";
inline constexpr std::string_view kMediaTypePackageMetadata = "application/vnd.sheaf.package-metadata.v1+json";
// On the artifact manifest: where the package came from before it was
// pushed ("deb", "directory", "file", "assembly"; pkg::package_kind).
inline constexpr std::string_view kAnnotationPackageKind = "dev.sheaf.package.kind";
inline constexpr std::string_view kAnnotationPackageArch = "dev.sheaf.package.arch";
inline constexpr std::uint64_t kMaxPackageMetadata = std::uint64_t{16} << 20;

struct PackageArtifact {
  std::string manifest;  // canonical JSON
  Digest digest;         // of `manifest`
  Digest id;             // the package's
  std::string document;  // the package document
  std::string metadata;  // the metadata blob
  std::vector<oci::Descriptor> layers;  // in the order above; the document and metadata are in memory, the rest in the store
  std::uint64_t layer_made = 0;         // 1 when the layer blob was made now (the store had no unfiltered layer)
};

// Builds the artifact of the stored package `id`, making and recording its
// unfiltered layer when the store lacks it. Throws an Error when the store
// holds only part of the package (pulled inside an image with drop_paths)
// or misses one of its blobs.
PackageArtifact make_package_artifact(store::LocalStore& store, const std::string& id);

// The descriptors of a package artifact, checked for shape: artifact type,
// empty config, each layer media type once (scripts at most once), nothing
// else, and annotations that agree with the descriptors.
struct PackageArtifactLayout {
  std::string kind;  // the dev.sheaf.package.kind annotation, or ""
  oci::Descriptor document;
  oci::Descriptor fileset;
  oci::Descriptor metadata;
  std::optional<oci::Descriptor> scripts;
  oci::Descriptor layer;
};
// Throws ParseError naming `where`.
PackageArtifactLayout parse_package_artifact(std::string_view manifest_bytes, std::string_view where);

}  // namespace sheaf::image
