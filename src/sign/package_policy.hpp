// Package signatures and the policy for package sources.
//
// A package signature is a DSSE envelope (sign/dsse.hpp) of the payload type
// application/vnd.dev.sheaf.package-signature.v1+json, whose body is the
// canonical JSON {"arch": A, "name": N, "package": ID, "version": V}: the
// signer vouches for the package id, the content address of the package
// document (name, version, FileSet and all).
//
// The package policy is a TOML file of sheaf's own
// (docs/formats/package-policy.md), looked up as policy.json is:
// --package-policy FILE, else $HOME/.config/sheaf/package-policy.toml, else
// /etc/sheaf/package-policy.toml. It says, per registry or repository
// prefix, which keys must have signed a registry package:
//
//   [[scope]]
//   prefix = "127.0.0.1:5000/team"       # HOST[:PORT][/PATH], at '/' boundaries; "*" for all
//   keys = ["team.pub", "release.pub"]   # PEM public keys, relative to the file
//   require = 2                          # how many of them; default: all
//   rebuilders = ["a.pub", "b.pub"]      # keys whose rebuild attestations count
//   rebuilds = 2                         # how many of them must have attested; default: all
//
// The longest matching prefix decides. A scope with no keys exempts its
// packages. Packages no scope matches need no signature.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sign/dsse.hpp"
#include "sign/keys.hpp"

namespace sheaf::sign {

struct PackageStatement {
  std::string id, name, version, arch;
};

std::string render_package_statement(const PackageStatement& statement);
// Throws ParseError naming `where`.
PackageStatement parse_package_statement(std::string_view bytes, std::string_view where);

// An envelope signing `statement` with `key`.
Envelope sign_package(const PackageStatement& statement, const PrivateKey& key);

struct PackageScope {
  std::string prefix;  // "*" or HOST[:PORT][/PATH]
  std::vector<std::filesystem::path> keys;
  std::size_t require = 0;
  // Keys whose rebuild attestations count (sign/in_toto.hpp), and how many
  // of them must have attested an equal rebuild; default all.
  std::vector<std::filesystem::path> rebuilders;
  std::size_t rebuilds = 0;
  std::string where;  // FILE:LINE:COLUMN of the scope
};

struct PackagePolicy {
  std::filesystem::path file;
  std::vector<PackageScope> scopes;
};

// Throws ParseError at FILE:LINE:COLUMN.
PackagePolicy parse_package_policy(std::string_view text, const std::filesystem::path& file);

// The policy the host gives; nullopt when there is none.
std::optional<PackagePolicy> load_package_policy(const std::optional<std::filesystem::path>& explicit_file);

// The scope that decides for a registry reference (HOST[:PORT]/REPO[:TAG|@DIGEST],
// without docker://), or nullptr.
const PackageScope* find_package_scope(const PackagePolicy& policy, std::string_view reference);

struct PackageCheck {
  bool accepted = false;
  std::vector<std::string> signed_by;  // the scope's key paths that signed the package
  std::vector<std::string> missing;    // those that did not
  std::vector<std::string> rebuilt_by;       // the scope's rebuilders that attested an equal rebuild
  std::vector<std::string> rebuild_missing;  // those that did not
};

// Which of the scope's keys signed `statement` in one of `envelopes`, and
// which of its rebuilders attested an equal rebuild of it (envelopes of
// another type or for another package count for nothing).
// Throws an Error naming a key file that cannot be read or is not a
// supported public key.
PackageCheck check_package(const PackageScope& scope, const PackageStatement& statement,
                           const std::vector<Envelope>& envelopes);

}  // namespace sheaf::sign
