// The parts of a recipe build that are not the sandbox: what decides its
// output (the inputs, their key and the origin the package records), the
// sources checked against their pins and laid out for the steps, and the
// destination directory turned into the package's FileSet.
//
// pipeline/recipe.hpp sequences them: lock and fetch the environment,
// answer from the cache when the key is known, else compose and mount the
// environment, prepare the sources, run the steps, add the output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/digest.hpp"
#include "fileset/manifest.hpp"
#include "spec/recipe.hpp"

namespace sheaf::build {

// Bumped when the sandbox or the way outputs are made changes what a build
// of the same inputs gives: part of every key.
inline constexpr int kBuildFormat = 2;  // 2: Depends gains the shared libraries' packages

// Everything a build's output is a function of. Paths and times are not:
// the same recipe in another directory, on another day, has the same key.
struct RecipeInputs {
  Digest recipe;  // sha256 of the recipe file's bytes (it pins the sources)
  std::vector<std::pair<std::string, std::string>> sources;  // (path as written, pinned digest), in recipe order
  std::vector<std::string> environment;                      // package ids, sorted
  std::string arch;

  // "sha256:<hex>" of the canonical JSON of the above and kBuildFormat.
  std::string key() const;
  // The origin the built package records (canonical JSON), which is also
  // how the cache finds it: {"type":"recipe","key":...,"recipe":...,
  // "sources":[{"path":...,"digest":...}],"environment":[...],"arch":...}.
  std::string origin() const;
};

// The pin a source would need: "sha256:<hex>" of a file, or the FileSet id
// of a directory (owners recorded as root, as the build sees them).
std::string pin_of(const std::filesystem::path& path);

struct PreparedSources {
  // The newest entry time of the recipe's archives; none when it has none.
  std::optional<std::int64_t> newest_archive_entry;
  // The recipe's source_date_epoch, else a Debian source package's
  // changelog date, else the newest archive entry.
  std::int64_t source_date_epoch = 0;
};

// Checks every source but the Debian source packages (debian_source.hpp
// unpacks those, first) against its pin and writes it below `dir` (the
// build's /build/src): a file copied (mode 0644, or 0755 when executable),
// an archive unpacked (entry times kept, owners not; nothing outside `dir`,
// no devices), a directory copied. Archives come first; files and
// directories then take the time SOURCE_DATE_EPOCH: the recipe's, else
// `debian_changelog_date` (a Debian source package's), else the newest
// archive entry's. Throws an Error naming the source, its pin and what it
// is, before anything runs.
PreparedSources prepare_sources(const spec::Recipe& recipe, const std::filesystem::path& dir,
                                std::optional<std::int64_t> debian_changelog_date = std::nullopt);

// The destination's FileSet as the package holds it: every entry root's
// unless an [[owners]] glob gives it another owner (the last match wins).
// Refuses a symlink that climbs out of the package's root or points into
// /build (neither exists in an image), naming it.
fileset::Manifest shape_output(const fileset::Manifest& manifest, const std::vector<spec::RecipeOwner>& owners);

}  // namespace sheaf::build
