// A spec's registry packages ([packages] include "docker://HOST/REPO:TAG";
// docs/formats/spec.md, "Registry packages"): resolved for `sheaf lock`,
// fetched for `sheaf fetch` and `sheaf build`.
//
// A locked entry is pinned by the artifact's manifest digest and the package
// id. With the package in the store, nothing touches the network. A pull
// goes by the locked digest, whatever the tag says now; when the tag has
// moved, a note says so (`sheaf lock --update NAME` moves the lock).
#pragma once

#include <string>
#include <vector>

#include "pipeline/session.hpp"
#include "repo/lockfile.hpp"
#include "repo/locking.hpp"

namespace sheaf::pipeline {

// The resolver `sheaf lock` uses for registry include entries.
repo::RegistryResolver registry_resolver(Session& session);

// Pulls the locked registry packages the store lacks, by digest, checking
// each against its locked id. Returns how many it pulled.
std::size_t fetch_registry_packages(Session& session, const repo::Lockfile& lock);

}  // namespace sheaf::pipeline
