#include "sbom/attach.hpp"

#include <set>

#include "base/unique_fd.hpp"
#include "oci/layout.hpp"

namespace sheaf::sbom {

std::string sbom_artifact_manifest(const oci::Descriptor& image, const std::string& created,
                                   const SbomDocument& document) {
  const std::string empty = "{}";
  oci::ImageManifest manifest;
  manifest.artifact_type = document.media_type;
  manifest.config = {std::string(oci::kMediaTypeEmpty), Digest::of(empty), empty.size(), {}, std::nullopt, ""};
  manifest.layers.push_back(
      {document.media_type, Digest::of(document.bytes), document.bytes.size(), {}, std::nullopt, ""});
  manifest.subject = oci::Descriptor{image.media_type, image.digest, image.size, {}, std::nullopt, ""};
  manifest.annotations[std::string(oci::kAnnotationCreated)] = created;
  return oci::render(manifest);
}

std::vector<oci::Descriptor> attach_sboms(const std::filesystem::path& dir, const oci::Descriptor& image,
                                          const std::string& created, const std::vector<SbomDocument>& documents) {
  oci::Layout layout = oci::Layout::open(dir);
  const std::string empty = "{}";
  Digest empty_digest = Digest::of(empty);
  layout.put_blob_bytes(empty_digest, empty);
  oci::Descriptor subject{image.media_type, image.digest, image.size, {}, std::nullopt, ""};
  std::vector<oci::Descriptor> out;
  for (const auto& document : documents) {
    layout.put_blob_bytes(Digest::of(document.bytes), document.bytes);
    std::string bytes = sbom_artifact_manifest(subject, created, document);
    Digest manifest_digest = Digest::of(bytes);
    layout.put_blob_bytes(manifest_digest, bytes);
    oci::Descriptor entry{
        std::string(oci::kMediaTypeManifest), manifest_digest, bytes.size(), {}, std::nullopt, document.media_type};
    layout.add_manifest(entry);
    out.push_back(std::move(entry));
  }
  // Drop artifacts whose subject the index no longer lists (an image that a
  // rebuild under the same name replaced), directly or as an image of a
  // listed image index.
  oci::ImageIndex index = layout.read_index();
  std::set<Digest> images;
  for (const auto& d : index.manifests) {
    if (!d.artifact_type.empty()) continue;
    images.insert(d.digest);
    if (d.media_type == oci::kMediaTypeIndex) {
      for (const auto& inner :
           oci::parse_index(read_file(layout.blob_path(d.digest).string()), d.digest.str()).manifests) {
        images.insert(inner.digest);
      }
    }
  }
  std::size_t before = index.manifests.size();
  std::erase_if(index.manifests, [&](const oci::Descriptor& d) {
    if (d.artifact_type.empty()) return false;
    auto artifact = oci::parse_manifest(read_file(layout.blob_path(d.digest).string()), d.digest.str());
    return artifact.subject && !images.count(artifact.subject->digest);
  });
  if (index.manifests.size() != before) layout.write_index(index);
  return out;
}

}  // namespace sheaf::sbom
