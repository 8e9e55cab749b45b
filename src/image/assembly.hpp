// The assembly layer: the few derived files an image needs, which Debian
// would make with maintainer scripts that sheaf never runs. It is a FileSet
// like any package's, stored as the package "sheaf-assembly", and it is the
// image's last layer.
//
//   etc/passwd, etc/group  root, nobody (and nogroup), Debian's fixed
//                          accounts the members need, the accounts their
//                          scripts add, the spec's [[users]] and [[groups]]
//                          (image/accounts.hpp); a user whose gid names no
//                          group gets a group of its own name
//   etc/shadow, gshadow    when a member ships PAM configuration
//   effects                what the members' maintainer scripts would have
//                          done: alternatives, paths, owners and modes,
//                          diversions (image/effects.hpp)
//   etc/os-release         when no package ships one
//   etc/debian_version     likewise, the release number ("12"), for scanners
//   tmp                    mode 1777, when no package ships it
//   dev, proc, sys         empty mount points (0755, 0555, 0555), likewise
//   bin, sbin, lib*        the merged-/usr links (bin -> usr/bin) for every
//                          usr/<dir> some package fills
//   etc/ssl/certs/...      with ca-certificates: ca-certificates.crt (every
//                          certificate under usr/share/ca-certificates, then
//                          usr/local/share/ca-certificates, in byte order of
//                          path, each ending in a newline), one NAME.pem
//                          link per certificate and the HASH.N links of
//                          `openssl rehash`, as update-ca-certificates
//                          writes them
//   etc/ssl/certs/java/cacerts  with ca-certificates-java: the same
//                          certificates as a JKS keystore (image/java_keystore.hpp)
//   etc/ld.so.cache        when a library lives outside the system search
//                          path, in a directory ld.so.conf names
//                          (image/ld_cache.hpp)
//   [[paths]]              as the spec declares them
//
// The content is a pure function of the spec and the image's packages.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fileset/manifest.hpp"
#include "image/effects.hpp"
#include "image/paths.hpp"
#include "spec/spec.hpp"

namespace sheaf::image {

// What /etc/os-release says, from the lock's suites.
struct OsRelease {
  std::string codename;    // "bookworm"
  std::string version_id;  // "12", or "" when the codename is not a known release

  // How purls ("debian-12"), OSV ("Debian:12") and SBOMs name the release:
  // the version, or the codename when there is none.
  const std::string& release() const { return version_id.empty() ? codename : version_id; }
};

// The release a suite belongs to: "bookworm-security" -> bookworm, 12.
OsRelease os_release_for_suite(std::string_view suite);

struct Assembly {
  fileset::Manifest manifest;
  std::map<Digest, std::string> contents;  // the bytes of new file contents (others are members' objects)
  std::vector<std::string> notes;          // what was derived, for the build's output
  std::vector<std::string> warnings;       // what could not be applied, and what is left to run time
  std::vector<Suggestion> suggestions;
  // Paths where the assembly's entry replaces a member's on purpose, and why.
  std::map<std::string, std::string> overrides;
  deb::ScriptEffects applied;  // what the effects did (image/effects.hpp)
};

// Reads a file entry's content from wherever the packages live.
using ContentReader = std::function<std::string(const fileset::Entry&)>;

struct AssemblyOptions {
  std::string arch;  // the image's, for the multiarch library directories
  // An empty scratch directory for ld.so.cache (image/ld_cache.hpp); empty:
  // make no cache.
  std::filesystem::path scratch;
  // The members' derived effects and needs (image/effects.hpp), and the
  // diversions that set entries aside in `tree`.
  std::vector<MemberEffects> members;
  std::vector<const std::vector<deb::ProgramNeed>*> needs;
  std::vector<PlannedDiversion> diversions;
};

// `tree` holds the image's packages (assembly not included).
Assembly make_assembly(const spec::Spec& spec, const std::optional<OsRelease>& os, const ImageTree& tree,
                       const ContentReader& read, const AssemblyOptions& options = {});

}  // namespace sheaf::image
