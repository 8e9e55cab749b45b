// Composing an image from an unordered set of packages.
//
//   1. members: the locked Debian packages (by id) and one package per
//      [[files]] entry, read into the store;
//   2. checks: every Depends and Pre-Depends met inside the set, no Conflicts
//      or Breaks between members, and no path claimed differently by two
//      members (after drop_paths; image/paths.hpp);
//   3. the assembly package (image/assembly.hpp);
//   3b. with a trim, every member narrowed to what the workloads used, and
//      the members nothing used left out (image/trim.hpp);
//   4. one layer per member, made once per package and reused
//      (image/layers.hpp), in canonical order (layer_order below);
//   5. the config and manifest, stored as blobs; the image, its packages and
//      its tag recorded in the index. Everything lands in one write batch:
//      all of it, or on any error none of it.
//
// The image's bytes are a function of its package set and its [image] config
// only: the order the spec lists packages in, the machine, the time and the
// directory never reach them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/assembly.hpp"
#include "image/sources.hpp"
#include "image/trim.hpp"
#include "oci/documents.hpp"
#include "spec/spec.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

// Above this many layers the tail of the order shares layers (see layer_order).
inline constexpr std::size_t kMaxLayers = 100;

struct ComposeRequest {
  std::vector<std::string> debian_packages;  // package ids, any order
  // [[files]] packages already in the store, by id, in spec order: what
  // `sheaf image update` passes instead of a spec's [[files]] to read.
  std::vector<std::string> files_packages;
  std::string arch;
  std::optional<OsRelease> os;  // from the lock's suites; none without [source.debian]
  // "created": SOURCE_DATE_EPOCH when set, else the newest package date.
  std::optional<std::int64_t> source_date_epoch;
  std::string tag_name;  // "" for none
  std::string tag = "latest";
  // Where the image came from, recorded beside it in the index with the
  // image's recipe (image/sources.hpp, image/recipe.hpp).
  ImageSources sources;
  // Trims the composed set (image/trim.hpp): each member narrowed to what
  // the workloads used, the profile recorded in the sources.
  std::optional<TrimInput> trim;
  // When the store already holds the composed image, keep the sources it
  // recorded (an update that lands on a built image keeps the build's).
  bool keep_recorded_sources = false;
  unsigned threads = 1;
  std::function<void(const std::string&)> warn = nullptr;
  std::function<void(const std::string&)> note = nullptr;
  // A package the image lacks that Debian's Essential set would have given
  // (image/effects.hpp); the caller prints "suggestion: include P (R)".
  std::function<void(const Suggestion&)> suggest = nullptr;
  // Called as layers are made: (done, total) of those the store lacked.
  std::function<void(std::size_t, std::size_t)> on_layer = nullptr;
};

struct ComposedLayer {
  std::vector<std::string> packages;  // "name version" of each member in it
  oci::Descriptor descriptor;
  bool made = false;  // false: reused from the store
};

struct ComposeResult {
  Digest manifest;
  std::optional<TrimProfile> trim;  // with a trim: what it kept
  std::uint64_t manifest_size = 0;
  oci::ImageManifest manifest_document;
  oci::ImageConfig config;
  std::vector<ComposedLayer> layers;
  std::size_t members = 0;
};

ComposeResult compose_image(store::LocalStore& store, const spec::Spec& spec, const ComposeRequest& request);

// The PATH an image's config gets when its spec sets none.
inline constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Where a command is looked for in a container: `program` itself when it
// holds a '/' (relative to `workdir` when it is relative), else each
// directory of the PATH in `env` ("KEY=VALUE" entries; kDefaultPath when it
// has none), in order. Used by build's entrypoint warning and by sheaf run.
std::vector<std::string> command_candidates(const std::string& program, const std::vector<std::string>& env,
                                            const std::string& workdir);

// The canonical order of members, as indices into `members`: Debian packages
// by dependency depth (a package comes after what it depends on; a
// dependency cycle shares one depth), then name, then id; then the [[files]]
// packages in spec order; then the assembly. Shared base packages such as
// libc6 so come first in every image, which lets runtimes reuse unpacked
// layers across images (their ChainIDs match).
struct OrderItem {
  std::string name;
  std::string id;
  std::vector<std::size_t> depends_on;  // indices of members this one depends on
  int group = 0;                        // 0 Debian, 1 [[files]] (keep spec order), 2 assembly
};
std::vector<std::size_t> layer_order(const std::vector<OrderItem>& members);

// How members map to layers when there are more than kMaxLayers: the first
// kMaxLayers - 2 members in order keep a layer each, every remaining member
// except the assembly shares one layer, and the assembly stays last.
std::vector<std::vector<std::size_t>> group_layers(const std::vector<std::size_t>& order);

}  // namespace sheaf::image
