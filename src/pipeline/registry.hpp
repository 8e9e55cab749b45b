// Push and pull: images through any OCI registry, as sets of packages.
//
// push   an index's images one by one as below, then the index by digest
//        and the tag; or an image: its blobs (each HEAD first; a cross-repository mount when
//        the store knows the registry holds the blob in another repository;
//        else an upload), the image manifest by digest, the sheaf document
//        (image/sheaf_document.hpp) and, with sbom, the SPDX and CycloneDX
//        documents as referrers of the image (through the referrers API when
//        the registry has it, else under the fallback tag sha256-<hex>),
//        the tag, and last the image's signatures, written to the lookaside
//        staging store (checked writable before the first upload).
// pull   the manifest; the trust policy's verdict on it (with the
//        signatures of the lookaside store), before anything is stored;
//        an index whole (each image as below, then the index and its tag),
//        or from it the manifest of the platform asked for; its config, the
//        sheaf document when the store lacks some of the image's packages,
//        and the layers the store cannot make itself: a layer is a function
//        of its packages and filter, so a layer of packages the store holds
//        is made here and must have the manifest's digest. A downloaded
//        layer must be exactly the canonical layer of its packages' FileSets
//        (image/layer_check.hpp). Then one commit: the packages, the image,
//        its local tag (registry::local_name) and its origin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "oci/documents.hpp"
#include "pipeline/session.hpp"
#include "pipeline/trust.hpp"
#include "pkg/package.hpp"
#include "registry/client.hpp"
#include "registry/reference.hpp"

namespace sheaf::pipeline {

struct PushOptions {
  std::string image;        // a local image: NAME[:TAG], digest or prefix
  std::string destination;  // docker://HOST[:PORT]/REPO[:TAG]
  registry::Options registry;
  bool sbom = false;  // push the SPDX and CycloneDX documents as referrers too
  unsigned threads = 0;  // parallel uploads; 0: four
  // Of an image index, push only the image for this platform (the tag then
  // names that image); without it, the whole index.
  std::optional<oci::Platform> platform;
  // Where the image's signatures go: the lookaside-staging of the entry of
  // registries.d for the destination (pipeline/trust.hpp).
  TrustOptions trust;
};

struct PushResult {
  registry::Reference reference;
  Digest manifest;             // the image's, or the index's
  std::vector<Digest> images;  // an index's images, pushed before it
  Digest document;             // the sheaf document's artifact manifest (of the first image)
  std::vector<Digest> sboms;
  std::uint64_t blobs = 0;     // blobs the image and its artifacts need
  std::uint64_t present = 0;   // the registry had them
  std::uint64_t mounted = 0;   // mounted from another repository
  std::uint64_t uploaded = 0;  // sent
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t layers_rebuilt = 0;  // layer blobs the store had lost, made again from their packages
  bool referrers_api = false;  // the registry indexed the referrers itself
  std::uint64_t signatures = 0;  // written to the lookaside staging store
  std::string signatures_to;     // its directory
  std::uint64_t sigstore_signatures = 0;  // in the registry's sha256-<hex>.sig manifest after the push
  std::string sigstore_tag;               // HOST/REPO:sha256-<hex>.sig
};

PushResult push(Session& session, const PushOptions& options);

struct PullOptions {
  std::string source;  // docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX]
  registry::Options registry;
  std::optional<std::string> tag;  // NAME[:TAG] to tag the image with, instead of the reference's local name
  // The image wanted from an index: by Debian's name ("amd64"), or by
  // platform; neither for the whole index (the host's platform when the
  // index is a Docker list, which sheaf does not store).
  std::string arch;
  std::optional<oci::Platform> platform;
  unsigned threads = 0;            // parallel downloads; 0: four
  TrustOptions trust;              // the policy the image must pass, and where its signatures are
};

struct PullResult {
  registry::Reference reference;
  Digest manifest;             // the image's, or the index's
  std::vector<Digest> images;  // an index's images, pulled with it
  std::string local_name;  // NAME:TAG
  std::uint64_t layers = 0;
  std::uint64_t layers_present = 0;    // the store had the blob
  std::uint64_t layers_made = 0;       // made from packages the store holds
  std::uint64_t layers_downloaded = 0;
  std::uint64_t bytes_downloaded = 0;  // layers, documents and package blobs
  std::uint64_t packages_added = 0;
  bool used_document = false;  // the sheaf document was read
  std::uint64_t signatures = 0;  // simple signatures kept with the image
};

PullResult pull(Session& session, const PullOptions& options);

// Packages on their own (image/package_artifact.hpp):
//
// pkg push   the package's blobs (its unfiltered layer made first when the
//            store lacks it), then the artifact manifest by digest, its
//            signatures as referrers (pipeline/package_trust.hpp), then
//            the tag: the reference's, else the package's version when it
//            is a valid tag.
// pkg pull   the artifact manifest, the package document (whose digest is
//            the id), the FileSet manifest the document names, the metadata
//            and scripts, and the layer unless the store holds every file
//            content and makes the same blob itself. The layer must be the
//            canonical layer of the FileSet (image/layer_check.hpp). One
//            commit: blobs, package, origin {"type":"registry",...}, layer
//            record, and the signatures listed as the artifact's referrers.
struct PackagePushOptions {
  std::string package;      // a package reference (pkg/package_ref.hpp)
  std::string destination;  // docker://HOST[:PORT]/REPO[:TAG]
  registry::Options registry;
  unsigned threads = 0;  // parallel uploads; 0: four
};

struct PackagePushResult {
  registry::Reference reference;  // with the tag used
  std::string name, version, id;
  Digest manifest;  // the artifact's
  Digest layer;
  std::uint64_t blobs = 0, present = 0, mounted = 0, uploaded = 0, bytes_uploaded = 0;
  bool layer_made = false;  // the store had no unfiltered layer of the package
  std::uint64_t signatures = 0;  // package signatures pushed as referrers
};

PackagePushResult push_package(Session& session, const PackagePushOptions& options);

struct PackagePullOptions {
  std::string source;  // docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX]
  registry::Options registry;
  // When set, the package id the artifact must carry (a lock's).
  std::optional<std::string> expect_id;
  // The reference the store records as the package's origin, when not
  // `source` (a lock's entry as the spec writes it, pulled by digest).
  std::optional<std::string> origin;
  // What an error says the pull was doing ("while fetching NAME VERSION
  // from REF"); by default, pulling the source.
  std::string context;
  // A tag of the source's repository to read as well (pull_packages only):
  // what it names now is in the result's `tag_now`.
  std::optional<std::string> watch_tag;
};

struct PackagePullResult {
  registry::Reference reference;
  Digest manifest;  // the artifact's
  std::string name, version, arch, id;
  bool added = false;          // false: the store had the package
  bool layer_downloaded = false;
  bool layer_made = false;     // made from file contents the store held
  std::uint64_t bytes_downloaded = 0;
  std::uint64_t signatures = 0;  // package signatures the registry listed, kept
  // For watch_tag: the manifest digest the tag names now; nullopt when the
  // tag is gone (or could not be read: only a note is at stake).
  std::optional<Digest> tag_now;
};

PackagePullResult pull_package(Session& session, const PackagePullOptions& options);
// The same through a client the caller keeps for the source's host (one
// connection and token for several pulls).
PackagePullResult pull_package(Session& session, const PackagePullOptions& options, registry::Registry& registry);

// Pulls several packages the caller knows the store lacks (a lock's, with
// their ids expected), `threads` at a time, into one write batch: all of
// them or, on any error, none.
std::vector<PackagePullResult> pull_packages(Session& session, const std::vector<PackagePullOptions>& pulls,
                                             unsigned threads);

// What a registry package says of itself before it is pulled: the artifact
// manifest's digest and the package document (for resolution). Reads only
// the manifest and the document.
struct RegistryPackageInfo {
  Digest manifest;
  std::string document;
  pkg::Package package;
};
RegistryPackageInfo inspect_package(registry::Registry& registry, const registry::Reference& ref);

}  // namespace sheaf::pipeline
