// What sheaf derives from a Debian package at import, because the .deb is
// gone afterwards: the effects its maintainer scripts would have had
// (deb/script_effects.hpp) and what its programs run without declaring it
// (deb/program_needs.hpp). Both live in the package's index metadata, never
// in its id; the scripts themselves are kept as a blob, so that a newer
// sheaf can derive again without the .deb (docs/formats/package.md,
// "Derived at import").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deb/program_needs.hpp"
#include "deb/script_effects.hpp"
#include "fileset/manifest.hpp"
#include "store/local_store.hpp"

namespace sheaf::pkg {

struct PackageMetadata;

// The version of the derivation: it changes whenever the same .deb would
// give different effects or needs. Packages whose metadata records another
// one are derived again before an image uses them (refresh_derivations).
inline constexpr int kDerivationVersion = 6;

struct Derived {
  deb::ScriptEffects effects;
  std::vector<deb::ProgramNeed> needs;
};

// Derives from a package's maintainer scripts and its FileSet (in the
// merged-/usr layout). `open` reads a file's content, for the needs.
Derived derive(const std::vector<deb::MaintainerScript>& scripts, const fileset::Manifest& manifest,
               std::string_view name, std::string_view arch, const deb::ContentOpener& open);

// The blob that keeps a package's maintainer scripts byte for byte:
//   "sheaf-scripts 1\n", then per script "NAME SIZE\n" + its bytes + "\n".
std::string scripts_document(const std::vector<deb::MaintainerScript>& scripts);
// Throws ParseError naming `where` for anything else.
std::vector<deb::MaintainerScript> parse_scripts_document(std::string_view bytes, std::string_view where);

// Records a derivation in `metadata`: the version, the effects, the needs and
// the scripts blob's digest.
void set_derived(PackageMetadata& metadata, Derived derived, const std::optional<Digest>& scripts);

// True when an imported package's metadata holds no derivation of this
// version. Packages made from directories and the assembly have none to do.
bool needs_derivation(const store::PackageRecord& record, const PackageMetadata& metadata, store::Index& index);

// True when an imported package was derived by an older sheaf that did not
// keep its maintainer scripts, and had some: only its .deb can tell what
// they do, so a fetch reads it again (repo::missing_packages).
bool needs_deb_again(const PackageMetadata& metadata);
// The same, from the index row's metadata text: without parsing it when it
// records this derivation (the common case, on every build's look at the
// store).
bool needs_deb_again(std::string_view metadata_json);

struct RefreshResult {
  std::vector<std::string> refreshed;  // ids derived again from their stored scripts
  std::vector<std::string> no_scripts;  // ids imported before scripts were kept: the .deb must be read again
};

// Derives again, from the stored scripts and FileSet, every package of `ids`
// that needs_derivation says is stale, and records the results in one
// commit. Safe to run in several processes at once: each writes the same.
RefreshResult refresh_derivations(store::LocalStore& store, const std::vector<std::string>& ids);

}  // namespace sheaf::pkg
