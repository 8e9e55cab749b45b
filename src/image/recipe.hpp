// An image's recipe: everything composition reads besides the packages.
//
// That is [image] (less its name), [packages] include, exclude, recommends
// and drop_paths, [[users]], [[groups]], [[paths]], the OS release, the
// architecture, and the ids of the [[files]] packages in spec order.
// compose_image records it in the index beside the image (the "recipe" key
// of the sources document), and `sheaf image update` composes from it, so an
// update never reads the spec again: an image and its update differ only in
// the packages asked for. [packages] include is kept as the image's roots,
// which tell an update what a removed package leaves unneeded.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "image/assembly.hpp"
#include "spec/spec.hpp"
#include "store/index.hpp"

namespace sheaf::image {

struct Recipe {
  // A spec with no [source.debian] and no [[files]] to read. Its path names
  // the image, for messages; nothing in it has a line or column.
  spec::Spec spec;
  std::optional<OsRelease> os;
  std::string arch;
  std::vector<std::string> files;  // [[files]] package ids, in spec order
};

nlohmann::json recipe_json(const spec::Spec& spec, const std::optional<OsRelease>& os, const std::string& arch,
                           const std::vector<std::string>& files);

// The recipe recorded beside a stored image; nullopt for an image built
// before images recorded one.
std::optional<Recipe> recorded_recipe(const store::ImageRecord& record);

// Reads a recipe recorded by recipe_json. `label` names the image in
// messages. Throws an Error naming the field when the document is not one.
Recipe parse_recipe(const nlohmann::json& doc, const std::string& label);

}  // namespace sheaf::image
