// The sheaf document: what the store knows about an image and its layers do
// not say, pushed with the image as one OCI artifact whose subject is the
// image (docs/formats/sheaf-document.md). With it, a pull rebuilds every
// package of the image, not just its files.
//
//   artifact manifest   artifactType kArtifactTypeDocument, config the empty
//                       descriptor, subject the image manifest
//   layer 1             the image document (canonical JSON, below)
//   then, per package   its package document (digest = the package id), its
//   in layer order      FileSet manifest (digest = the FileSet id) and its
//                       maintainer scripts blob when it has one; each blob
//                       once, so their digests are the ids a pull checks
//
// The image document:
//   {"sheaf-document": 1,
//    "image": "sha256:…",                      the image manifest's digest
//    "layers": [{"digest": "sha256:…",          each layer of the image, in order
//                "packages": ["sha256:…", …],   the package ids it holds
//                "filter": {"drop": [globs]}}], the filter that shaped it
//    "packages": {"sha256:<id>": {"fileset": "sha256:…", "kind": "deb",
//                                 "metadata": {…}}},  kind: where it came from
//    "sources": {…}}                            image/sources.hpp, less the
//                                               paths of the pushing host
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "oci/documents.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

inline constexpr std::string_view kArtifactTypeDocument = "application/vnd.sheaf.document.v1+json";
inline constexpr std::string_view kMediaTypePackageDocument = "application/vnd.sheaf.package.v1+json";
inline constexpr std::string_view kMediaTypeFileSet = "application/vnd.sheaf.fileset.v1";
inline constexpr std::string_view kMediaTypeScripts = "application/vnd.sheaf.scripts.v1";

// Bounds on what a pull reads from a sheaf document.
inline constexpr std::uint64_t kMaxImageDocument = std::uint64_t{16} << 20;
inline constexpr std::uint64_t kMaxPackageDocument = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kMaxFileSetManifest = std::uint64_t{256} << 20;
inline constexpr std::uint64_t kMaxScripts = std::uint64_t{16} << 20;

struct DocumentLayer {
  Digest digest;
  std::vector<std::string> packages;  // ids, in the order the layer's annotations list them
  std::vector<std::string> drop;      // the drop filter's globs
};

struct DocumentPackage {
  std::string fileset;   // sha256:<hex>
  std::string kind;      // "deb", "assembly", "directory", "file" (pkg::package_kind), or ""
  nlohmann::json metadata;  // the index's metadata object (pkg::PackageMetadata)
};

struct ImageDocument {
  Digest image;
  std::vector<DocumentLayer> layers;
  std::map<std::string, DocumentPackage> packages;  // by package id
  nlohmann::json sources = nlohmann::json::object();
};

std::string render_image_document(const ImageDocument& document);
// Parses and checks the document's shape. Throws ParseError naming `where`.
ImageDocument parse_image_document(std::string_view bytes, std::string_view where);

// The artifact for one stored image: its manifest (to push under its own
// digest) and every blob it lists, the image document's bytes among them.
struct SheafArtifact {
  std::string manifest;  // canonical JSON of the artifact manifest
  Digest digest;         // of `manifest`
  std::string image_document;
  Digest image_document_digest;
  // The artifact's layers: the image document, then store blobs.
  std::vector<oci::Descriptor> layers;
};

// Builds the artifact for the stored image `manifest_digest`, from the
// store's index and blobs. Throws an Error naming what is missing.
SheafArtifact make_sheaf_artifact(store::LocalStore& store, const Digest& manifest_digest);

}  // namespace sheaf::image
