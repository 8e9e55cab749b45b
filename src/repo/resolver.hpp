// Resolution: from "python3 and ca-certificates" to an exact closure, with
// libsolv's SAT solver over the indexes libsolvext's Debian reader parses.
//
// Semantics (docs/formats/lockfile.md has the user-facing version):
//   - Depends and Pre-Depends must hold, with alternatives, versions,
//     Provides and :any; Conflicts and Breaks are respected;
//   - among candidates, the highest version wins, across all suites;
//   - Recommends are ignored unless asked for; nothing is added implicitly,
//     not even the Essential set;
//   - a pin ("name=version") selects exactly that version; an excluded name
//     is removed from consideration;
//   - `favor` keeps a previous lock's versions where they still fit.
// The same indexes and the same request give the same answer: parsed
// indexes always go through libsolv's .solv form before use, and the result
// is sorted by name.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "base/error.hpp"
#include "repo/repository.hpp"
#include "spec/spec.hpp"

namespace sheaf::repo {

struct ResolvedPackage {
  std::string name;
  std::string version;
  std::string arch;
  std::string source;          // source package name
  std::string source_version;  // "" when it equals `version`
  Digest sha256;               // of the .deb
  std::uint64_t size = 0;      // of the .deb
  std::string filename;        // the index's Filename: "pool/main/..."
  std::size_t suite = 0;       // which of the resolver's suites it came from
  std::string pre_depends;     // as the index spells them
  std::string depends;
  std::string provides;
  // Set for a registry package: its index in add_registry_packages' list
  // (then sha256, size, filename and suite mean nothing).
  std::optional<std::size_t> registry;
};

// A package a [packages] include names by registry reference, as its
// package document describes it. The resolver installs it, and takes a
// name it has from it alone: Debian packages of the same name are not
// candidates (docs/formats/spec.md, "Registry packages").
struct RegistryCandidate {
  std::string name;
  std::string version;
  std::string arch;
  std::string pre_depends, depends, provides, conflicts, breaks;  // canonical relation text
};

struct ResolveRequest {
  std::vector<spec::PackagePin> include;
  std::vector<std::string> exclude;
  bool recommends = false;
  // Versions to keep where they still satisfy everything: name -> version.
  std::map<std::string, std::string> favor;
};

// What a failed resolution says, in plain words, one reason per line.
class ResolveError : public Error {
 public:
  explicit ResolveError(const std::string& message) : Error(message) {}
};

class Resolver {
 public:
  explicit Resolver(const std::string& arch);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Adds one verified index as part of suite number `suite`. Its parsed form
  // is cached in `cache` by the index's digest. Add indexes in the spec's
  // order: that order is part of the input.
  void add_index(const LoadedIndex& index, std::size_t suite, const RepositoryCache& cache);

  // Writes the parsed (.solv) form of `index` into `cache` unless it is there.
  // add_index does this too; calling it first, for several indexes on several
  // threads, parses them in parallel. Safe to call from any thread.
  static void prepare_index(const LoadedIndex& index, const RepositoryCache& cache);

  // Adds the registry packages (names distinct), once, after the indexes.
  void add_registry_packages(const std::vector<RegistryCandidate>& packages);

  // Solves `request`. Throws ResolveError when it cannot be satisfied.
  std::vector<ResolvedPackage> resolve(const ResolveRequest& request);

  // True when the indexes hold a package of this name (not only a virtual
  // one that others provide).
  bool has_package(std::string_view name) const;
  // True when the suites' indexes hold this name at exactly this version.
  bool has_debian_version(std::string_view name, std::string_view version) const;

  // The names of the packages the indexes mark "Essential: yes" (for this
  // architecture), sorted: Debian's Essential set, which a recipe's build
  // environment holds by default.
  std::vector<std::string> essential_names() const;

  // How many packages the indexes hold, for messages.
  std::size_t package_count() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sheaf::repo
