// `sheaf lock`: a spec becomes a lock, as cargo does it.
//
//   - A lock that still answers the spec (lock_problems is empty) is kept as
//     it is, and nothing touches the network.
//   - Otherwise the spec is resolved again, favouring the versions the old
//     lock chose, so only what the change needs moves.
//   - --update re-resolves from scratch; --update NAME... frees just those.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repo/lockfile.hpp"
#include "repo/network.hpp"
#include "repo/resolver.hpp"
#include "spec/spec.hpp"
#include "store/local_store.hpp"

namespace sheaf::repo {

// A registry package an include entry names, as resolved for a lock.
struct RegistryPackage {
  std::string reference;  // the include entry, as the spec writes it
  Digest manifest;        // the package artifact's
  Digest id;
  RegistryCandidate package;  // what its package document says
};

// Resolves the spec's registry include entries. `keep` holds, for entries
// the old lock has and that are not to move, what it locked: those stay at
// their digest (read from the store when it has the package, so that no
// network is needed). The others are looked up now, tag to digest.
using RegistryResolver = std::function<std::vector<RegistryPackage>(
    const std::vector<std::string>& references, const std::map<std::string, LockedPackage>& keep)>;

// The output of a spec's [[recipes]] entry as the lock records it: built
// (or found in the store), because its Depends come from the shared
// libraries it links (build/shlibdeps.hpp), which only a build knows.
using RecipeOutputResolver = std::function<RegistryCandidate(const spec::RecipeRef& ref)>;

struct LockRequest {
  bool update_all = false;
  std::vector<std::string> update;  // names to free (must be in the old lock)
  bool allow_unsigned = false;
  std::int64_t now = 0;  // seconds since the epoch, for Valid-Until
  std::function<void(const std::string&)> warn = nullptr;
  // Progress worth a line, such as waiting for another process.
  std::function<void(const std::string&)> note = nullptr;
  // Needed when the spec includes registry packages.
  RegistryResolver registry = nullptr;
  // Builds recipe outputs; unset, an output is what its recipe's [package]
  // table declares (nothing is built).
  RecipeOutputResolver recipe_output = nullptr;
};

struct LockChange {
  std::string name;
  std::string old_version;  // "" when added
  std::string new_version;  // "" when removed
  std::string arch;         // the section's, in an index's lock; "" otherwise
};

struct LockOutcome {
  LockSet lock;
  bool resolved = false;  // false: the existing lock already answered the spec
  bool written = false;   // the lock file's bytes changed
  std::vector<LockChange> changes;
  std::size_t suites = 0;
  std::size_t candidates = 0;  // packages in the indexes
  unsigned downloads = 0;      // repository files fetched (not 304, not cached)
};

// Locks `spec` into lock_path_for(spec.path). `network.apt` supplies the
// host's sources, proxy and credentials. An index's spec is resolved once
// per architecture (resolve_lock of spec.for_arch), each favouring what its
// own section of the old lock chose.
LockOutcome lock_spec(const spec::Spec& spec, store::LocalStore& store, const NetworkSettings& network,
                      const LockRequest& request);

// One architecture's lock (spec.debian->arch) as resolved now (nothing
// written): what `lock_spec` builds on. Exposed for tests and for `update`.
Lockfile resolve_lock(const spec::Spec& spec, store::LocalStore& store, const NetworkSettings& network,
                      const LockRequest& request, const std::map<std::string, std::string>& favor,
                      LockOutcome* stats = nullptr, const std::map<std::string, LockedPackage>& keep_registry = {});

}  // namespace sheaf::repo
