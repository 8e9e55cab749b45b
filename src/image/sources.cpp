#include "image/sources.hpp"

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/json_fields.hpp"

namespace sheaf::image {

using nlohmann::json;

std::string render_sources(const ImageSources& sources, const json& recipe) {
  json doc = json::object();
  if (sources.spec) doc["spec"] = *sources.spec;
  if (sources.lock) doc["lock"] = {{"path", sources.lock->path}, {"sha256", sources.lock->sha256}};
  if (sources.debian) {
    const auto& d = *sources.debian;
    json debian = {{"suites", d.suites}, {"components", d.components}, {"arch", d.arch}};
    if (d.mirror) debian["mirror"] = *d.mirror;
    if (d.keyring) debian["keyring"] = d.keyring->string();
    doc["debian"] = debian;
  }
  if (sources.updated_from) doc["updated_from"] = *sources.updated_from;
  if (!sources.packages.empty()) doc["packages"] = sources.packages;
  if (sources.trim) doc["trim"] = trim_profile_json(*sources.trim);
  doc["recipe"] = recipe;
  return canonical_json(doc);
}

RecordedSources read_sources(const store::ImageRecord& record, const std::string& label) {
  RecordedSources out;
  auto doc = json::parse(record.sources, nullptr, false);
  if (!doc.is_object()) fail("the sources recorded for {} are not a JSON object", label);
  try {
    if (doc.contains("spec")) out.sources.spec = doc["spec"].get<std::string>();
    if (doc.contains("lock")) {
      out.sources.lock =
          RecordedLock{doc["lock"].value("path", ""), doc["lock"].at("sha256").get<std::string>()};
    }
    if (doc.contains("debian")) {
      const auto& d = doc["debian"];
      spec::DebianSource debian;
      debian.suites = d.at("suites").get<std::vector<std::string>>();
      debian.components = d.at("components").get<std::vector<std::string>>();
      debian.arch = d.at("arch").get<std::string>();
      debian.arches = {debian.arch};
      if (d.contains("mirror")) debian.mirror = d["mirror"].get<std::string>();
      if (d.contains("keyring")) debian.keyring = d["keyring"].get<std::string>();
      out.sources.debian = std::move(debian);
    }
    if (doc.contains("updated_from")) out.sources.updated_from = doc["updated_from"].get<std::string>();
    if (doc.contains("packages")) out.sources.packages = doc["packages"].get<std::map<std::string, std::string>>();
  } catch (const json::exception& e) {
    fail("the sources recorded for {} are not ones sheaf can read: {}", label, e.what());
  }
  if (doc.contains("trim")) out.sources.trim = parse_trim_profile(doc["trim"], label);
  if (doc.contains("recipe")) out.recipe = doc["recipe"];
  return out;
}

spec::DebianSource recorded_debian_source(const ImageSources& sources, const std::string& label) {
  if (!sources.debian) {
    fail("{} records no [source.debian], so sheaf does not know where its packages come from", label);
  }
  return *sources.debian;
}

std::string package_source(const ImageSources& sources, store::Index& index, const std::string& id) {
  if (auto it = sources.packages.find(id); it != sources.packages.end()) return it->second;
  std::string fallback;
  for (const auto& origin : index.origins(id)) {
    json doc = json::parse(origin, nullptr, false);
    const std::string type = string_field(doc, "type");
    if (type == "registry") return string_field(doc, "reference");  // the most telling
    if (type == "deb") {
      fallback = "debian";
    } else if (type == "directory" && fallback.empty()) {
      fallback = "directory " + string_field(doc, "path");
    } else if (type == "file" && fallback.empty()) {
      fallback = "files " + string_field(doc, "path");
    } else if (type == "assembly" && fallback.empty()) {
      fallback = "sheaf assembly";
    }
  }
  return fallback;
}

}  // namespace sheaf::image
