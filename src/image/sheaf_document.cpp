#include "image/sheaf_document.hpp"

#include <set>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "image/annotations.hpp"
#include "image/stored_image.hpp"
#include "pkg/package.hpp"

namespace sheaf::image {

using nlohmann::json;

namespace {

constexpr int kFormat = 1;

Digest parse_digest(const json& value, std::string_view where, std::string_view field) {
  if (!value.is_string()) throw ParseError(std::string(where), fmt::format("{} is not a string", field));
  auto digest = Digest::parse(value.get<std::string>());
  if (!digest) throw ParseError(std::string(where), fmt::format("{} is not a sha256 digest", field));
  return *digest;
}

}  // namespace

std::string render_image_document(const ImageDocument& document) {
  json layers = json::array();
  for (const auto& layer : document.layers) {
    layers.push_back({{"digest", layer.digest.str()}, {"packages", layer.packages}, {"filter", {{"drop", layer.drop}}}});
  }
  json packages = json::object();
  for (const auto& [id, package] : document.packages) {
    packages[id] = {{"fileset", package.fileset}, {"kind", package.kind}, {"metadata", package.metadata}};
  }
  return canonical_json({{"sheaf-document", kFormat},
                         {"image", document.image.str()},
                         {"layers", layers},
                         {"packages", packages},
                         {"sources", document.sources}});
}

ImageDocument parse_image_document(std::string_view bytes, std::string_view where) {
  const std::string at(where);
  json doc = json::parse(bytes, nullptr, false);
  if (!doc.is_object()) throw ParseError(at, "is not a JSON object");
  if (auto format = doc.find("sheaf-document");
      format == doc.end() || !format->is_number_integer() || format->get<std::int64_t>() != kFormat) {
    throw ParseError(at, fmt::format("is not a sheaf document of format {} (\"sheaf-document\")", kFormat));
  }
  ImageDocument out;
  out.image = parse_digest(doc.value("image", json()), at, "\"image\"");
  const json& layers = doc.value("layers", json());
  const json& packages = doc.value("packages", json());
  if (!layers.is_array()) throw ParseError(at, "\"layers\" is not a list");
  if (!packages.is_object()) throw ParseError(at, "\"packages\" is not an object");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const json& l = layers[i];
    std::string field = fmt::format("layers[{}]", i);
    if (!l.is_object()) throw ParseError(at, field + " is not an object");
    DocumentLayer layer;
    layer.digest = parse_digest(l.value("digest", json()), at, field + ".digest");
    const json& ids = l.value("packages", json());
    if (!ids.is_array() || ids.empty()) throw ParseError(at, field + ".packages is not a non-empty list");
    for (const auto& id : ids) {
      layer.packages.push_back(parse_digest(id, at, field + ".packages").str());
      if (!packages.contains(layer.packages.back())) {
        throw ParseError(at, fmt::format("{} names the package {}, which \"packages\" lacks", field,
                                         layer.packages.back()));
      }
    }
    const json& filter = l.value("filter", json());
    if (!filter.is_object()) throw ParseError(at, field + ".filter is not an object");
    for (const auto& [key, value] : filter.items()) {
      if (key != "drop") throw ParseError(at, fmt::format("{}.filter has the unknown key {}", field, quote(key)));
      if (!value.is_array()) throw ParseError(at, field + ".filter.drop is not a list");
      for (const auto& glob : value) {
        if (!glob.is_string()) throw ParseError(at, field + ".filter.drop holds a non-string");
        layer.drop.push_back(glob.get<std::string>());
      }
    }
    out.layers.push_back(std::move(layer));
  }
  for (const auto& [id, p] : packages.items()) {
    std::string field = fmt::format("packages[{}]", quote(id));
    if (!Digest::parse(id)) throw ParseError(at, field + ": the key is not a package id");
    if (!p.is_object()) throw ParseError(at, field + " is not an object");
    DocumentPackage package;
    package.fileset = parse_digest(p.value("fileset", json()), at, field + ".fileset").str();
    const json& kind = p.value("kind", json(""));
    if (!kind.is_string()) throw ParseError(at, field + ".kind is not a string");
    package.kind = kind.get<std::string>();
    if (!(package.kind.empty() || package.kind == "deb" || package.kind == "assembly" || package.kind == "directory" ||
          package.kind == "file")) {
      throw ParseError(at, fmt::format("{}.kind {} is not one sheaf knows", field, quote(package.kind)));
    }
    package.metadata = p.value("metadata", json());
    if (!package.metadata.is_object()) throw ParseError(at, field + ".metadata is not an object");
    try {
      (void)pkg::PackageMetadata::from_json(package.metadata.dump());
    } catch (const Error& e) {
      throw ParseError(at, fmt::format("{}.metadata: {}", field, e.what()));
    }
    out.packages.emplace(id, std::move(package));
  }
  out.sources = doc.value("sources", json::object());
  if (!out.sources.is_object()) throw ParseError(at, "\"sources\" is not an object");
  return out;
}

SheafArtifact make_sheaf_artifact(store::LocalStore& store, const Digest& manifest_digest) {
  StoredImage image = load_image(store, manifest_digest);
  auto record = store.index().image(manifest_digest.str());
  if (!record) fail("the store has no image {}", manifest_digest.str());

  ImageDocument document;
  document.image = manifest_digest;
  const std::vector<std::string> drop = drop_paths(image.manifest);
  std::vector<oci::Descriptor> package_blobs;
  std::set<Digest> listed;
  auto list_blob = [&](std::string_view media_type, const Digest& digest) {
    if (!listed.insert(digest).second) return;
    auto path = store.blob_path(digest);
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) fail("the store lacks the blob {} that the image {} needs", digest.str(), manifest_digest.str());
    package_blobs.push_back({std::string(media_type), digest, size, {}, std::nullopt, ""});
  };
  for (const auto& layer : image.manifest.layers) {
    DocumentLayer entry;
    entry.digest = layer.digest;
    entry.drop = drop;
    for (const auto& package : required_layer_packages(layer)) {
      entry.packages.push_back(package.id);
      if (document.packages.contains(package.id)) continue;
      auto row = store.index().package(package.id);
      if (!row) fail("the store has no package {} {} ({}) that the image needs", package.name, package.version, package.id);
      json metadata = json::parse(row->metadata, nullptr, false);
      if (!metadata.is_object()) fail("the metadata of package {} is not a JSON object", package.id);
      document.packages[package.id] = {row->fileset, pkg::package_kind(store.index(), package.id), metadata};
      list_blob(kMediaTypePackageDocument, *Digest::parse(package.id));
      list_blob(kMediaTypeFileSet, *Digest::parse(row->fileset));
      if (auto scripts = pkg::PackageMetadata::from_json(row->metadata).scripts) list_blob(kMediaTypeScripts, *scripts);
    }
    document.layers.push_back(std::move(entry));
  }
  // The sources, less what names files on this host.
  json sources = json::parse(record->sources, nullptr, false);
  if (sources.is_object()) {
    sources.erase("spec");
    if (sources.contains("lock") && sources["lock"].is_object()) sources["lock"].erase("path");
    document.sources = sources;
  }

  SheafArtifact out;
  out.image_document = render_image_document(document);
  out.image_document_digest = Digest::of(out.image_document);
  out.layers.push_back({std::string(kArtifactTypeDocument), out.image_document_digest, out.image_document.size(), {},
                        std::nullopt, ""});
  out.layers.insert(out.layers.end(), package_blobs.begin(), package_blobs.end());

  oci::ImageManifest manifest;
  manifest.artifact_type = std::string(kArtifactTypeDocument);
  const std::string empty = "{}";
  manifest.config = {std::string(oci::kMediaTypeEmpty), Digest::of(empty), empty.size(), {}, std::nullopt, ""};
  manifest.layers = out.layers;
  manifest.subject = oci::Descriptor{std::string(oci::kMediaTypeManifest), manifest_digest, image.manifest_bytes.size(),
                                     {}, std::nullopt, ""};
  manifest.annotations[std::string(oci::kAnnotationCreated)] = image.config.created;
  out.manifest = oci::render(manifest);
  out.digest = Digest::of(out.manifest);
  return out;
}

}  // namespace sheaf::image
