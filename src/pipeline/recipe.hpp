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
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"

#include "pipeline/lock.hpp"
#include "pipeline/session.hpp"
#include "pipeline/trust.hpp"
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
  // A private key (sheaf key generate) that signs the provenance statement
  // of each output built, in a DSSE envelope; "" keeps it unsigned.
  std::string provenance_key;
  Passphrase passphrase;
};

struct RecipeBuildResult {
  std::string package_id;
  std::string name, version;
  std::string key;
  bool cached = false;  // answered from the store; nothing was built
};

RecipeBuildResult build_recipe(Session& session, const spec::Recipe& recipe, const RecipeBuildOptions& options);

// `sheaf rebuild PKG`: the package built again from what its build recorded
// in the store (the recipe, the sources, the provenance statement naming
// the environment's package ids), in a fresh sandbox, and the ids compared.
// Nothing is resolved or fetched: the environment is the one recorded.
struct RebuildOptions {
  std::string package;  // a package reference (pkg/package_ref.hpp)
  unsigned jobs = 0;
  std::filesystem::path build_dir;
  // With `attest`, an equal rebuild is attested: a DSSE envelope signed
  // with `key`, kept with the package's signatures (pkg push publishes it).
  bool attest = false;
  std::string key;
  Passphrase passphrase;
};

struct RebuildResult {
  std::string name, version, id;  // the package
  std::string rebuilt_id;         // what the rebuild gave
  bool equal = false;
  // When not equal: what differs, one line each ("/usr/share/stamp: the
  // content differs (sha256:... in the package, sha256:... rebuilt)").
  std::vector<std::string> differences;
  std::optional<Digest> attestation;  // the envelope kept, with --attest
  std::string key_id;
};

// Throws an Error when the package has no build record, a recorded input is
// missing from the store, or the build fails; a rebuild that differs is a
// result, not an error.
RebuildResult rebuild_package(Session& session, const RebuildOptions& options);

// Removes the records of composed build environments (cache/recipe-env/)
// whose image the index no longer holds; returns how many it removed (or
// would remove, with dry_run). `sheaf store gc` calls it under its lock.
std::size_t prune_composed_environments(store::LocalStore& store, bool dry_run);

// What `sheaf lock` and `sheaf build` record for a spec's [[recipes]]
// entry: its output, built unless the store has it, as the resolver takes it
// (its Depends include its shared libraries' packages).
repo::RecipeOutputResolver recipe_output_resolver(Session& session, const RecipeBuildOptions& options);

// Locks the recipe's environment into its lock (spec::Recipe::lock_path).
repo::LockOutcome lock_recipe(Session& session, const spec::Recipe& recipe, const LockOptions& options);

}  // namespace sheaf::pipeline
