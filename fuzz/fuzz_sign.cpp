// What a lookaside store and the host hand the trust checks, on arbitrary
// bytes: the signed payload, policy.json, a docker-reference compared under
// each identity rule, and key files. The parsers may only throw ParseError;
// the identity comparison and the scope candidates never throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "sign/gpg.hpp"
#include "sign/payload.hpp"
#include "sign/policy.hpp"

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
    (void)sheaf::sign::parse_policy(text, "fuzz.json");
  } catch (const sheaf::ParseError&) {
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
