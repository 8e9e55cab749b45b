// The simple-signing payload: the JSON document an OpenPGP signature covers,
// naming an image's manifest digest and the reference it is signed for
// (containers/image's "atomic container signature", as skopeo copy
// --sign-by makes it and podman checks it; docs/formats/signatures.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/digest.hpp"

namespace sheaf::sign {

inline constexpr std::string_view kSignatureType = "atomic container signature";
// The same payload, as sigstore (cosign) signatures carry it.
inline constexpr std::string_view kSigstoreSignatureType = "cosign container image signature";

struct Payload {
  Digest manifest;               // critical.image.docker-manifest-digest
  std::string docker_reference;  // critical.identity.docker-reference: HOST/REPO[:TAG|@DIGEST]
  std::optional<std::string> creator;     // optional.creator
  std::optional<std::int64_t> timestamp;  // optional.timestamp (seconds)
};

// The payload as containers/image writes it (keys sorted, no spaces), of the
// given type. A sigstore payload with neither creator nor timestamp has
// "optional": null, as cosign writes it.
std::string render_payload(const Payload& payload, std::string_view type = kSignatureType);

// Reads a payload as containers/image does: `critical` must hold exactly
// type, image and identity, each exactly its one field; `optional` must be
// an object (or, for a sigstore payload, null), whose creator (a string)
// and timestamp (an integer) are read and whose other fields are ignored;
// the type must be `type`. Throws ParseError naming `where`.
Payload parse_payload(std::string_view bytes, std::string_view where, std::string_view type = kSignatureType);

}  // namespace sheaf::sign
