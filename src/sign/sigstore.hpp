// sigstore (cosign) signatures of images, as cosign's SIGNATURE_SPEC and
// containers/image's sigstoreSigned define them: the simple-signing payload
// of type "cosign container image signature", signed with an ECDSA P-256 or
// Ed25519 key, kept in the registry as an OCI image manifest tagged
// sha256-<hex>.sig in the image's repository. Each signature is one layer of
// that manifest: the payload is the layer's blob (media type
// application/vnd.dev.cosign.simplesigning.v1+json), the base64 signature
// its annotation dev.cosignproject.cosign/signature.
//
// In the store a signature is one record (canonical JSON; the bytes that
// make the registry's layer): {"annotations": {...}, "payload": BASE64}.
// docs/formats/sigstore.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "sign/keys.hpp"

namespace sheaf::sign {

inline constexpr std::string_view kSigstorePayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSigstoreSignatureAnnotation = "dev.cosignproject.cosign/signature";
// An attachment manifest over this size, or a payload over this size, is
// refused unread (containers/image reads at most 4 MiB of a manifest).
inline constexpr std::uint64_t kMaxAttachmentSize = std::uint64_t{4} << 20;
inline constexpr std::uint64_t kMaxSigstorePayloadSize = std::uint64_t{4} << 20;

struct SigstoreSignature {
  std::string payload;  // the signed bytes
  // The layer's annotations: the signature (base64), and any certificate,
  // chain or bundle another signer added (kept, not checked).
  std::map<std::string, std::string> annotations;

  Digest payload_digest() const { return Digest::of(payload); }
  // The signature annotation, base64; "" when absent.
  std::string signature_base64() const;
};

// The tag an image's signatures live under: sha256-<hex>.sig.
std::string sigstore_tag(const Digest& manifest);

// Signs `manifest` for `identity` (HOST/REPO:TAG) with `key`.
SigstoreSignature make_sigstore_signature(const PrivateKey& key, const Digest& manifest, const std::string& identity);

std::string render_record(const SigstoreSignature& signature);
// Throws ParseError naming `where`.
SigstoreSignature parse_record(std::string_view bytes, std::string_view where);

// The registry's form: the manifest, its config, and the payload blobs.
struct Attachment {
  std::string manifest;
  std::string config;
  std::vector<std::string> payloads;
};
// Signatures that are the same (payload and annotations) appear once, in
// the order given.
Attachment render_attachment(const std::vector<SigstoreSignature>& signatures);

// One layer of an attachment manifest that holds a signature.
struct AttachmentLayer {
  Digest payload;
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;
};
// The signature layers of an attachment manifest (layers of other media
// types are skipped, as cosign does). Throws ParseError naming `where` for
// a manifest that is not an OCI or Docker image manifest, or whose layers
// are malformed.
std::vector<AttachmentLayer> parse_attachment(std::string_view manifest, std::string_view where);

}  // namespace sheaf::sign
