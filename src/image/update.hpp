// `sheaf image update`: a stored image's package set, changed, composed again.
//
// The new image is composed with compose_image from the old one's recipe
// (image/recipe.hpp) and the changed set, exactly as `sheaf build` composes
// that set from a spec. So unchanged packages keep their layer blobs as they
// are, the assembly's layer is made again only when its content changes, and
// the result is, digest for digest, the image a fresh build of the same
// packages gives.
//
// The changes, applied in this order:
//   --set NAME=VERSION|ID   swaps a member for another version of it: a
//                           package id, a version the store holds, or one
//                           resolved from the image's recorded sources
//   --add NAME[=VERSION]    adds a package and whatever of its dependencies
//                           the image lacks, resolved as `sheaf lock` would,
//                           favouring the versions the image holds; the
//                           name joins the image's roots
//   --remove NAME           removes a member, and with it every member that
//                           only it needed (reachable from the roots before,
//                           no longer after); refused when another member
//                           still depends on it
//   --from-lock FILE        replaces the whole Debian set with the lock's
// The result must be closed and conflict-free (deb/closure.hpp), or nothing
// is written.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/recipe.hpp"
#include "image/sources.hpp"
#include "spec/spec.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

// A stored image, as an update sees it.
struct StoredComposition {
  store::ImageRecord record;
  Recipe recipe;
  ImageSources sources;
  std::vector<store::PackageRecord> debian;  // the Debian members, by name
  std::optional<store::PackageRecord> assembly;
};

// Reads what the index records about `record`. Refuses an image that was
// built before images recorded their recipe. A trimmed image's members are
// the packages it was trimmed from (its profile names them).
StoredComposition load_composition(store::LocalStore& store, const store::ImageRecord& record,
                                   const std::string& label);

// Where packages the store lacks come from: the image's recorded
// [source.debian]. Resolves `include` as `sheaf lock` would, keeping the
// versions in `favor` where they fit, fetches into the store the packages of
// the answer that `wanted(name, version)` accepts, and returns those, as the
// store records them.
using PackageSource = std::function<std::vector<store::PackageRecord>(
    const std::vector<spec::PackagePin>& include, const std::map<std::string, std::string>& favor,
    const std::function<bool(const std::string&, const std::string&)>& wanted)>;

struct UpdateRequest {
  std::vector<std::pair<std::string, std::string>> set;  // NAME, VERSION or package id
  std::vector<spec::PackagePin> add;
  std::vector<std::string> remove;
  // --from-lock: the lock's packages (ids, in the store) and its include.
  std::optional<std::vector<std::string>> replace;
  std::vector<spec::PackagePin> replace_roots;
};

struct PackageChange {
  std::string name;
  std::string old_version;  // "" when added
  std::string new_version;  // "" when removed
  std::string why;          // "", "dependency", "no longer needed"
};

struct UpdatePlan {
  std::vector<std::string> debian;  // the new Debian set, by id
  std::vector<spec::PackagePin> roots;
  std::vector<PackageChange> changes;  // by name
};

// Works out the new Debian set. `source` is only called when the store
// lacks a package the request needs.
UpdatePlan plan_update(store::LocalStore& store, const StoredComposition& image, const UpdateRequest& request,
                       const PackageSource& source);

}  // namespace sheaf::image
