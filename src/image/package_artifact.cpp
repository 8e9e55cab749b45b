#include "image/package_artifact.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "base/error.hpp"
#include "image/annotations.hpp"
#include "image/layers.hpp"
#include "image/sheaf_document.hpp"
#include "image/stored_image.hpp"

namespace sheaf::image {

namespace {

constexpr std::string_view kEmptyConfig = "{}";

// The package's layer with no drop filter: the one the store recorded, or
// made now and recorded.
oci::LayerDigests unfiltered_layer(store::LocalStore& store, const std::string& id, std::uint64_t& made) {
  const std::string variant = layer_variant({});
  if (auto cached = store.index().layer(id, variant)) {
    auto digest = Digest::parse(cached->digest);
    auto diff_id = Digest::parse(cached->diff_id);
    if (digest && diff_id && store.has_blob(*digest)) return {*digest, cached->size, *diff_id, 0};
  }
  auto batch = store.begin_write();
  oci::LayerDigests d = write_layer_blob(*batch, package_fileset(store, id, {}), 1);
  batch->commit([&](store::Index::Transaction& t) { t.put_layer({id, variant, d.digest.str(), d.size, d.diff_id.str(), 0}); });
  made = 1;
  return d;
}

std::uint64_t blob_size(store::LocalStore& store, const Digest& digest, std::string_view what, std::string_view label) {
  std::error_code ec;
  auto size = std::filesystem::file_size(store.blob_path(digest), ec);
  if (ec) fail("the store lacks {} of {} ({}); run 'sheaf store verify'", what, label, digest.str());
  return size;
}

}  // namespace

PackageArtifact make_package_artifact(store::LocalStore& store, const std::string& id) {
  auto record = store.index().package(id);
  if (!record) fail("the store has no package {}", id);
  const std::string label = fmt::format("{} {}", record->name, record->version);
  if (auto filter = store.index().partial_filter(id)) {
    fail("the store holds only part of {} ({}): it came inside a pulled image whose drop_paths ({}) removed files, so "
         "it cannot be pushed on its own; pull or import the whole package first",
         label, id, *filter);
  }
  PackageArtifact out;
  out.id = *Digest::parse(id);
  auto document = store.read_blob(out.id);
  if (!document) fail("the store lacks the package document of {} ({}); run 'sheaf store verify'", label, id);
  out.document = std::move(*document);
  pkg::PackageMetadata metadata = pkg::PackageMetadata::from_json(record->metadata);
  out.metadata = metadata.to_json();
  const Digest fileset = *Digest::parse(record->fileset);
  oci::LayerDigests layer = unfiltered_layer(store, id, out.layer_made);

  auto descriptor = [](std::string_view media_type, const Digest& digest, std::uint64_t size) {
    return oci::Descriptor{std::string(media_type), digest, size, {}, std::nullopt, ""};
  };
  out.layers.push_back(descriptor(kMediaTypePackageDocument, out.id, out.document.size()));
  out.layers.push_back(
      descriptor(kMediaTypeFileSet, fileset, blob_size(store, fileset, "the FileSet manifest", label)));
  out.layers.push_back(descriptor(kMediaTypePackageMetadata, Digest::of(out.metadata), out.metadata.size()));
  if (metadata.scripts) {
    out.layers.push_back(descriptor(kMediaTypeScripts, *metadata.scripts,
                                    blob_size(store, *metadata.scripts, "the maintainer scripts", label)));
  }
  oci::Descriptor layer_descriptor = descriptor(oci::kMediaTypeLayerGzip, layer.digest, layer.size);
  layer_descriptor.annotations = {{std::string(kAnnotationPackageName), record->name},
                                  {std::string(kAnnotationPackageVersion), record->version},
                                  {std::string(kAnnotationPackageId), id}};
  out.layers.push_back(std::move(layer_descriptor));

  oci::ImageManifest manifest;
  manifest.artifact_type = std::string(kArtifactTypePackage);
  manifest.config = descriptor(oci::kMediaTypeEmpty, Digest::of(kEmptyConfig), kEmptyConfig.size());
  manifest.layers = out.layers;
  manifest.annotations = {{std::string(kAnnotationPackageName), record->name},
                          {std::string(kAnnotationPackageVersion), record->version},
                          {std::string(kAnnotationPackageArch), record->arch},
                          {std::string(kAnnotationPackageId), id},
                          {std::string(oci::kAnnotationCreated), oci::rfc3339_utc(metadata.date.value_or(0))}};
  if (std::string kind = pkg::package_kind(store.index(), id); !kind.empty()) {
    manifest.annotations[std::string(kAnnotationPackageKind)] = kind;
  }
  out.manifest = oci::render(manifest);
  out.digest = Digest::of(out.manifest);
  return out;
}

PackageArtifactLayout parse_package_artifact(std::string_view manifest_bytes, std::string_view where) {
  const std::string at(where);
  oci::ImageManifest manifest = oci::parse_manifest(manifest_bytes, at);
  if (manifest.artifact_type != kArtifactTypePackage) {
    throw ParseError(at, fmt::format("is not a sheaf package (artifactType {}, not {}){}",
                                     manifest.artifact_type.empty() ? "none" : quote(manifest.artifact_type),
                                     kArtifactTypePackage,
                                     manifest.artifact_type.empty() && manifest.config.media_type == oci::kMediaTypeConfig
                                         ? "; it is an image: use sheaf pull"
                                         : ""));
  }
  if (manifest.config.media_type != oci::kMediaTypeEmpty) {
    throw ParseError(at, fmt::format("its config has the media type {}, not {}", manifest.config.media_type,
                                     oci::kMediaTypeEmpty));
  }
  std::map<std::string, std::vector<const oci::Descriptor*>> by_type;
  for (const auto& layer : manifest.layers) by_type[layer.media_type].push_back(&layer);
  auto one = [&](std::string_view media_type, bool required) -> const oci::Descriptor* {
    auto it = by_type.find(std::string(media_type));
    std::size_t count = it == by_type.end() ? 0 : it->second.size();
    if (count > 1 || (required && count == 0)) {
      throw ParseError(at, fmt::format("it has {} layers of the media type {}, not {}", count, media_type,
                                       required ? "one" : "at most one"));
    }
    return count ? it->second.front() : nullptr;
  };
  PackageArtifactLayout out;
  out.document = *one(kMediaTypePackageDocument, true);
  out.fileset = *one(kMediaTypeFileSet, true);
  out.metadata = *one(kMediaTypePackageMetadata, true);
  if (const auto* scripts = one(kMediaTypeScripts, false)) out.scripts = *scripts;
  out.layer = *one(oci::kMediaTypeLayerGzip, true);
  for (const auto& [media_type, layers] : by_type) {
    if (media_type != kMediaTypePackageDocument && media_type != kMediaTypeFileSet &&
        media_type != kMediaTypePackageMetadata && media_type != kMediaTypeScripts &&
        media_type != oci::kMediaTypeLayerGzip) {
      throw ParseError(at, fmt::format("it has a layer of the media type {}, which a sheaf package does not hold",
                                       media_type));
    }
  }
  auto annotation = [&](std::string_view key) -> std::string {
    auto it = manifest.annotations.find(std::string(key));
    return it == manifest.annotations.end() ? "" : it->second;
  };
  if (std::string id = annotation(kAnnotationPackageId); !id.empty() && id != out.document.digest.str()) {
    throw ParseError(at, fmt::format("its {} annotation is {}, but its package document is {}", kAnnotationPackageId,
                                     id, out.document.digest.str()));
  }
  out.kind = annotation(kAnnotationPackageKind);
  if (!(out.kind.empty() || out.kind == "deb" || out.kind == "directory" || out.kind == "file" ||
        out.kind == "assembly")) {
    throw ParseError(at, fmt::format("its {} annotation {} is not one sheaf knows", kAnnotationPackageKind,
                                     quote(out.kind)));
  }
  return out;
}

}  // namespace sheaf::image
