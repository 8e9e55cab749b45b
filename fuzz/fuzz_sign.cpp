// What a lookaside store, a registry and the host hand the trust checks, on
// arbitrary bytes: the signed payload (both types), policy.json, a
// docker-reference compared under each identity rule, key files, sigstore
// attachments and records, DSSE envelopes, package statements and the
// package policy. The parsers may only throw ParseError (a public key of an
// unsupported kind: Error); the identity comparison and the scope
// candidates never throw. (Encrypted private keys are left out: a valid
// envelope costs an scrypt of 32 MiB per run.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "sign/gpg.hpp"
#include "sign/dsse.hpp"
#include "sign/keys.hpp"
#include "sign/package_policy.hpp"
#include "sign/payload.hpp"
#include "sign/policy.hpp"
#include "sign/sigstore.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto payload = sheaf::sign::parse_payload(text, "fuzz");
    // What it reads, written again, reads the same.
    auto again = sheaf::sign::parse_payload(sheaf::sign::render_payload(payload), "again");
    if (again.manifest != payload.manifest || again.docker_reference != payload.docker_reference) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto payload = sheaf::sign::parse_payload(text, "fuzz", sheaf::sign::kSigstoreSignatureType);
    auto again = sheaf::sign::parse_payload(sheaf::sign::render_payload(payload, sheaf::sign::kSigstoreSignatureType),
                                            "again", sheaf::sign::kSigstoreSignatureType);
    if (again.manifest != payload.manifest || again.docker_reference != payload.docker_reference) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
  try {
    (void)sheaf::sign::parse_policy(text, "fuzz.json");
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto record = sheaf::sign::parse_record(text, "fuzz");
    if (sheaf::sign::parse_record(sheaf::sign::render_record(record), "again").payload != record.payload) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  } catch (const sheaf::Error&) {
    // canonical_json refuses annotations that are not UTF-8: an Error, not a crash.
  }
  try {
    (void)sheaf::sign::parse_attachment(text, "fuzz");
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto envelope = sheaf::sign::parse_envelope(text, "fuzz");
    (void)sheaf::sign::pae(envelope.payload_type, envelope.payload);
  } catch (const sheaf::ParseError&) {
  }
  try {
    (void)sheaf::sign::parse_package_statement(text, "fuzz");
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto policy = sheaf::sign::parse_package_policy(text, "fuzz.toml");
    (void)sheaf::sign::find_package_scope(policy, "127.0.0.1:5000/team/app:1");
  } catch (const sheaf::ParseError&) {
  }
  try {
    (void)sheaf::sign::PublicKey::from_pem(text, "fuzz.pub");
  } catch (const sheaf::Error&) {
  }
  try {
    (void)sheaf::sign::binary_keyring(text, "fuzz");
  } catch (const sheaf::ParseError&) {
  }
  // Split the input into an image reference and a signed one.
  const std::string s(text);
  const std::size_t cut = s.find('\n');
  const std::string image = s.substr(0, cut), signed_for = cut == std::string::npos ? "" : s.substr(cut + 1);
  for (auto rule : {sheaf::sign::IdentityRule::match_exact, sheaf::sign::IdentityRule::match_repo_digest_or_exact,
                    sheaf::sign::IdentityRule::match_repository, sheaf::sign::IdentityRule::exact_reference,
                    sheaf::sign::IdentityRule::exact_repository, sheaf::sign::IdentityRule::remap_identity}) {
    sheaf::sign::SignedIdentity id;
    id.rule = rule;
    id.reference = id.repository = id.prefix = image;
    id.signed_prefix = signed_for;
    std::string why;
    (void)sheaf::sign::identity_matches(id, image, signed_for, &why);
  }
  (void)sheaf::sign::scope_candidates("docker", image);
  (void)sheaf::sign::scope_candidates("sheaf", image);
  return 0;
}
