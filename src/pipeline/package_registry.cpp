// sheaf pkg push and sheaf pkg pull: one package as an OCI artifact
// (image/package_artifact.hpp), and what a spec's registry packages need
// (inspect_package).
#include <fcntl.h>

#include <algorithm>
#include <map>
#include <memory>

#include "base/error.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"
#include "fileset/manifest.hpp"
#include "image/layer_check.hpp"
#include "image/layers.hpp"
#include "image/package_artifact.hpp"
#include "image/sheaf_document.hpp"
#include "pipeline/package_trust.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/registry_common.hpp"
#include "pkg/package_ref.hpp"

namespace sheaf::pipeline {

namespace {

// An OCI tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

// Whether the reference as written names a tag: a ':' after its last '/'
// (a port's ':' comes before the first).
bool names_tag(std::string_view text) {
  std::size_t slash = text.rfind('/');
  std::size_t colon = text.rfind(':');
  return colon != std::string_view::npos && slash != std::string_view::npos && colon > slash;
}

struct FetchedArtifact {
  registry::FetchedManifest manifest;
  image::PackageArtifactLayout layout;
};

FetchedArtifact fetch_artifact(registry::Registry& registry, const registry::Reference& ref) {
  registry::FetchedManifest fetched = registry.require_manifest(ref);
  if (fetched.media_type != oci::kMediaTypeManifest) {
    fail("{} is a {}, not the OCI image manifest a sheaf package is", ref.str(),
         fetched.media_type.empty() ? std::string("document of no media type") : fetched.media_type);
  }
  image::PackageArtifactLayout layout = image::parse_package_artifact(fetched.bytes, ref.str());
  return {std::move(fetched), std::move(layout)};
}

}  // namespace

PackagePushResult push_package(Session& session, const PackagePushOptions& options) {
  PackagePushResult result;
  result.reference = registry::parse_reference(options.destination);
  registry::Reference& ref = result.reference;
  store::LocalStore& store = session.store();
  store::StoreLock hold = store.lock(store::StoreLock::Mode::shared);
  pkg::ResolvedPackage resolved = pkg::resolve_package(store.index(), options.package);
  if (!resolved.note.empty()) session.reporter().note(resolved.note);
  const store::PackageRecord& record = resolved.record;
  result.name = record.name;
  result.version = record.version;
  result.id = record.id;
  if (ref.digest) {
    fail_usage("{} names a digest; push a package to a tag (docker://HOST/REPO:TAG) or to the repository alone",
               ref.str());
  }
  if (!names_tag(options.destination)) {
    if (!is_valid_tag(record.version)) {
      fail_usage("{}'s version {} is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]*); name a tag: {}:TAG",
                 record.name, record.version, ref.name());
    }
    ref.tag = record.version;
  }

  image::PackageArtifact artifact = image::make_package_artifact(store, record.id);
  result.manifest = artifact.digest;
  result.layer = artifact.layers.back().digest;
  result.layer_made = artifact.layer_made > 0;
  std::vector<UploadBlob> blobs;
  const std::string empty = "{}";
  blobs.push_back({Digest::of(empty), empty.size(), empty, "the empty config"});
  for (const auto& layer : artifact.layers) {
    UploadBlob blob{layer.digest, layer.size, std::nullopt, ""};
    if (layer.media_type == image::kMediaTypePackageDocument) {
      blob.bytes = artifact.document;
      blob.what = "the package document";
    } else if (layer.media_type == image::kMediaTypePackageMetadata) {
      blob.bytes = artifact.metadata;
      blob.what = "the package metadata";
    } else if (layer.media_type == image::kMediaTypeFileSet) {
      blob.what = "the FileSet manifest";
    } else if (layer.media_type == image::kMediaTypeScripts) {
      blob.what = "the maintainer scripts";
    } else {
      blob.what = "the layer of " + record.name;
    }
    blobs.push_back(std::move(blob));
  }
  // The package's signatures travel as referrers of the artifact.
  const oci::Descriptor subject{std::string(oci::kMediaTypeManifest), artifact.digest, artifact.manifest.size(),
                                {}, std::nullopt, ""};
  PackageSignatureArtifacts signatures = package_signature_artifacts(store, record.id, subject);
  for (auto& blob : signatures.blobs) {
    bool listed = std::any_of(blobs.begin(), blobs.end(), [&](const UploadBlob& b) { return b.digest == blob.digest; });
    if (!listed) blobs.push_back(std::move(blob));
  }
  result.blobs = blobs.size();
  RegistryPool pool(ref.host, options.registry);
  UploadOutcome uploaded = upload_blobs(session, pool, ref, blobs, options.threads);
  result.present = uploaded.present;
  result.mounted = uploaded.mounted;
  result.uploaded = uploaded.uploaded;
  result.bytes_uploaded = uploaded.bytes_uploaded;
  auto registry = pool.take();
  registry->put_manifest(ref.repository, artifact.digest.str(), oci::kMediaTypeManifest, artifact.manifest);
  if (!signatures.referrers.empty()) {
    put_referrers(*registry, ref, artifact.digest, signatures.referrers, {});
    result.signatures = signatures.referrers.size();
  }
  registry->put_manifest(ref.repository, *ref.tag, oci::kMediaTypeManifest, artifact.manifest);
  return result;
}

RegistryPackageInfo inspect_package(registry::Registry& registry, const registry::Reference& ref) {
  FetchedArtifact artifact = fetch_artifact(registry, ref);
  RegistryPackageInfo info;
  info.manifest = artifact.manifest.digest;
  const std::string where = fmt::format("{} (package document {})", ref.str(), artifact.layout.document.digest.str());
  info.document = registry.get_blob_bytes(ref.repository, artifact.layout.document.digest,
                                          artifact.layout.document.size, image::kMaxPackageDocument);
  info.package = pkg::Package::from_document(info.document, where);
  return info;
}

PackagePullResult pull_package(Session& session, const PackagePullOptions& options) {
  registry::Registry registry(registry::parse_reference(options.source).host, options.registry);
  return pull_package(session, options, registry);
}

namespace {

// A lock names the package an artifact must carry.
void check_expected_id(const registry::Reference& ref, const FetchedArtifact& artifact,
                       const std::optional<std::string>& expected) {
  const std::string id = artifact.layout.document.digest.str();
  if (expected && *expected != id) {
    fail("{} ({}) carries the package {}, but the lock names {}", ref.str(), artifact.manifest.digest.str(), id,
         *expected);
  }
}

// What a pull takes into a write batch: everything but the index.
struct StagedPackage {
  PackagePullResult result;
  store::PackageRecord record;
  oci::LayerDigests layer;
  std::string origin;  // canonical JSON
  std::optional<PackageSignatureRows> signatures;
};

// Reads the artifact's blobs into `batch`, each checked against the package
// id (docs/formats/package-artifact.md, "What a pull checks"). Touches no
// index, so pulls of several packages can stage on several threads.
StagedPackage stage_package(store::LocalStore& store, store::WriteBatch& batch, registry::Registry& registry,
                            const registry::Reference& ref, const FetchedArtifact& artifact,
                            const std::string& origin_reference) {
  const image::PackageArtifactLayout& layout = artifact.layout;
  StagedPackage staged;
  PackagePullResult& result = staged.result;
  result.reference = ref;
  result.manifest = artifact.manifest.digest;
  result.id = layout.document.digest.str();
  staged.origin = pkg::registry_origin(origin_reference, layout.kind);
  const std::string what = fmt::format("{} (package {})", ref.str(), result.id);
  auto small = [&](const oci::Descriptor& d, std::uint64_t limit) {
    std::string bytes = registry.get_blob_bytes(ref.repository, d.digest, d.size, limit);
    result.bytes_downloaded += bytes.size();
    return bytes;
  };
  // The package document: its digest is the id (the client checks it).
  std::string document = small(layout.document, image::kMaxPackageDocument);
  pkg::Package package = pkg::Package::from_document(document, what + ": its package document");
  result.name = package.name;
  result.version = package.version;
  result.arch = package.arch;
  if (layout.fileset.digest != package.fileset) {
    fail("{}: its FileSet manifest is {}, but its package document names {}", what, layout.fileset.digest.str(),
         package.fileset.str());
  }
  std::string fileset_bytes = small(layout.fileset, image::kMaxFileSetManifest);
  fileset::Manifest manifest = fileset::Manifest::parse(fileset_bytes, what + ": its FileSet manifest");
  std::string metadata_bytes = small(layout.metadata, image::kMaxPackageMetadata);
  auto metadata_json = nlohmann::json::parse(metadata_bytes, nullptr, false);
  if (!metadata_json.is_object()) fail("{}: its metadata is not a JSON object", what);
  pkg::PackageMetadata metadata = pkg::PackageMetadata::from_json(metadata_bytes);
  std::optional<std::string> scripts;
  if (metadata.scripts.has_value() != layout.scripts.has_value() ||
      (layout.scripts && layout.scripts->digest != *metadata.scripts)) {
    fail("{}: its metadata names maintainer scripts {}, but the artifact carries {}", what,
         metadata.scripts ? metadata.scripts->str() : "none", layout.scripts ? layout.scripts->digest.str() : "none");
  }
  if (layout.scripts) scripts = small(*layout.scripts, image::kMaxScripts);

  // The layer: made here when every file content is in the store and that
  // gives the artifact's blob; otherwise downloaded and checked entry by
  // entry against the FileSet.
  std::optional<oci::LayerDigests> layer;
  bool contents_held = std::all_of(manifest.entries().begin(), manifest.entries().end(), [&](const fileset::Entry& e) {
    return e.type != fileset::EntryType::file || store.has_object(e.digest);
  });
  if (contents_held) {
    oci::LayerDigests made = image::write_layer_blob(batch, manifest, 1);
    if (made.digest == layout.layer.digest) {
      layer = made;
      result.layer_made = true;
    }
  }
  if (!layer && store.has_blob(layout.layer.digest)) {
    // The blob came with an image: its files are checked and taken from it.
    const std::string where = fmt::format("{}: its layer {} (in the store)", what, layout.layer.digest.str());
    UniqueFd fd(::open(store.blob_path(layout.layer.digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) fail_errno(errno, "cannot read " + where);
    Digest diff_id = image::ingest_layer(batch, fd.get(), manifest, where);
    layer = oci::LayerDigests{layout.layer.digest, layout.layer.size, diff_id, 0};
  }
  if (!layer) {
    const std::string where = fmt::format("{}: its layer {}", what, layout.layer.digest.str());
    store::WriteBatch::BlobFile file = download_blob(registry, batch, ref.repository, layout.layer, where);
    Digest diff_id = image::ingest_layer(batch, file.fd.get(), manifest, where);
    batch.keep_blob_file(std::move(file), layout.layer.digest, layout.layer.size);
    result.bytes_downloaded += layout.layer.size;
    result.layer_downloaded = true;
    layer = oci::LayerDigests{layout.layer.digest, layout.layer.size, diff_id, 0};
  }
  batch.add_blob(document);
  batch.add_blob(fileset_bytes);
  if (scripts) batch.add_blob(*scripts);
  staged.signatures.emplace(batch, fetch_package_signatures(registry, ref, artifact.manifest.digest, ref.str()));
  result.signatures = staged.signatures->size();
  staged.record = pkg::make_record(package, metadata, manifest.entries().size(), manifest.content_size());
  staged.layer = *layer;
  return staged;
}

// The index's side of a staged pull, inside the batch's commit.
void record_staged(store::Index::Transaction& t, StagedPackage& staged) {
  const registry::Reference& ref = staged.result.reference;
  staged.result.added = t.insert_package(staged.record);
  t.add_origin(staged.result.id, staged.origin);
  t.put_layer({staged.result.id, image::layer_variant({}), staged.layer.digest.str(), staged.layer.size,
               staged.layer.diff_id.str(), 0});
  t.add_registry_blob(ref.host, ref.repository, staged.layer.digest.str());
  if (staged.signatures) staged.signatures->record(t, staged.result.id);
}

}  // namespace

PackagePullResult pull_package(Session& session, const PackagePullOptions& options, registry::Registry& registry) {
  const registry::Reference ref = registry::parse_reference(options.source);
  const std::string label = ref.str();
  store::LocalStore& store = session.store();
  FetchedArtifact artifact = fetch_artifact(registry, ref);
  const image::PackageArtifactLayout& layout = artifact.layout;
  const std::string id = layout.document.digest.str();
  check_expected_id(ref, artifact, options.expect_id);
  // Held shared from here, so that gc leaves what this pull relies on.
  auto batch = store.begin_write();
  if (auto existing = store.index().package(id); existing && !store.index().partial_filter(id)) {
    PackagePullResult result{ref, artifact.manifest.digest, existing->name, existing->version, existing->arch, id};
    PackageSignatureRows signatures(*batch, fetch_package_signatures(registry, ref, artifact.manifest.digest, label));
    result.signatures = signatures.size();
    batch->commit([&](store::Index::Transaction& t) {
      t.add_origin(id, pkg::registry_origin(options.origin.value_or(label), layout.kind));
      t.add_registry_blob(ref.host, ref.repository, layout.layer.digest.str());
      signatures.record(t, id);
    });
    return result;
  }
  StagedPackage staged = stage_package(store, *batch, registry, ref, artifact, options.origin.value_or(label));
  batch->commit([&](store::Index::Transaction& t) { record_staged(t, staged); });
  return staged.result;
}

std::vector<PackagePullResult> pull_packages(Session& session, const std::vector<PackagePullOptions>& pulls,
                                             unsigned threads) {
  store::LocalStore& store = session.store();
  std::map<std::string, std::unique_ptr<RegistryPool>> pools;
  std::vector<registry::Reference> refs;
  for (const auto& pull : pulls) {
    refs.push_back(registry::parse_reference(pull.source));
    auto& pool = pools[refs.back().host];
    if (!pool) pool = std::make_unique<RegistryPool>(refs.back().host, pull.registry);
  }
  // Held shared from here, so that gc leaves what these pulls rely on.
  auto batch = store.begin_write();
  std::vector<StagedPackage> staged(pulls.size());
  parallel_for(pulls.size(), threads ? threads : 4, [&](std::size_t i) {
    const PackagePullOptions& pull = pulls[i];
    RegistryPool& pool = *pools.at(refs[i].host);
    with_context(pull.context.empty() ? "while pulling " + refs[i].str() : pull.context, [&] {
      auto registry = pool.take();
      FetchedArtifact artifact = fetch_artifact(*registry, refs[i]);
      check_expected_id(refs[i], artifact, pull.expect_id);
      staged[i] = stage_package(store, *batch, *registry, refs[i], artifact, pull.origin.value_or(refs[i].str()));
      if (pull.watch_tag) {
        try {
          if (auto now = registry->get_manifest(refs[i].repository, *pull.watch_tag)) staged[i].result.tag_now = now->digest;
        } catch (const Error&) {
          // Only a note depends on it.
        }
      }
      pool.give_back(std::move(registry));
    });
  });
  batch->commit([&](store::Index::Transaction& t) {
    for (auto& s : staged) record_staged(t, s);
  });
  std::vector<PackagePullResult> out;
  for (auto& s : staged) out.push_back(std::move(s.result));
  return out;
}

}  // namespace sheaf::pipeline
