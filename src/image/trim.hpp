// Trimming: an image narrowed to the files its workloads used, still a set
// of packages (docs/formats/trim.md).
//
// Each member becomes a trimmed package: the same name, version, arch and
// relations, its FileSet narrowed to
//   - the entries the workloads used (opened, executed, stat-ed, read as a
//     link, listed, or walked through),
//   - the entries a keep glob covers,
//   - its dpkg status stanza (var/lib/dpkg/status.d/NAME), so that scanners
//     still see the package,
//   - and the directories above each of those that it holds.
// A member is used when a workload used a file or link of it or a keep glob
// covers one of its entries; a directory the workloads used that no used
// member holds makes the first member that holds it used. Members nothing used drop out, so a
// trimmed image is exempt from the closure check; its profile says so.
//
// A trimmed package is a function of the package, the drop filter and the
// used paths, so its layer is too: the same image and profile give the same
// digest. The profile, recorded beside the image (image/sources.hpp), is
// what `sheaf image update` applies again to the updated set.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fileset/manifest.hpp"
#include "spec/spec.hpp"

namespace sheaf::image {

// What a trim is made from.
struct TrimInput {
  std::string source;                     // the traced image's manifest digest
  std::vector<spec::Workload> workloads;  // as run
  std::vector<std::string> keep;          // globs
  std::set<std::string> used;             // paths, "/usr/bin/python3"
};

struct TrimmedPackage {
  std::string name;
  std::string version;
  std::string from;               // the package's id before trimming
  std::string id;                 // the trimmed package's id
  std::uint64_t entries = 0;      // before
  std::uint64_t kept = 0;         // after
  std::vector<std::string> used;  // the used paths it holds, sorted
};

struct DroppedPackage {
  std::string name;
  std::string version;
  std::string id;
};

struct TrimProfile {
  std::string source;
  std::vector<spec::Workload> workloads;
  std::vector<std::string> keep;
  std::vector<TrimmedPackage> packages;  // by name
  std::vector<DroppedPackage> dropped;   // by name

  // Every path the workloads used, as the packages record them.
  std::set<std::string> used() const;
  // The ids the image held before trimming: what an update starts from.
  std::vector<std::string> untrimmed_ids() const;
};

nlohmann::json trim_profile_json(const TrimProfile& profile);
// Throws an Error naming `label` and the field when `doc` is not a profile.
TrimProfile parse_trim_profile(const nlohmann::json& doc, const std::string& label);

// One member's part of a trim.
struct MemberTrim {
  bool used = false;
  fileset::Manifest manifest;      // what stays
  std::vector<std::string> paths;  // the used paths it holds, "/..."
};

// Narrows every member's FileSet (after drop_paths) at once: `names` gives
// each member's package name (for its status stanza). Paths in `used` are
// absolute, FileSets' relative.
std::vector<MemberTrim> trim_members(const std::vector<const fileset::Manifest*>& manifests,
                                     const std::vector<std::string>& names, const std::set<std::string>& used,
                                     const std::vector<std::string>& keep);

// The used paths a package of `before` held that no package of `after`
// holds: what an update of a trimmed image lost. One entry per package.
struct LostPaths {
  std::string name;
  std::string version;
  std::vector<std::string> paths;
};
std::vector<LostPaths> lost_paths(const TrimProfile& before, const TrimProfile& after);

// The keep globs that cover no entry of any of `manifests`: `sheaf trim`
// warns about each.
std::vector<std::string> unmatched_keeps(const std::vector<const fileset::Manifest*>& manifests,
                                         const std::vector<std::string>& keep);

}  // namespace sheaf::image
