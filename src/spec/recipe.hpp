// A recipe: how one package is built from pinned sources, hermetically.
//
// Like sheaf.toml, a recipe is TOML read strictly without running code: an
// unknown key, a value of the wrong type or a malformed entry is a
// ParseError at "FILE:LINE:COLUMN", with a "did you mean" for a misspelt
// key. The format is documented in docs/formats/recipe.md.
//
// Sections:
//   [package]        name, version, license, homepage, description,
//                    shlibdeps, and the relations depends, pre_depends,
//                    provides, conflicts, breaks
//   [source.debian]  the build environment's suites (as in sheaf.toml)
//   [environment]    include, exclude, essential, build_essential, recipes
//   [[sources]]      path, sha256 | fileset, strip_components, dest; or
//                    debian, version (a Debian source package), sha256, dest
//   [build]          steps, env, timeout, source_date_epoch
//   [[owners]]       path (a glob under the destination), uid, gid
//
// The steps are the one place where sheaf runs scripts: inside the build
// sandbox (build/sandbox.hpp), never in an image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spec/spec.hpp"

namespace sheaf::spec {

// [package]: the identity and description of what the recipe builds. The
// relations are Debian syntax, one relation (with its alternatives) per entry.
struct RecipePackage {
  std::string name;
  std::string version;
  std::string license = "NOASSERTION";
  std::string homepage;
  std::string description;
  std::vector<std::string> depends;
  std::vector<std::string> pre_depends;
  std::vector<std::string> provides;
  std::vector<std::string> conflicts;
  std::vector<std::string> breaks;
  // Depends gains a relation for each shared library the output's ELF files
  // need (build/shlibdeps.hpp) unless this is false.
  bool shlibdeps = true;
  Position position;  // of the [package] table
};

// [environment]: the Debian packages (and other recipes' outputs) the steps
// run among. Debian's Essential set and build-essential are in it unless
// the recipe turns them off.
struct RecipeEnvironment {
  std::vector<PackagePin> include;  // Debian packages only, pins allowed
  std::vector<std::string> exclude;
  bool essential = true;
  bool build_essential = true;
  std::vector<std::filesystem::path> recipes;  // absolute; their outputs join the environment
  std::vector<Position> recipe_positions;
};

// [[sources]]: one pinned input, copied into the build directory. A Debian
// source package (debian = "NAME", version = "VERSION") is pinned by the
// lock beside the recipe, which records its files' sha256 from the suite's
// signed Sources index, and unpacked as `dpkg-source -x` does.
struct RecipeSource {
  enum class Kind { file, archive, directory, debian };
  std::filesystem::path path;  // absolute (relative ones start at the recipe's directory); none for debian
  // As written; "debian:NAME=VERSION" for a Debian source package.
  std::string path_as_written;
  Kind kind = Kind::file;
  // A file or archive: its sha256 ("sha256:HEX"); a directory: its FileSet
  // id; a Debian source package: its .dsc's sha256 when the recipe gives
  // one ("" otherwise: the lock pins it).
  std::string digest;
  std::string package, version;   // a Debian source package's name and version
  unsigned strip_components = 0;  // archives only
  bool executable = false;        // plain files only: copied with mode 0755, else 0644
  std::string dest;               // relative to the source directory; "" for the directory itself
  Position position;
};

// [build]
struct RecipeBuild {
  std::vector<std::string> steps;                        // each run by /bin/sh -c, in order
  std::vector<std::pair<std::string, std::string>> env;  // sorted by name
  std::uint64_t timeout = 3600;                          // seconds, for all the steps together
  std::optional<std::int64_t> source_date_epoch;
  Position position;
};

// [[owners]]: owners the output keeps; every other entry is root's.
struct RecipeOwner {
  std::string glob;  // over paths relative to the destination, as drop_paths
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  Position position;
};

struct Recipe {
  std::filesystem::path path;  // the file it was read from
  RecipePackage package;
  std::optional<DebianSource> debian;  // none: an environment of recipe outputs alone
  RecipeEnvironment environment;
  std::vector<RecipeSource> sources;
  RecipeBuild build;
  std::vector<RecipeOwner> owners;

  // Reads and parses `path`. Throws an Error when the file cannot be read, and
  // a ParseError ("FILE:LINE:COLUMN: problem") when it is not a valid recipe.
  static Recipe load(const std::filesystem::path& path);
  // Parses `text`; `path` names the file in messages and anchors relative paths.
  static Recipe parse(std::string_view text, const std::filesystem::path& path);

  // "FILE:LINE:COLUMN" for a position in this recipe.
  std::string where(const Position& position) const;

  // The build environment as an image spec: [source.debian] and the
  // packages, with build-essential and (as a flag for the resolver, see
  // Spec::essential) the Essential set. Its lock lives at lock_path().
  // Its Debian source packages are Spec::source_packages.
  Spec environment_spec() const;

  // The environment's lock, beside the recipe: the recipe's file name with
  // ".toml" replaced by ".lock" (greet.toml -> greet.lock).
  std::filesystem::path lock_path() const;
};

// The lock of the recipe at `recipe_path`: greet.toml -> greet.lock.
std::filesystem::path recipe_lock_path(const std::filesystem::path& recipe_path);

// A relation list of [package] as one Debian field: the entries joined with
// ", " ("" for none), as a package document and a lock spell it.
std::string relation_field(const std::vector<std::string>& relations);

}  // namespace sheaf::spec
