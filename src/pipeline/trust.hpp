// Signatures and the trust policy (sign/): `sheaf sign`, `sheaf verify`, and
// the checks pull and run make.
//
// sign     a signature of a stored image for an identity, kept in the store
//          (a blob, and a row of image_signatures): a simple signature made
//          with the user's GnuPG key, which push writes to the lookaside
//          staging store, or a sigstore signature made with a key of
//          sheaf key generate (or cosign), which push writes to the
//          registry under the sha256-<hex>.sig tag.
// verify   a stored image's signatures, or a registry image's (its manifest,
//          the lookaside store and the .sig tag), checked against a keyring,
//          a public key, or the policy.
// policy   pull: the image named by the reference must be accepted before
//          anything is stored. run: a stored image pulled from a registry is
//          checked under the scopes of the references it was pulled from
//          (accepted when one of them accepts it); an image built here is
//          checked under the transport "sheaf", scoped by the name it is run
//          by (docs/formats/trust-policy.md).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "pipeline/registry_common.hpp"
#include "pipeline/session.hpp"
#include "registry/client.hpp"
#include "sign/policy.hpp"
#include "sign/registries_d.hpp"
#include "sign/sigstore.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pipeline {

struct TrustOptions {
  std::optional<std::filesystem::path> policy;        // instead of podman's lookup
  std::optional<std::filesystem::path> registries_d;  // instead of containers/image's directories
};

// How a private key's passphrase is found: given (--passphrase-file,
// SHEAF_PASSPHRASE), else the empty one, else `ask` (a terminal prompt).
struct Passphrase {
  std::optional<std::string> given;
  std::function<std::optional<std::string>()> ask;
};

struct SignOptions {
  std::string image;     // a local image
  std::string identity;  // docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
  std::string sign_by;   // a GnuPG key fingerprint (simple signing), or
  std::string key;       // a private key file (sigstore)
  Passphrase passphrase;
};

struct SignResult {
  Digest manifest;
  Digest signature;      // the signature's blob (for sigstore, its record's)
  std::string identity;  // HOST/REPO:TAG as the payload names it
  std::string kind;      // "simple" or "sigstore"
  std::string signer;    // the fingerprint, or the key id
};

SignResult sign_image(Session& session, const SignOptions& options);

// sheaf key generate: PREFIX.key (cosign's encrypted format, mode 0600) and
// PREFIX.pub (PEM). Refuses to replace either unless `force`; writes
// nothing when it refuses.
struct KeyGenerateOptions {
  sign::KeyAlgorithm algorithm = sign::KeyAlgorithm::ecdsa_p256;
  std::filesystem::path prefix = "sheaf";
  std::string passphrase;  // "" for --no-passphrase
  bool force = false;
};

struct KeyGenerateResult {
  std::filesystem::path private_key, public_key;
  std::string key_id;
};

KeyGenerateResult generate_key(const KeyGenerateOptions& options);

struct VerifyOptions {
  std::string target;  // a local image, or docker://...
  // Check with these keys (matchRepoDigestOrExact against the registry
  // reference, when the image has one) instead of the policy: the simple
  // signatures against a GnuPG keyring, the sigstore ones against a public
  // key.
  std::optional<std::filesystem::path> keyring;
  std::optional<std::filesystem::path> key;
  TrustOptions trust;
  registry::Options registry;
};

struct SignatureReport {
  Digest blob;
  std::string kind;            // "simple" or "sigstore"
  sign::SignatureCheck check;  // without a keyring or key: not checked (problem says so)
};

struct VerifyResult {
  std::string label;
  Digest manifest;
  std::vector<SignatureReport> signatures;
  std::string signatures_from;
  bool accepted = false;
  std::string policy_file;  // "" with --gpg-keyring, or when there is no policy
  std::string scope;
  std::string reason;
};

VerifyResult verify(Session& session, const VerifyOptions& options);

// The trust policy's verdict on a stored image, as sheaf run asks for it
// (`name` is how the user named the image). An image an index holds is
// accepted when that index is. Throws an Error naming the image, the scope
// and what was missing when the policy refuses it.
void require_trusted(Session& session, const std::string& name, const Digest& manifest, const TrustOptions& trust);

// Internals of pull and push.

// An image's signatures of both kinds.
struct ImageSignatures {
  std::vector<std::string> simple;
  std::vector<sign::SigstoreSignature> sigstore;
  std::size_t size() const { return simple.size() + sigstore.size(); }
  bool empty() const { return simple.empty() && sigstore.empty(); }
};

// The policy's verdict on an image about to be pulled; throws when refused.
// Returns the signatures found in the lookaside store and under the .sig
// tag (to keep with the image). A lookaside store or attachment that cannot
// be read is an error only when the policy needs its signatures; otherwise
// `reporter` gets a warning.
ImageSignatures check_pull(Reporter& reporter, registry::Registry& client, const registry::Reference& reference,
                           const Digest& manifest, const TrustOptions& trust, const registry::Options& registry);

// Records the signatures with the image `manifest` in the batch's commit.
// Call add() before the commit, then record() inside it.
class SignatureRows {
 public:
  SignatureRows(store::WriteBatch& batch, const ImageSignatures& signatures);
  void record(store::Index::Transaction& transaction, const Digest& manifest) const;

 private:
  std::vector<std::pair<Digest, std::string>> rows_;  // blob, kind
};

// The sigstore signatures the registry holds for `manifest` in the
// reference's repository (its sha256-<hex>.sig manifest and payloads).
// Throws a ParseError for an attachment that is not one.
ImageSignatures read_sigstore_attachment(registry::Registry& client, const registry::Reference& reference,
                                         const Digest& manifest, std::string* from = nullptr);

// Adds `signatures` to the registry's sha256-<hex>.sig manifest of
// `manifest` in the reference's repository, keeping the signatures it holds
// (as cosign does), after uploading the payloads and the config. Returns the
// number of signatures the manifest holds afterwards.
std::size_t push_sigstore_attachment(Session& session, RegistryPool& pool, const registry::Reference& reference,
                                     const Digest& manifest, const std::vector<sign::SigstoreSignature>& signatures,
                                     unsigned threads);

}  // namespace sheaf::pipeline
