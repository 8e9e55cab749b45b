// A package: a named, versioned FileSet with Debian-style relations.
//
// Its id is the sha256 of its package document, a canonical JSON object that
// holds exactly the identity fields: name, version, arch, the relations and
// the FileSet id (docs/formats/package.md). Descriptive metadata (license,
// source, homepage) and provenance (origins) are kept beside it in the index,
// outside the id, so the same content gets the same id however it arrived.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "deb/program_needs.hpp"
#include "deb/relation.hpp"
#include "deb/script_effects.hpp"
#include "store/index.hpp"

namespace sheaf::pkg {

struct Package {
  std::string name;
  std::string version;
  std::string arch;
  deb::Relations depends;
  deb::Relations pre_depends;
  deb::Relations provides;
  deb::Relations conflicts;
  deb::Relations breaks;
  deb::Relations replaces;
  Digest fileset;

  // Throws a usage Error when the name, version or arch is not valid.
  void validate() const;

  // The canonical package document; its sha256 is the id.
  std::string document() const;
  Digest id() const { return Digest::of(document()); }

  // Parses a package document, accepting only its canonical bytes. Throws
  // ParseError naming `where`.
  static Package from_document(std::string_view bytes, std::string_view where);
};

// Descriptive fields, stored in the index beside the package.
struct PackageMetadata {
  std::string license = "NOASSERTION";  // an SPDX expression, or NOASSERTION
  std::string homepage;
  std::string source_name;     // defaults to the package name
  std::string source_version;  // defaults to the package version
  std::string description;
  // From a Debian control file; empty (or false) for other packages.
  std::string maintainer;
  std::string section;
  std::string priority;
  std::string multi_arch;  // "same", "foreign", "allowed"
  bool essential = false;
  std::optional<std::uint64_t> installed_size;  // KiB, as the control file says
  // When the package was built, in seconds since the epoch: for a .deb, the
  // newest mtime in its data.tar. Images take their "created" from it.
  std::optional<std::int64_t> date;
  std::vector<std::string> skipped_scripts;  // maintainer scripts present and never run
  std::vector<std::string> conffiles;        // absolute paths, as listed
  // Derived at import from a .deb (pkg/derived.hpp): the derivation's
  // version (0: none), what the scripts would have done, what the programs
  // run undeclared, and the blob that keeps the scripts.
  int derivation = 0;
  deb::ScriptEffects effects;
  std::vector<deb::ProgramNeed> needs;
  std::optional<Digest> scripts;

  std::string to_json() const;  // canonical JSON object
  static PackageMetadata from_json(std::string_view text);
};

// The index row for a package.
store::PackageRecord make_record(const Package& package, const PackageMetadata& metadata, std::uint64_t entries,
                                 std::uint64_t size);

// Checks that a stored package document agrees with its index row; the hook
// that `store verify` runs for every package.
std::optional<std::string> check_document(const store::PackageRecord& record, std::string_view document);

// The blobs a package's metadata names (its maintainer scripts): what
// `store gc` keeps and `store verify` checks for every package.
std::vector<Digest> metadata_blobs(const store::PackageRecord& record);

// Where a package came from, by the "type" of each provenance document the
// index keeps for it: "deb" (an imported .deb), "directory" or "file" (added
// from disk or a spec's [[files]]), "assembly" (an image's derived files).
// A package pulled from a registry has the origin
// {"type": "registry", "reference": ..., "kind": TYPE}, which counts as TYPE:
// the type it had where it was pushed from (the sheaf document carries it);
// a trimmed package's origin (trim_origin) counts as its original's type.
bool has_origin_type(store::Index& index, std::string_view id, std::string_view type);

// The one type a package counts as, for the sheaf document: "assembly",
// "deb", "directory" or "file" (in that preference), or "" for none.
std::string package_kind(store::Index& index, std::string_view id);

// The origin a pull records: canonical JSON as described above.
std::string registry_origin(std::string_view reference, std::string_view kind);

// The origin of a trimmed package (image/trim.hpp): {"type": "trim", "from":
// ID, "kind": TYPE}, the package it was narrowed from and that one's type,
// which it counts as.
std::string trim_origin(std::string_view from, std::string_view kind);

}  // namespace sheaf::pkg
