// What an image holds, as SBOM writers and the audit see it: every package
// with its identity, layer, license, supplier, source package and the
// members it depends on. Read from the manifest, the config, and the
// store's index and package documents; never from a layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "image/assembly.hpp"
#include "store/local_store.hpp"

namespace sheaf::sbom {

struct Component {
  enum class Kind { debian, files, assembly, recipe };
  Kind kind = Kind::debian;
  std::string name;
  std::string version;
  std::string arch;
  std::string id;        // the package id, sha256:<hex>
  std::string purl;      // as the layer annotation spells it
  std::string layer;     // sha256:<hex> of the layer blob that holds it
  std::string license;   // Debian's expression ("GPL-2+ AND BSD-3-clause"), or NOASSERTION
  std::string supplier;  // the Maintainer field; "" when there is none
  std::string source_name;
  std::string source_version;
  std::string homepage;
  std::string description;
  std::uint64_t dropped = 0;         // entries drop_paths removed from it
  // In a trimmed image (image/trim.hpp): the entries it kept, of how many.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> trimmed;
  // The assembly: what the members' maintainer scripts did in the image,
  // one line each (deb::describe_effects of its recorded effects).
  std::vector<std::string> effects;
  // A recipe output: the recipe's sha256 and its sources, (path as the
  // recipe writes it, pinned digest), from the package's origin.
  std::string recipe;
  std::vector<std::pair<std::string, std::string>> sources;
  std::vector<std::size_t> depends;  // indices of the components it depends on
};

struct Inventory {
  std::string digest;  // the image manifest's
  std::string name;    // "name:tag" when the store tags it, else the digest
  std::string created;
  std::string arch;
  std::optional<image::OsRelease> os;
  std::vector<Component> components;  // in layer order
  std::vector<std::string> drop_paths;
  // A trimmed image: the image it was traced on, and the packages left out
  // ("name version") because its workloads used nothing of them.
  std::optional<std::string> trimmed_from;
  std::vector<std::string> trimmed_out;
};

// Throws when the image is not sheaf's (its layers name no packages) or a
// package it names is missing from the store.
Inventory load_inventory(store::LocalStore& store, const store::ImageRecord& record);

}  // namespace sheaf::sbom
