#include "sbom/inventory.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "deb/closure.hpp"
#include "image/annotations.hpp"
#include "image/recipe.hpp"
#include "image/sources.hpp"
#include "image/stored_image.hpp"
#include "pkg/package.hpp"
#include "pkg/purl.hpp"

namespace sheaf::sbom {

namespace {

Component::Kind kind_of(store::Index& index, const std::string& id) {
  if (pkg::has_origin_type(index, id, "assembly")) return Component::Kind::assembly;
  if (pkg::has_origin_type(index, id, "recipe")) return Component::Kind::recipe;
  if (pkg::has_origin_type(index, id, "directory") || pkg::has_origin_type(index, id, "file")) {
    return Component::Kind::files;
  }
  return Component::Kind::debian;
}

// A recipe output's recipe and sources, from its origin (build/recipe_build.hpp,
// RecipeInputs::origin).
void read_recipe_origin(store::Index& index, Component& c) {
  for (const auto& text : index.origins(c.id)) {
    auto origin = nlohmann::json::parse(text, nullptr, false);
    if (!origin.is_object() || origin.value("type", "") != "recipe") continue;
    c.recipe = origin.value("recipe", "");
    for (const auto& source : origin.value("sources", nlohmann::json::array())) {
      c.sources.emplace_back(source.value("path", ""), source.value("digest", ""));
    }
    return;
  }
}

}  // namespace

Inventory load_inventory(store::LocalStore& store, const store::ImageRecord& record) {
  Inventory inv;
  inv.digest = record.digest;
  auto tags = store.index().image_tags(record.digest);
  inv.name = tags.empty() ? record.digest : tags.front().first + ":" + tags.front().second;
  image::StoredImage stored = image::load_image(store, *Digest::parse(record.digest));
  inv.created = stored.config.created;
  inv.arch = stored.config.platform.architecture;
  inv.drop_paths = image::drop_paths(stored.manifest);
  if (auto recipe = image::recorded_recipe(record)) inv.os = recipe->os;
  std::string distro;
  if (inv.os) distro = "debian-" + inv.os->release();

  std::optional<image::TrimProfile> trim = image::read_sources(record, record.digest).sources.trim;
  if (trim) {
    inv.trimmed_from = trim->source;
    for (const auto& d : trim->dropped) inv.trimmed_out.push_back(d.name + " " + d.version);
  }

  std::vector<deb::ClosureMember> closure;
  for (const auto& layer : stored.manifest.layers) {
    auto in_layer = image::layer_packages(layer);
    for (const auto& p : in_layer) {
      auto row = store.index().package(p.id);
      if (!row) fail("{} holds the package {} {}, which is not in the store", record.digest, p.name, p.version);
      auto document = store.read_blob(*Digest::parse(p.id));
      if (!document) fail("the package document of {} {} is missing; run 'sheaf store verify'", p.name, p.version);
      auto package = pkg::Package::from_document(*document, p.id);
      auto metadata = pkg::PackageMetadata::from_json(row->metadata);
      Component c;
      c.kind = kind_of(store.index(), p.id);
      c.name = package.name;
      c.version = package.version;
      c.arch = package.arch;
      c.id = p.id;
      c.layer = layer.digest.str();
      auto annotated = image::layer_purl(layer);
      if (in_layer.size() == 1 && annotated) {
        c.purl = *annotated;
      } else {
        c.purl = c.kind == Component::Kind::debian ? pkg::deb_purl(c.name, c.version, c.arch, distro)
                                                   : pkg::generic_purl(c.name, c.version);
      }
      c.dropped = image::layer_dropped(layer);
      c.license = metadata.license;
      c.supplier = metadata.maintainer;
      c.source_name = metadata.source_name.empty() ? c.name : metadata.source_name;
      c.source_version = metadata.source_version.empty() ? c.version : metadata.source_version;
      c.homepage = metadata.homepage;
      c.description = metadata.description;
      if (c.kind == Component::Kind::assembly) c.effects = deb::describe_effects(metadata.effects);
      if (c.kind == Component::Kind::recipe) read_recipe_origin(store.index(), c);
      if (trim) {
        for (const auto& t : trim->packages) {
          if (t.id == p.id) c.trimmed = std::pair{t.kept, t.entries};
        }
      }
      inv.components.push_back(std::move(c));
      closure.push_back({package.name, package.version, package.pre_depends, package.depends, package.provides,
                         package.conflicts, package.breaks});
    }
  }
  if (inv.components.empty()) {
    fail("{} was not built by sheaf: its layers name no packages (dev.sheaf.package annotations)", record.digest);
  }
  auto edges = deb::dependency_edges(closure);
  for (std::size_t i = 0; i < edges.size(); ++i) inv.components[i].depends = std::move(edges[i]);
  return inv;
}

}  // namespace sheaf::sbom
