// SBOMs as OCI 1.1 artifacts beside an image in a layout: one artifact
// manifest per document, its config the empty descriptor, its one layer the
// SBOM, its subject the image manifest (the referrers model), and each
// listed in index.json with its artifactType. Re-attaching the same
// documents changes nothing.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oci/documents.hpp"

namespace sheaf::sbom {

inline constexpr std::string_view kMediaTypeSpdx = "application/spdx+json";
inline constexpr std::string_view kMediaTypeCycloneDx = "application/vnd.cyclonedx+json";

struct SbomDocument {
  std::string media_type;  // kMediaTypeSpdx or kMediaTypeCycloneDx
  std::string bytes;
};

// The artifact manifest of one SBOM: config the empty descriptor, its one
// layer the document, its subject `image`. Canonical JSON.
std::string sbom_artifact_manifest(const oci::Descriptor& image, const std::string& created,
                                   const SbomDocument& document);

// Adds `documents` to the layout at `dir`, which must hold `image` already
// (listed in index.json, or an image of an image index listed there).
// Returns the artifact manifests' descriptors, in the order given.
std::vector<oci::Descriptor> attach_sboms(const std::filesystem::path& dir, const oci::Descriptor& image,
                                          const std::string& created, const std::vector<SbomDocument>& documents);

}  // namespace sheaf::sbom
