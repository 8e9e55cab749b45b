// DSSE, the in-toto signed envelope: the one envelope for everything sheaf
// signs besides images (package signatures now; provenance and rebuild
// attestations next). The signature covers the pre-authentication encoding
//
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// (LEN in ASCII decimal), so that the payload type is signed with the body.
// The envelope is JSON: {"payload": BASE64, "payloadType": TYPE,
// "signatures": [{"keyid": KEYID, "sig": BASE64}]}; sheaf writes it as
// canonical JSON and names keys by PublicKey::key_id(). docs/formats/dsse.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sign/keys.hpp"

namespace sheaf::sign {

// The payload type of a package signature; its body is the canonical JSON
// {"arch": A, "name": N, "package": ID, "version": V}.
inline constexpr std::string_view kPackageSignatureType = "application/vnd.dev.sheaf.package-signature.v1+json";
// The media type of an envelope as a blob or an artifact.
inline constexpr std::string_view kEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";

struct EnvelopeSignature {
  std::string keyid;
  std::string sig;  // raw signature bytes
};

struct Envelope {
  std::string payload_type;
  std::string payload;  // raw bytes
  std::vector<EnvelopeSignature> signatures;
};

std::string pae(std::string_view type, std::string_view body);

// An envelope of `payload` signed by `key`.
Envelope sign_envelope(std::string_view payload_type, std::string_view payload, const PrivateKey& key);

std::string render_envelope(const Envelope& envelope);
// Throws ParseError naming `where` for anything but an envelope with at
// least one signature.
Envelope parse_envelope(std::string_view bytes, std::string_view where);

// The key ids of `keys` that made a valid signature of the envelope.
std::vector<std::string> envelope_signers(const Envelope& envelope, const std::vector<PublicKey>& keys);

}  // namespace sheaf::sign
