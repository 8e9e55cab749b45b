// Where an image came from: the document recorded beside it in the index
// (never in the image), read by `sheaf image update` and, later, by push and
// the trust policy. The one reader and the one writer of its format:
//
//   {"spec": "/abs/sheaf.toml",                      the spec it was built from
//    "lock": {"path": "/abs/sheaf.lock", "sha256": HEX},
//    "debian": {"suites", "components", "arch",      the [source.debian] asked
//               "mirror"?, "keyring"?},               for ("mirror" only when
//                                                     the spec names one)
//    "updated_from": "sha256:...",                   an update's starting image
//    "packages": {ID: SOURCE},                        where each locked package came
//                                                     from: "debian SUITE" or the
//                                                     registry reference the spec
//                                                     names (none when empty)
//    "trim": {...},                                   a trimmed image's profile
//                                                     (image/trim.hpp)
//    "recipe": {...}}                                image/recipe.hpp
//
// rendered as canonical JSON, so that the same sources give the same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>

#include "image/trim.hpp"
#include "spec/spec.hpp"
#include "store/index.hpp"

namespace sheaf::image {

struct RecordedLock {
  std::string path;    // absolute; "" for a pulled image (a path on the pushing host is not kept)
  std::string sha256;  // hex, of the lock's bytes
};

struct ImageSources {
  std::optional<std::string> spec;  // absolute
  std::optional<RecordedLock> lock;
  std::optional<spec::DebianSource> debian;
  std::optional<std::string> updated_from;
  std::map<std::string, std::string> packages;  // package id -> "debian SUITE" or docker://...
  std::optional<TrimProfile> trim;              // a trimmed image's
};

// The document, with the recipe (recipe_json) under "recipe".
std::string render_sources(const ImageSources& sources, const nlohmann::json& recipe);

struct RecordedSources {
  ImageSources sources;
  std::optional<nlohmann::json> recipe;  // none for an image built before images recorded one
};

// Reads the document recorded beside `record`; `label` names the image in
// messages. Throws an Error naming the field when it is not one sheaf wrote.
RecordedSources read_sources(const store::ImageRecord& record, const std::string& label);

// The [source.debian] the image was built from; throws an Error saying so
// when it has none.
spec::DebianSource recorded_debian_source(const ImageSources& sources, const std::string& label);

// Where the package `id` of an image came from, for `image show` and
// `which`: the recorded source ("debian SUITE", a docker:// reference), else
// what the store's origins say: a registry reference, "debian",
// "directory PATH", "files PATH", "sheaf assembly"; "" when unknown.
std::string package_source(const ImageSources& sources, store::Index& index, const std::string& id);

}  // namespace sheaf::image
