// Package signatures (sign/package_policy.hpp) through the store and the
// registry, and the package policy at build time.
//
// pkg sign   a DSSE envelope of the package statement, signed with a key
//            of sheaf key generate, kept in the store (a blob and a row of
//            package_signatures).
// pkg push   each envelope travels as a referrer of the package artifact:
//            an artifact manifest of type application/vnd.dsse.envelope.v1+json
//            whose one layer is the envelope and whose subject is the
//            package's artifact manifest (referrers API, else the fallback
//            tag sha256-<hex>); envelopes pushed by others stay listed.
// pull       pkg pull and a spec's registry packages take the envelopes
//            listed for the artifact into the store with the package.
// build      every locked registry package under a scope of the package
//            policy must carry the signatures the scope asks for: those in
//            the store, else those the registry lists for its artifact.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oci/documents.hpp"
#include "pipeline/registry_common.hpp"
#include "pipeline/session.hpp"
#include "pipeline/trust.hpp"
#include "repo/lockfile.hpp"
#include "sign/dsse.hpp"

namespace sheaf::pipeline {

struct PackageSignOptions {
  std::string package;  // a package reference (pkg/package_ref.hpp)
  std::string key;      // a private key file
  Passphrase passphrase;
};

struct PackageSignResult {
  std::string name, version, id;
  Digest envelope;
  std::string key_id;
};

PackageSignResult sign_package(Session& session, const PackageSignOptions& options);

// The envelope blobs of a package's signatures, to upload, and the
// referrer artifacts that carry them with `subject` (the package
// artifact's manifest).
struct PackageSignatureArtifacts {
  std::vector<UploadBlob> blobs;
  std::vector<Referrer> referrers;
};
PackageSignatureArtifacts package_signature_artifacts(store::LocalStore& store, const std::string& id,
                                                      const oci::Descriptor& subject);

// The envelopes the registry lists for the package artifact `artifact` of
// `ref`'s repository, as bytes; listed artifacts that are not envelopes of
// a package signature are skipped. Each is at most kMaxEnvelope bytes.
inline constexpr std::uint64_t kMaxEnvelope = std::uint64_t{1} << 20;
std::vector<std::string> fetch_package_signatures(registry::Registry& registry, const registry::Reference& ref,
                                                  const Digest& artifact, const std::string& label);

// Adds envelopes to a write batch and records them (inside its commit).
class PackageSignatureRows {
 public:
  PackageSignatureRows(store::WriteBatch& batch, const std::vector<std::string>& envelopes);
  void record(store::Index::Transaction& transaction, const std::string& package) const;
  std::size_t size() const { return rows_.size(); }

 private:
  std::vector<std::pair<Digest, std::string>> rows_;  // blob, keyid
};

// The stored signatures of a package, parsed.
std::vector<sign::Envelope> stored_package_signatures(store::LocalStore& store, const std::string& id);

// Checks each registry package of `lock` against the package policy
// (`policy_file`, else the host's). Throws an Error naming the package, the
// scope and the keys whose signatures are missing.
void check_package_policy(Session& session, const repo::Lockfile& lock,
                          const std::optional<std::filesystem::path>& policy_file);

}  // namespace sheaf::pipeline
