// Recipe builds: `sheaf recipe build` and `sheaf recipe lock`.
//
//   1. the environment: its Debian packages locked beside the recipe (as an
//      image's are) and fetched, and the outputs of the recipes it names,
//      built first (the same way, depth first; a cycle is an error);
//   2. the inputs (the recipe's digest, the source pins, the environment's
//      package ids, the arch) give the key; a package recorded with that
//      origin is the answer, and nothing is built (build/recipe_build.hpp);
//   3. otherwise the environment is composed like an image (the assembly
//      and derived effects included), once per set of package ids, arch,
//      release and sheaf version (cache/recipe-env/ keeps each composed
//      manifest), and mounted read-only (run::ImageRoot);
//      the sources are checked and laid out in a work directory under the
//      store's tmp/ (or RecipeBuildOptions::build_dir), the steps run in the sandbox (build/sandbox.hpp), and
//      what they installed under $DESTDIR becomes the package, with the
//      origin that step 2 looks for. The work directory goes, whatever
//      happened.
// Building needs root (the overlay mount), as `sheaf run` does. Only the
// host's architecture is built.
#pragma once

#include <filesystem>
#include <string>

#include "pipeline/lock.hpp"
#include "pipeline/session.hpp"
#include "spec/recipe.hpp"

namespace sheaf::pipeline {

struct RecipeBuildOptions {
  bool locked = false;          // fail instead of creating or changing an environment's lock
  bool allow_unsigned = false;  // when locking: accept unsigned repositories
  bool rebuild = false;         // build even when the store has the key's output
  unsigned jobs = 0;            // threads; 0 for one per core
  // Where the build's directories (/build/src, /build/dest, ...) are made,
  // each build in a fresh subdirectory; "" for the store's tmp/.
  std::filesystem::path build_dir;
};

struct RecipeBuildResult {
  std::string package_id;
  std::string name, version;
  std::string key;
  bool cached = false;  // answered from the store; nothing was built
};

RecipeBuildResult build_recipe(Session& session, const spec::Recipe& recipe, const RecipeBuildOptions& options);

// Removes the records of composed build environments (cache/recipe-env/)
// whose image the index no longer holds; returns how many it removed (or
// would remove, with dry_run). `sheaf store gc` calls it under its lock.
std::size_t prune_composed_environments(store::LocalStore& store, bool dry_run);

// Locks the recipe's environment into its lock (spec::Recipe::lock_path).
repo::LockOutcome lock_recipe(Session& session, const spec::Recipe& recipe, const LockOptions& options);

}  // namespace sheaf::pipeline
