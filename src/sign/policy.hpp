// containers' trust policy (policy.json), read with the meaning
// containers/image gives it (containers-policy.json(5)): a default list of
// requirements, and lists per transport and scope. Every requirement of the
// list that applies must hold.
//
//   insecureAcceptAnything   accepts
//   reject                   refuses
//   signedBy                 keyType GPGKeys, and exactly one of keyPath,
//                            keyPaths or keyData; a simple signature by one
//                            of those keys, for this manifest, whose
//                            identity passes signedIdentity (default
//                            matchRepoDigestOrExact)
//   sigstoreSigned           exactly one of keyPath, keyPaths, keyData or
//                            keyDatas (PEM public keys, ECDSA P-256 or
//                            Ed25519); a sigstore signature by one of them,
//                            for this manifest, whose identity passes
//                            signedIdentity. fulcio, pki and the rekor
//                            fields are parsed, and refused where they
//                            apply: sheaf checks keys, not certificates or
//                            transparency logs.
//
// Images come from two transports here: "docker" (an image pulled from a
// registry, under the scope of the reference it was pulled from), and
// "sheaf" (an image built in this store, under its local name). sheaf's own
// transport is one podman ignores (containers/image skips transports it
// does not know), so one file serves both. docs/formats/trust-policy.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "sign/keys.hpp"
#include "sign/sigstore.hpp"

namespace sheaf::sign {

enum class IdentityRule {
  match_exact,
  match_repo_digest_or_exact,
  match_repository,
  exact_reference,
  exact_repository,
  remap_identity
};

struct SignedIdentity {
  IdentityRule rule = IdentityRule::match_repo_digest_or_exact;
  std::string reference;   // exactReference's dockerReference
  std::string repository;  // exactRepository's dockerRepository
  std::string prefix, signed_prefix;  // remapIdentity's
};

enum class RequirementType { insecure_accept_anything, reject, signed_by, sigstore_signed };

struct Requirement {
  RequirementType type = RequirementType::reject;
  std::string where;  // FILE: at default[0]
  // signedBy and sigstoreSigned:
  std::string key_type;                          // signedBy's
  std::vector<std::filesystem::path> key_paths;  // keyPath or keyPaths
  std::vector<std::string> key_datas;            // keyData or keyDatas, decoded
  SignedIdentity identity;
  // sigstoreSigned: the fields sheaf does not check (fulcio, pki,
  // rekorPublicKey...), which make the requirement refuse where it applies.
  std::vector<std::string> unsupported;
};

struct Policy {
  std::filesystem::path file;
  std::vector<Requirement> defaults;
  // transport -> scope -> requirements, in the file's order.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::vector<Requirement>>>>> transports;
};

// Parses policy.json. Throws ParseError naming the file and the place: the
// line and column of a syntax error, the path of the field otherwise
// ("transports.docker[\"127.0.0.1:5000/app\"][0]: signedBy needs keyPath,
// keyPaths or keyData").
Policy parse_policy(std::string_view text, const std::filesystem::path& file);

// The policy the host gives, looked up as podman does: `explicit_file`
// when given (it must exist), else $HOME/.config/containers/policy.json when
// it exists, else /etc/containers/policy.json when it exists. nullopt when
// there is none: everything is accepted then, as before there was a policy.
std::optional<Policy> load_policy(const std::optional<std::filesystem::path>& explicit_file);

// The lookup both policy files share: `explicit_file` when given (it must
// be readable), else $HOME/`under_home` when it exists, else `system_file`
// when it exists. Returns the file and its text; nullopt when there is none.
std::optional<std::pair<std::filesystem::path, std::string>> read_config_file(
    const std::optional<std::filesystem::path>& explicit_file, const std::string& under_home,
    const std::filesystem::path& system_file, std::string_view what);

// What a policy is asked about.
struct Subject {
  std::string transport;  // "docker" or "sheaf"
  // docker: HOST/REPO:TAG or HOST/REPO@sha256:HEX, as pulled;
  // sheaf: NAME:TAG, or "" when the image was named by digest.
  std::string identity;
  std::string label;   // how messages name the image
  Digest manifest;     // what a signature must name (the manifest the reference gives)
  std::vector<std::string> signatures;  // simple signatures found for it
  std::string signatures_from;          // where they were looked for, for messages
  std::vector<SigstoreSignature> sigstore;  // sigstore signatures found for it
  std::string sigstore_from;                // where they were looked for
};

struct Decision {
  bool accepted = false;
  std::string scope;   // "transports.docker[\"127.0.0.1:5000/app\"]" or "default"
  std::string reason;  // when refused: what was missing or wrong
  std::vector<std::string> signers;  // fingerprints of the signatures accepted
};

// Evaluates every requirement of the subject's scope. Throws an Error for a
// requirement sheaf cannot evaluate (a key file that cannot be read, a
// sigstoreSigned that asks for fulcio or rekor).
Decision evaluate(const Policy& policy, const Subject& subject);

// The scopes that apply to an identity, most specific first, as
// containers/image tries them: for docker, HOST/REPO:TAG, HOST/REPO, each
// shorter namespace, HOST, then *.DOMAIN wildcards.
// Whether any requirement of the subject's scope looks at signatures of
// this kind (so that they must be read before evaluate).
bool needs_simple_signatures(const Policy& policy, const std::string& transport, const std::string& identity);
bool needs_sigstore_signatures(const Policy& policy, const std::string& transport, const std::string& identity);

std::vector<std::string> scope_candidates(const std::string& transport, const std::string& identity);

// Whether a signature's docker-reference passes `rule` for an image pulled
// as `image` (both HOST/REPO[:TAG|@DIGEST]). `why` gets the reason when not.
bool identity_matches(const SignedIdentity& rule, const std::string& image, const std::string& signed_reference,
                      std::string* why = nullptr);

std::string describe(IdentityRule rule);

// One simple signature checked against `keyring` (binary keys): made by one
// of the keys, naming `manifest`, and, when `rule` is given, signed for an
// identity the rule accepts for `image_identity`.
struct SignatureCheck {
  bool accepted = false;
  std::string signer;    // the key's fingerprint, when the signature is good
  std::string identity;  // the docker-reference it names, when readable
  std::string problem;   // why not, when not accepted
};
SignatureCheck check_signature(std::string_view signature, std::string_view keyring, const Digest& manifest,
                               const std::optional<SignedIdentity>& rule, const std::string& image_identity);

// One signature checked against `keys`: by one of them, of a payload of the
// sigstore type naming `manifest`, and, when `rule` is given, signed for an
// identity the rule accepts for `image_identity`.
SignatureCheck check_sigstore_signature(const SigstoreSignature& signature, const std::vector<PublicKey>& keys,
                                        const Digest& manifest, const std::optional<SignedIdentity>& rule,
                                        const std::string& image_identity);

}  // namespace sheaf::sign
