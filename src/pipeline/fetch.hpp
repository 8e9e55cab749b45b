// Fetching locked packages into the store: `sheaf fetch`, and the fetch
// step of build and update.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pipeline/session.hpp"
#include "repo/fetcher.hpp"
#include "repo/lockfile.hpp"
#include "spec/spec.hpp"

namespace sheaf::pipeline {

struct FetchOptions {
  unsigned jobs = 4;  // downloads at once
};

// Fetches what the lock beside the spec names and the store lacks. The lock
// must exist and still answer the spec (else an Error says to run 'sheaf
// lock'). With nothing missing, the network is not touched.
struct FetchOutcome {
  std::size_t locked = 0;  // packages in the lock
  repo::FetchReport report;     // of its Debian packages
  std::size_t registry_pulled = 0;   // registry packages pulled
  std::size_t registry_present = 0;  // registry packages the store had
};
FetchOutcome fetch(Session& session, const spec::Spec& spec, const FetchOptions& options);

// Fetches the packages of `lock` the store lacks from `debian`'s suites
// (the host's apt sources when it names no mirror), with progress, and notes
// what came. Does nothing, and touches no network, when none is missing.
void fetch_missing(Session& session, const repo::Lockfile& lock, const spec::DebianSource& debian, unsigned jobs);

// The store's package for each locked package, in lock order: a .deb's
// found by origin (its sha256 and size), a registry package's by its id, a
// recipe output's in `recipe_outputs` (the [[recipes]] path as written ->
// the id its build gave). Throws when one is missing.
std::vector<std::string> locked_package_ids(store::LocalStore& store, const repo::Lockfile& lock,
                                            const std::map<std::string, std::string>& recipe_outputs = {});

// "; 3 more came from other sheaf processes ...": what a fetch shared, or "".
std::string shared_summary(const repo::FetchReport& report);

}  // namespace sheaf::pipeline
