// Locking a spec: `sheaf lock`, and the lock policy of `sheaf build`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/session.hpp"
#include "repo/locking.hpp"
#include "spec/spec.hpp"

namespace sheaf::pipeline {

struct LockOptions {
  bool update_all = false;          // resolve everything again
  std::vector<std::string> update;  // or free only these names
  bool allow_unsigned = false;      // accept unsigned repositories (local test repositories)
};

// Resolves the spec's closure into lock_path_for(spec.path), keeping a lock
// that still answers the spec (repo/locking.hpp).
repo::LockOutcome lock(Session& session, const spec::Spec& spec, const LockOptions& options);

struct LockCheck {
  std::filesystem::path path;
  bool exists = false;
  std::vector<std::string> problems;  // why the lock no longer answers the spec; empty when it does
};
// Whether the lock beside the spec still answers it. Touches nothing.
LockCheck check_lock(const spec::Spec& spec);

// The lock a build uses: the one beside the spec while it still answers the
// spec; otherwise a new one, with its changes reported, or, with `locked`,
// an Error saying why the lock does not do.
repo::LockSet ensure_lock(Session& session, const spec::Spec& spec, bool locked, bool allow_unsigned);

// "+ NAME VERSION", "- NAME VERSION", "~ NAME OLD -> NEW"; an index's
// changes end with " (ARCH)".
std::string describe(const repo::LockChange& change);

// "47 packages", or for an index "packages: 47 for amd64, 47 for arm64".
std::string count_packages(const repo::LockSet& lock);

}  // namespace sheaf::pipeline
