// OpenPGP through GnuPG's own programs: `gpg` signs with the user's keyring
// (its agent asks for a passphrase as it always does), and `gpgv` verifies
// against exactly the public keys a policy names, in a keyring of their own.
// Nothing here trusts the user's keyring for verification. (Why programs
// and not gpgme: docs/decisions.md, "Simple signing through gpg and gpgv".)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sheaf::sign {

// Public keys as policy.json's keyPath, keyPaths and keyData give them, or
// --gpg-keyring: binary OpenPGP packets, or ASCII armor (one or more
// "PUBLIC KEY BLOCK"s). Returns the binary keyring gpgv reads. Throws
// ParseError naming `where` for armor that does not decode.
std::string binary_keyring(std::string_view bytes, std::string_view where);

struct VerifiedSignature {
  std::string fingerprint;          // the key that made it (a subkey, perhaps)
  std::string primary_fingerprint;  // its primary key's
  std::string payload;              // the signed bytes
};

struct Verification {
  std::optional<VerifiedSignature> verified;
  std::string problem;  // why not, when not: "the signature is BAD: ..."
};

// Checks an OpenPGP signed message (what simple signing stores) with the
// keys of `keyring` (binary_keyring's form) only. A message must carry
// exactly one signature, as containers/image requires. Throws only when
// gpgv cannot be run at all.
Verification verify_signed_message(std::string_view signature, std::string_view keyring);

// Signs `payload` with the user's key `key` (a fingerprint: 40 or 64 hex
// digits, or a 16-digit key id) and returns the signed message. Checks the
// result with the key's exported public key before returning it, so that
// what is stored verifies. Throws an Error naming the key when gpg fails.
std::string sign_with_gpg(std::string_view payload, std::string_view key);

}  // namespace sheaf::sign
