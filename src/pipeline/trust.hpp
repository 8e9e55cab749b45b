// Signatures and the trust policy (sign/): `sheaf sign`, `sheaf verify`, and
// the checks pull and run make.
//
// sign     a simple signature of a stored image for an identity, made with
//          the user's GnuPG key, kept in the store (a blob, and a row of
//          image_signatures); push writes it to the lookaside staging store.
// verify   a stored image's signatures, or a registry image's (its manifest
//          and the lookaside store), checked against a keyring or against
//          the policy.
// policy   pull: the image named by the reference must be accepted before
//          anything is stored. run: a stored image pulled from a registry is
//          checked under the scopes of the references it was pulled from
//          (accepted when one of them accepts it); an image built here is
//          checked under the transport "sheaf", scoped by the name it is run
//          by (docs/formats/trust-policy.md).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "pipeline/session.hpp"
#include "registry/client.hpp"
#include "sign/policy.hpp"
#include "sign/registries_d.hpp"

namespace sheaf::pipeline {

struct TrustOptions {
  std::optional<std::filesystem::path> policy;        // instead of podman's lookup
  std::optional<std::filesystem::path> registries_d;  // instead of containers/image's directories
};

struct SignOptions {
  std::string image;     // a local image
  std::string identity;  // docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
  std::string sign_by;   // a GnuPG key fingerprint
};

struct SignResult {
  Digest manifest;
  Digest signature;      // the signature's blob
  std::string identity;  // HOST/REPO:TAG as the payload names it
};

SignResult sign_image(Session& session, const SignOptions& options);

struct VerifyOptions {
  std::string target;  // a local image, or docker://...
  // Check with these keys (matchRepoDigestOrExact against the registry
  // reference, when the image has one) instead of the policy.
  std::optional<std::filesystem::path> keyring;
  TrustOptions trust;
  registry::Options registry;
};

struct SignatureReport {
  Digest blob;
  sign::SignatureCheck check;  // without a keyring: not checked (problem says so)
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
// (`name` is how the user named the image). Throws an Error naming the
// image, the scope and what was missing when the policy refuses it.
void require_trusted(Session& session, const std::string& name, const Digest& manifest, const TrustOptions& trust);

// Internals of pull and push.
//
// The policy's verdict on an image about to be pulled; throws when refused.
// Returns the signatures found in the lookaside store (to keep with the image).
// A lookaside store that cannot be read is an error only when the policy
// needs its signatures; otherwise `reporter` gets a warning.
std::vector<std::string> check_pull(Reporter& reporter, const registry::Reference& reference, const Digest& manifest,
                                    const TrustOptions& trust, const registry::Options& registry);

}  // namespace sheaf::pipeline
