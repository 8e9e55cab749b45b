// The members' derived effects, made real in the assembly: what Debian's
// maintainer scripts would have done to the image, and what the image lacks
// that Debian's Essential set would have given (docs/formats/image.md,
// "Effects of maintainer scripts"; docs/decisions.md).
//
// Every effect was derived at import (pkg/derived.hpp) and is validated
// again here before it touches the image: paths stay inside the image,
// account names are ones [[users]] accepts, and nothing outside the
// assembly changes. The result is a function of the members' effects, the
// tree and the spec, never of the order packages are listed in.
//
//   alternatives   per name, the candidate with the highest priority whose
//                  target exists (ties: the package name, then the path,
//                  in byte order), or the spec's [alternatives] choice:
//                  LINK -> /etc/alternatives/NAME -> PATH, its slaves whose
//                  targets exist, and var/lib/dpkg/alternatives/NAME
//   accounts       image/accounts.hpp, and the homes adduser would make
//   paths          directories, empty files, symlinks and copies of a
//                  member's file that the scripts make, unless the path
//                  exists
//   attributes     chown, chgrp, chmod and dpkg-statoverride on a path: the
//                  assembly carries the entry with its new owner and mode,
//                  which replaces the member's (it is the last layer)
//   diversions     dpkg-divert of a path another member ships: that member's
//                  entry moves to the new name, and the assembly carries the
//                  diverter's entry at the old one
//   Java           with ca-certificates-java, etc/ssl/certs/java/cacerts: the
//                  CA bundle as a JKS keystore (image/java_keystore.hpp)
//   shadow         etc/shadow and etc/gshadow when a member ships PAM
//                  configuration (etc/pam.d), which reads them
// Secrets and per-host state (host keys, snake-oil certificates, database
// clusters) are never made: the build warns, naming the package.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "deb/program_needs.hpp"
#include "deb/script_effects.hpp"
#include "fileset/manifest.hpp"
#include "image/accounts.hpp"
#include "image/paths.hpp"
#include "spec/spec.hpp"

namespace sheaf::image {

// A package the build suggests including, with why: printed as
// "suggestion: include PACKAGE (REASON)".
struct Suggestion {
  std::string package;
  std::string reason;
  bool operator==(const Suggestion&) const = default;
};

// A path one member ships and another diverts (dpkg-divert): the shipping
// member's entry is set aside (ImageTree::add) and reappears at `to`.
struct PlannedDiversion {
  std::string path;  // relative, as a FileSet has it
  std::string to;    // relative
  std::size_t diverter = 0;  // index into the members
  std::string script;
};

// Which members' paths diversions set aside: member index -> paths. A
// diversion of a path its diverter does not ship cannot hide the other's
// (a layer has no whiteouts here): it is left out with a note.
std::map<std::size_t, std::set<std::string>> plan_diversions(const std::vector<MemberEffects>& members,
                                                             const std::vector<const fileset::Manifest*>& manifests,
                                                             std::vector<PlannedDiversion>& planned,
                                                             std::vector<std::string>& notes);

struct EffectsOutcome {
  std::vector<fileset::Entry> entries;     // what the assembly adds or replaces
  std::map<Digest, std::string> contents;  // the bytes of new files among them
  // Paths where the assembly's entry deliberately differs from a member's,
  // with the reason ("chown www-data:adm by nginx-common postinst").
  std::map<std::string, std::string> overrides;
  AccountTable accounts;
  bool shadow = false;
  // What was applied, for `image show` and the SBOM: kept as the assembly
  // package's effects, each item's `script` naming "PACKAGE SCRIPT".
  deb::ScriptEffects applied;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  std::vector<Suggestion> suggestions;
};

struct EffectsInput {
  const spec::Spec* spec = nullptr;
  const ImageTree* tree = nullptr;  // the members' entries, diversions set aside
  // What the assembly holds before the effects (its skeleton and merged-/usr
  // links): seen by the effects, never returned by them.
  std::vector<fileset::Entry> base;
  std::vector<MemberEffects> members;
  // One per member (nullptr: none). Suggestions come from the programs of
  // the spec's included packages and of what they depend on directly, and
  // from the entrypoint: not from every helper deep in the closure, nor
  // from Essential packages, whose tools assume the whole Essential set.
  std::vector<const std::vector<deb::ProgramNeed>*> needs;
  std::vector<PlannedDiversion> diversions;
  std::function<std::string(const fileset::Entry&)> read;  // a file entry's bytes
};

EffectsOutcome apply_effects(const EffectsInput& input);

// A mode as a script writes it ("0750", "640", "g+w", "u=rwx,go=rx")
// applied to `current`; nullopt when it is neither.
std::optional<std::uint32_t> apply_mode(std::string_view mode, std::uint32_t current, bool is_dir);

}  // namespace sheaf::image
