#include "image/annotations.hpp"

#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/json_fields.hpp"

namespace sheaf::image {

namespace {

const std::string* find(const std::map<std::string, std::string>& annotations, std::string_view key) {
  auto it = annotations.find(std::string(key));
  return it == annotations.end() ? nullptr : &it->second;
}

std::string value(const std::map<std::string, std::string>& annotations, std::string_view key) {
  const std::string* found = find(annotations, key);
  return found ? *found : std::string();
}

}  // namespace

std::map<std::string, std::string> package_layer_annotations(const LayerPackage& package, const std::string& purl,
                                                             std::uint64_t dropped) {
  std::map<std::string, std::string> out{
      {std::string(kAnnotationPackageName), package.name},
      {std::string(kAnnotationPackageVersion), package.version},
      {std::string(kAnnotationPackageId), package.id},
      {std::string(kAnnotationPackagePurl), purl},
  };
  if (dropped > 0) out[std::string(kAnnotationPackageDropped)] = std::to_string(dropped);
  return out;
}

std::map<std::string, std::string> shared_layer_annotations(const std::vector<LayerPackage>& packages) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : packages) list.push_back({{"name", p.name}, {"version", p.version}, {"id", p.id}});
  return {{std::string(kAnnotationPackages), canonical_json(list)}};
}

void set_drop_paths(oci::ImageManifest& manifest, const std::vector<std::string>& globs) {
  if (!globs.empty()) manifest.annotations[std::string(kAnnotationDropPaths)] = canonical_json(globs);
}

void set_trimmed_from(oci::ImageManifest& manifest, const std::string& source) {
  manifest.annotations[std::string(kAnnotationTrimmedFrom)] = source;
}

std::optional<std::string> trimmed_from(const oci::ImageManifest& manifest) {
  auto it = manifest.annotations.find(std::string(kAnnotationTrimmedFrom));
  if (it == manifest.annotations.end()) return std::nullopt;
  return it->second;
}

bool names_packages(const oci::Descriptor& layer) {
  return find(layer.annotations, kAnnotationPackageId) || find(layer.annotations, kAnnotationPackages);
}

std::vector<LayerPackage> layer_packages(const oci::Descriptor& layer) {
  const auto& a = layer.annotations;
  if (find(a, kAnnotationPackageId)) {
    return {{value(a, kAnnotationPackageName), value(a, kAnnotationPackageVersion), value(a, kAnnotationPackageId)}};
  }
  std::vector<LayerPackage> out;
  const std::string* list = find(a, kAnnotationPackages);
  if (!list) return out;
  auto doc = nlohmann::json::parse(*list, nullptr, false);
  bool valid = doc.is_array() && !doc.empty();
  for (const auto& p : valid ? doc : nlohmann::json::array()) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_string()) {
      valid = false;
      break;
    }
    out.push_back({string_field(p, "name"), string_field(p, "version"), p["id"].get<std::string>()});
  }
  if (!valid) {
    fail("the {} annotation of layer {} is not a list of packages with ids", kAnnotationPackages, layer.digest.str());
  }
  return out;
}

std::optional<std::string> layer_purl(const oci::Descriptor& layer) {
  const std::string* purl = find(layer.annotations, kAnnotationPackagePurl);
  if (!purl) return std::nullopt;
  return *purl;
}

std::uint64_t layer_dropped(const oci::Descriptor& layer) {
  const std::string* dropped = find(layer.annotations, kAnnotationPackageDropped);
  if (!dropped) return 0;
  try {
    return std::stoull(*dropped);
  } catch (const std::exception&) {
    fail("the {} annotation of layer {} is not a number: {}", kAnnotationPackageDropped, layer.digest.str(),
         quote(*dropped));
  }
}

std::vector<std::string> drop_paths(const oci::ImageManifest& manifest) {
  const std::string* text = find(manifest.annotations, kAnnotationDropPaths);
  if (!text) return {};
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  std::vector<std::string> globs;
  bool valid = doc.is_array();
  for (const auto& g : valid ? doc : nlohmann::json::array()) {
    if (!g.is_string()) {
      valid = false;
      break;
    }
    globs.push_back(g.get<std::string>());
  }
  if (!valid) fail("the manifest's {} annotation is not a list of globs", kAnnotationDropPaths);
  return globs;
}

}  // namespace sheaf::image
