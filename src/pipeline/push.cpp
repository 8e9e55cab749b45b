#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "base/error.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "image/layers.hpp"
#include "image/sheaf_document.hpp"
#include "image/stored_image.hpp"
#include "oci/documents.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/registry_common.hpp"
#include "sbom/attach.hpp"
#include "sbom/documents.hpp"
#include "sbom/inventory.hpp"
#include "sign/lookaside.hpp"

namespace sheaf::pipeline {

namespace {

// The image's layer blobs that the store lost (store gc, a damaged store):
// each made again from its packages, which must give the manifest's digest.
std::uint64_t restore_layers(store::LocalStore& store, const image::StoredImage& image) {
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < image.manifest.layers.size(); ++i) {
    if (!store.has_blob(image.manifest.layers[i].digest)) missing.push_back(i);
  }
  if (missing.empty()) return 0;
  const std::vector<std::string> drop = image::drop_paths(image.manifest);
  auto batch = store.begin_write();
  for (std::size_t i : missing) {
    const oci::Descriptor& layer = image.manifest.layers[i];
    std::vector<fileset::Manifest> members;
    for (const auto& package : image::required_layer_packages(layer)) {
      if (!store.index().package(package.id)) {
        fail("the store lacks the layer {} and its package {} {}, so the image cannot be pushed; build it again",
             layer.digest.str(), package.name, package.version);
      }
      members.push_back(image::package_fileset(store, package.id, drop));
    }
    oci::LayerDigests made = image::write_layer_blob(*batch, image::layer_fileset(std::move(members)), 1);
    if (made.digest != layer.digest) {
      fail("the store lacks the layer {}, and making it again from its packages gave {}: this sheaf makes layers "
           "differently from the one that built the image; build the image again",
           layer.digest.str(), made.digest.str());
    }
  }
  batch->commit([](store::Index::Transaction&) {});
  return missing.size();
}

// What one image of a push uploads: its blobs, and the manifests that refer
// to it (the sheaf document, the SBOMs), which go up after it.
struct ImageUpload {
  Digest manifest;
  image::StoredImage image;
  struct Artifact {
    std::string manifest;
    std::string artifact_type;
  };
  std::vector<Artifact> artifacts;
};

// Lists the blobs of one image (into `add`) and prepares its artifacts.
ImageUpload prepare_image(Session& session, const store::ImageRecord& record, bool sbom,
                          const std::function<void(UploadBlob)>& add, PushResult& result) {
  store::LocalStore& store = session.store();
  ImageUpload up{*Digest::parse(record.digest), image::load_image(store, *Digest::parse(record.digest)), {}};
  std::uint64_t rebuilt = restore_layers(store, up.image);
  if (rebuilt > 0) {
    session.reporter().note(fmt::format("made {} layers of {} again from their packages (the store had lost them)",
                                        rebuilt, record.digest));
  }
  result.layers_rebuilt += rebuilt;
  image::SheafArtifact document = image::make_sheaf_artifact(store, up.manifest);
  if (result.document == Digest()) result.document = document.digest;
  const oci::Descriptor subject{
      std::string(oci::kMediaTypeManifest), up.manifest, up.image.manifest_bytes.size(), {}, std::nullopt, ""};
  add({up.image.manifest.config.digest, up.image.manifest.config.size, std::nullopt, "the config"});
  for (const auto& layer : up.image.manifest.layers) {
    auto packages = image::layer_packages(layer);
    add({layer.digest, layer.size, std::nullopt,
         packages.size() == 1 ? "the layer of " + packages.front().name : "a layer"});
  }
  const std::string empty = "{}";
  add({Digest::of(empty), empty.size(), empty, "the empty config"});
  add({document.image_document_digest, document.image_document.size(), document.image_document, "the sheaf document"});
  for (std::size_t i = 1; i < document.layers.size(); ++i) {
    add({document.layers[i].digest, document.layers[i].size, std::nullopt, "a package document"});
  }
  up.artifacts.push_back({document.manifest, std::string(image::kArtifactTypeDocument)});
  if (sbom) {
    sbom::Inventory inventory = sbom::load_inventory(store, record);
    for (sbom::SbomDocument doc :
         {sbom::SbomDocument{std::string(sbom::kMediaTypeSpdx), sbom::render_spdx(inventory)},
          sbom::SbomDocument{std::string(sbom::kMediaTypeCycloneDx), sbom::render_cyclonedx(inventory)}}) {
      std::string manifest = sbom::sbom_artifact_manifest(subject, record.created, doc);
      add({Digest::of(doc.bytes), doc.bytes.size(), doc.bytes, "an SBOM"});
      result.sboms.push_back(Digest::of(manifest));
      up.artifacts.push_back({std::move(manifest), doc.media_type});
    }
  }
  return up;
}

// The image manifest by digest, then its referrers. A sheaf document or
// SBOM of another push of this image (an older sheaf's) gives way to this
// one's. Returns whether the registry indexed the referrers itself.
bool put_image(registry::Registry& registry, const registry::Reference& ref, const ImageUpload& up) {
  registry.put_manifest(ref.repository, up.manifest.str(), oci::kMediaTypeManifest, up.image.manifest_bytes);
  std::vector<Referrer> referrers;
  std::set<std::string> types;
  for (const auto& artifact : up.artifacts) {
    referrers.push_back({artifact.manifest, artifact.artifact_type});
    types.insert(artifact.artifact_type);
  }
  return put_referrers(registry, ref, up.manifest, referrers, types);
}

}  // namespace

PushResult push(Session& session, const PushOptions& options) {
  PushResult result;
  result.reference = registry::parse_reference(options.destination);
  const registry::Reference& ref = result.reference;
  store::LocalStore& store = session.store();
  // Held shared for the whole push, so that gc cannot take a blob away mid-upload.
  store::StoreLock hold = store.lock(store::StoreLock::Mode::shared);

  // An index goes whole (its images, then itself), or as its image for --platform.
  store::ImageRecord record = image::resolve_image(store.index(), options.image);
  if (record.is_index() && options.platform)
    record = image::select_image(store, record, options.platform, options.image);
  result.manifest = *Digest::parse(record.digest);
  if (ref.digest && *ref.digest != result.manifest) {
    fail_usage("{} names the digest {}, but {} is {}", ref.str(), ref.digest->str(), options.image,
               result.manifest.str());
  }
  // Signatures go to the lookaside staging store, which must take them
  // before anything is uploaded. A signature made for another repository
  // would only be refused there: it stays home.
  std::vector<std::string> signatures;
  std::vector<sign::SigstoreSignature> sigstore;
  std::optional<sign::Staging> staging;
  for (const auto& s : store.index().image_signatures(record.digest)) {
    if (!s.identity.empty() && registry::parse_reference(std::string(registry::kTransport) + s.identity).name() != ref.name()) {
      session.reporter().note(fmt::format("not pushing {}'s {} signature for {} to {} (another repository)",
                                          options.image, s.kind, s.identity, ref.name()));
      continue;
    }
    auto bytes = store.read_blob(*Digest::parse(s.blob));
    if (!bytes) fail("the store lacks the signature {} of {} (sheaf store verify)", s.blob, options.image);
    if (s.kind == "sigstore") {
      sigstore.push_back(sign::parse_record(*bytes, s.blob));
    } else {
      signatures.push_back(std::move(*bytes));
    }
  }
  if (!signatures.empty()) {
    sign::RegistriesD config = sign::load_registries_d(sign::registries_d_dir(options.trust.registries_d));
    staging = sign::prepare_staging(sign::lookaside_for(config, ref), ref, result.manifest);
    if (!staging) {
      session.reporter().warning(fmt::format("{} has {} signatures, but {} names no lookaside store for {}, so "
                                             "they are not pushed",
                                             options.image, signatures.size(), config.dir.string(), ref.name()));
    }
  }

  // Every blob, once: each image's, its sheaf document's, its SBOMs'.
  std::vector<UploadBlob> blobs;
  std::set<Digest> listed;
  auto add = [&](UploadBlob blob) {
    if (listed.insert(blob.digest).second) blobs.push_back(std::move(blob));
  };
  std::vector<ImageUpload> images;
  std::string index_bytes;
  if (record.is_index()) {
    for (const auto& p : image::index_platforms(store.index(), record)) {
      images.push_back(prepare_image(session, p.record, options.sbom, add, result));
      result.images.push_back(images.back().manifest);
    }
    index_bytes = store.read_blob(result.manifest).value_or("");
    if (index_bytes.empty()) fail("the store lacks the index {} (sheaf store verify)", record.digest);
  } else {
    images.push_back(prepare_image(session, record, options.sbom, add, result));
  }
  result.blobs = blobs.size();

  RegistryPool pool(ref.host, options.registry);
  UploadOutcome uploaded = upload_blobs(session, pool, ref, blobs, options.threads);
  result.present = uploaded.present;
  result.mounted = uploaded.mounted;
  result.uploaded = uploaded.uploaded;
  result.bytes_uploaded = uploaded.bytes_uploaded;

  // The manifests: each image by digest with its referrers, an index after
  // its images, then the tag.
  auto registry = pool.take();
  result.referrers_api = true;
  for (const auto& up : images) result.referrers_api = put_image(*registry, ref, up) && result.referrers_api;
  if (record.is_index()) {
    registry->put_manifest(ref.repository, result.manifest.str(), oci::kMediaTypeIndex, index_bytes);
    if (ref.tag) registry->put_manifest(ref.repository, *ref.tag, oci::kMediaTypeIndex, index_bytes);
  } else if (ref.tag) {
    registry->put_manifest(ref.repository, *ref.tag, oci::kMediaTypeManifest, images.front().image.manifest_bytes);
  }
  pool.give_back(std::move(registry));
  if (staging) {
    sign::write_signatures(*staging, signatures);
    result.signatures = signatures.size();
    result.signatures_to = staging->dir.string();
  }
  if (!sigstore.empty()) {
    result.sigstore_signatures = push_sigstore_attachment(session, pool, ref, result.manifest, sigstore, options.threads);
    result.sigstore_tag = ref.name() + ":" + sign::sigstore_tag(result.manifest);
  }
  return result;
}

}  // namespace sheaf::pipeline
