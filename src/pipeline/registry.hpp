// Push and pull: images through any OCI registry, as sets of packages.
//
// push   the image's blobs (each HEAD first; a cross-repository mount when
//        the store knows the registry holds the blob in another repository;
//        else an upload), the image manifest by digest, the sheaf document
//        (image/sheaf_document.hpp) and, with sbom, the SPDX and CycloneDX
//        documents as referrers of the image (through the referrers API when
//        the registry has it, else under the fallback tag sha256-<hex>), and
//        last the tag.
// pull   the manifest (from an index, the host's platform), its config, the
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
#include "pipeline/session.hpp"
#include "registry/client.hpp"
#include "registry/reference.hpp"

namespace sheaf::pipeline {

struct PushOptions {
  std::string image;        // a local image: NAME[:TAG], digest or prefix
  std::string destination;  // docker://HOST[:PORT]/REPO[:TAG]
  registry::Options registry;
  bool sbom = false;  // push the SPDX and CycloneDX documents as referrers too
  unsigned threads = 0;  // parallel uploads; 0: four
};

struct PushResult {
  registry::Reference reference;
  Digest manifest;
  Digest document;  // the sheaf document's artifact manifest
  std::vector<Digest> sboms;
  std::uint64_t blobs = 0;     // blobs the image and its artifacts need
  std::uint64_t present = 0;   // the registry had them
  std::uint64_t mounted = 0;   // mounted from another repository
  std::uint64_t uploaded = 0;  // sent
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t layers_rebuilt = 0;  // layer blobs the store had lost, made again from their packages
  bool referrers_api = false;  // the registry indexed the referrers itself
};

PushResult push(Session& session, const PushOptions& options);

struct PullOptions {
  std::string source;  // docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX]
  registry::Options registry;
  std::optional<std::string> tag;  // NAME[:TAG] to tag the image with, instead of the reference's local name
  std::string arch;                // the platform wanted from an index (Debian's name, "amd64")
  unsigned threads = 0;            // parallel downloads; 0: four
};

struct PullResult {
  registry::Reference reference;
  Digest manifest;
  std::string local_name;  // NAME:TAG
  std::uint64_t layers = 0;
  std::uint64_t layers_present = 0;    // the store had the blob
  std::uint64_t layers_made = 0;       // made from packages the store holds
  std::uint64_t layers_downloaded = 0;
  std::uint64_t bytes_downloaded = 0;  // layers, documents and package blobs
  std::uint64_t packages_added = 0;
  bool used_document = false;  // the sheaf document was read
};

PullResult pull(Session& session, const PullOptions& options);

}  // namespace sheaf::pipeline
