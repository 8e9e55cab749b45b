// sheaf.lock: the resolved closure, frozen. The format is specified in
// docs/formats/lockfile.md; its bytes are pinned by golden files.
//
// The lock records the request it answers (arch, suites, components,
// include, exclude, recommends), the Release files it was resolved from (by
// sha256), and every package with its .deb's sha256, size and Filename. It
// records no mirror URI, so the same closure locks to the same bytes on any
// machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "deb/source_package.hpp"
#include "spec/spec.hpp"

namespace sheaf::repo {

// The newest lock format this build reads and writes. A lock is written in
// the oldest format that holds it: 1; 2 when it has implicit packages; 3
// when it has registry packages; 4 when it asks for the Essential set (a
// recipe's build environment); 5 when it has recipe outputs; 6 when it has
// Debian source packages (a recipe's sources). Format 7 is the lock of an
// image index (the spec's arch is a list): a section per architecture.
inline constexpr int kLockFormat = 7;

struct LockedSuite {
  std::string suite;
  std::string release;  // "InRelease" or "Release"
  Digest sha256;        // of that file as fetched
  friend bool operator==(const LockedSuite&, const LockedSuite&) = default;
};

// A package of the closure. A Debian package records the suite and the
// .deb it came from; a registry package (format 3) records the include
// entry that named it and the artifact it was locked to; a recipe output
// (format 5) records the spec's [[recipes]] entry and the recipe's sha256,
// which pins its sources and, through the lock beside it, its environment.
struct LockedPackage {
  std::string name;
  std::string version;
  std::string arch;
  // Debian packages:
  std::string source;
  std::string source_version;  // "" when it equals `version`
  std::string suite;
  std::string filename;
  Digest sha256;
  std::uint64_t size = 0;
  // Registry packages:
  std::string registry;  // the include entry as written: docker://HOST/REPO:TAG
  Digest manifest;       // the package artifact's manifest digest
  Digest id;             // the package id (its package document's digest)
  // Recipe outputs:
  std::string recipe;    // the [[recipes]] path as the spec writes it
  Digest recipe_sha256;  // of the recipe file's bytes

  std::string pre_depends;
  std::string depends;
  std::string provides;

  bool from_registry() const { return !registry.empty(); }
  bool from_recipe() const { return !recipe.empty(); }
  bool from_debian() const { return registry.empty() && recipe.empty(); }
};

// A Debian source package a recipe builds from (format 6): its stanza in
// the suite's Sources index, whose sha256 the signed Release lists. The
// files are fetched from the suite's URI joined with `directory`.
struct LockedSource {
  std::string name;
  std::string version;
  std::string suite;
  std::string directory;               // "pool/main/h/hello"
  std::vector<deb::SourceFile> files;  // sorted by name; one is the .dsc

  const deb::SourceFile* dsc() const;
  friend bool operator==(const LockedSource&, const LockedSource&) = default;
};

// The closure of one architecture. A lock of formats 1 to 6 is one of these.
struct Lockfile {
  std::string arch;
  std::vector<std::string> suites;
  std::vector<std::string> components;
  std::vector<spec::PackagePin> include;
  std::vector<std::string> exclude;
  bool recommends = false;
  bool essential = false;  // the Essential set joined include (spec::PackageSelection::essential)
  // The packages sheaf added for the Essential set (deb/essential.hpp),
  // sorted: each was resolved with `include` when the suites have it.
  std::vector<std::string> implicit;
  std::vector<LockedSuite> releases;    // in the spec's suite order
  std::vector<LockedPackage> packages;  // sorted by name, then arch
  std::vector<LockedSource> sources;    // sorted by name, then version

  // The canonical text of a one-architecture lock, in the oldest format
  // that holds it. Stable: same lock, same bytes.
  std::string render() const;
  // Parses a one-architecture lock (LockSet::parse, refusing an index's).
  static Lockfile parse(std::string_view text, const std::filesystem::path& path);

  const LockedPackage* find(std::string_view name) const;
  // The registry package an include entry (docker://...) was locked to.
  const LockedPackage* find_registry(std::string_view reference) const;
  const LockedSource* find_source(std::string_view name, std::string_view version) const;
  // The output of the recipe a [[recipes]] path (as written) names.
  const LockedPackage* find_recipe(std::string_view path_as_written) const;
};

// sheaf.lock as written: one architecture's closure (formats 1 to 6, the
// spec's arch a string), or, for an image index (format 7, arch a list),
// one closure per architecture. The sections share the request, the
// Release files and the source packages; each has its own packages, so an
// `Architecture: all` package appears in every section that needs it.
struct LockSet {
  bool index = false;            // format 7: the spec's arch is a list
  std::vector<Lockfile> arches;  // in the spec's order; exactly one unless `index`

  // The canonical text. A single architecture's lock renders as
  // Lockfile::render, so its bytes do not change with format 7.
  std::string render() const;
  // Parses any lock format. Throws ParseError ("FILE:LINE:COLUMN: problem"),
  // and an Error for a lock written by a newer sheaf.
  static LockSet parse(std::string_view text, const std::filesystem::path& path);
  static LockSet load(const std::filesystem::path& path);

  const Lockfile* find_arch(std::string_view arch) const;
  // Every section's packages, each once (an `Architecture: all` package the
  // sections share, once): what fetching needs. The first section's request.
  Lockfile merged() const;
};

// The implicit packages a spec asks for (deb::implicit_packages of its
// environment, less what it excludes): names, sorted.
std::vector<std::string> implicit_package_names(const spec::Spec& spec);

// The lock path for a spec: sheaf.lock beside it.
std::filesystem::path lock_path_for(const std::filesystem::path& spec_path);
// The spec's lock_path when it sets one (a recipe's environment), else the above.
std::filesystem::path lock_path_for(const spec::Spec& spec);

// Why `lock` does not answer `spec` any more: one line per reason, empty when
// it still does. Checks the recorded request against the spec, and that every
// Depends and Pre-Depends of every locked package is met inside the lock.
std::vector<std::string> lock_problems(const Lockfile& lock, const spec::Spec& spec);
// The same for every architecture the spec names (each problem of an index's
// section starts "ARCH: "), and that the lock has the spec's architectures.
std::vector<std::string> lock_problems(const LockSet& lock, const spec::Spec& spec);

}  // namespace sheaf::repo
