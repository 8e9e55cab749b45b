#include "image/stored_image.hpp"

#include <map>

#include "base/error.hpp"
#include "image/layers.hpp"

namespace sheaf::image {

namespace {

std::string require_blob(const store::LocalStore& store, const Digest& digest, std::string_view what) {
  auto bytes = store.read_blob(digest);
  if (!bytes) fail("the {} blob {} is missing from the store; run 'sheaf store verify'", what, digest.str());
  return *bytes;
}

}  // namespace

StoredImage load_image(const store::LocalStore& store, const Digest& manifest) {
  StoredImage image;
  image.manifest_bytes = require_blob(store, manifest, "manifest");
  image.manifest = oci::parse_manifest(image.manifest_bytes, manifest.str());
  image.config_bytes = require_blob(store, image.manifest.config.digest, "config");
  image.config = oci::parse_config(image.config_bytes, image.manifest.config.digest.str());
  return image;
}

std::vector<LayerPackage> required_layer_packages(const oci::Descriptor& layer) {
  auto packages = layer_packages(layer);
  if (packages.empty()) {
    fail(
        "layer {} carries no {} annotations: this image was not built by sheaf, and sheaf reads only images "
        "whose layers are packages",
        layer.digest.str(), kAnnotationPackagePrefix);
  }
  return packages;
}

std::vector<LayerPackage> image_packages(const StoredImage& image) {
  std::vector<LayerPackage> out;
  for (const auto& layer : image.manifest.layers) {
    auto in_layer = layer_packages(layer);
    out.insert(out.end(), in_layer.begin(), in_layer.end());
  }
  return out;
}

fileset::Manifest load_manifest(const store::LocalStore& store, const std::string& fileset_digest) {
  auto digest = Digest::parse(fileset_digest);
  if (!digest) fail("malformed FileSet digest {} in the index", quote(fileset_digest));
  auto bytes = store.read_blob(*digest);
  if (!bytes) fail("the FileSet manifest {} is missing from the store; run 'sheaf store verify'", fileset_digest);
  return fileset::Manifest::parse(*bytes, fileset_digest);
}

fileset::Manifest package_fileset(store::LocalStore& store, const std::string& package_id,
                                  const std::vector<std::string>& drop_paths) {
  auto record = store.index().package(package_id);
  if (!record) fail("package {} is not in the store", package_id);
  fileset::Manifest manifest = load_manifest(store, record->fileset);
  if (drop_paths.empty()) return manifest;
  return apply_drop_paths(manifest, drop_paths).manifest;
}

fileset::Manifest image_root(store::LocalStore& store, const StoredImage& image) {
  std::vector<std::string> drop = drop_paths(image.manifest);
  std::map<std::string, fileset::Entry> entries;
  for (const auto& layer : image.manifest.layers) {
    for (const auto& p : required_layer_packages(layer)) {
      fileset::Manifest fileset = package_fileset(store, p.id, drop);
      for (const auto& e : fileset.entries()) entries.insert_or_assign(e.path, e);
    }
  }
  std::vector<fileset::Entry> list;
  list.reserve(entries.size());
  for (auto& [path, e] : entries) list.push_back(std::move(e));
  return fileset::Manifest::from_entries(std::move(list));
}

}  // namespace sheaf::image
