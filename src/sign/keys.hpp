// Signing keys for sigstore signatures and DSSE envelopes: ECDSA P-256
// (cosign's default, SHA-256 and an ASN.1 DER signature) and Ed25519 (pure,
// deterministic). Public keys are PEM SubjectPublicKeyInfo, what
// policy.json's keyPath names. Private keys are kept in cosign's encrypted
// format, so that one key serves sheaf, cosign and skopeo
// --sign-by-sigstore-private-key:
//
//   -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
//   base64 of {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},
//              "salt":B64},"cipher":{"name":"nacl/secretbox","nonce":B64},
//              "ciphertext":B64}
//   -----END ENCRYPTED SIGSTORE PRIVATE KEY-----
//
// where the ciphertext is the PKCS#8 DER private key sealed by NaCl's
// secretbox (XSalsa20-Poly1305) under scrypt(passphrase, salt). A key made
// with --no-passphrase is the same format with the empty passphrase.
// docs/formats/keys.md.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace sheaf::sign {

enum class KeyAlgorithm { ecdsa_p256, ed25519 };

std::string_view describe(KeyAlgorithm algorithm);   // "ECDSA P-256", "Ed25519"
std::string_view flag_name(KeyAlgorithm algorithm);  // "ecdsa-p256", "ed25519"
std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view name);

// The passphrase did not open the key's secretbox.
class WrongPassphrase : public Error {
 public:
  using Error::Error;
};

class PublicKey {
 public:
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo). Throws ParseError naming
  // `where`, and an Error for a key of another kind (RSA, another curve).
  static PublicKey from_pem(std::string_view pem, std::string_view where);

  KeyAlgorithm algorithm() const { return algorithm_; }
  std::string pem() const;
  std::string der() const;  // SubjectPublicKeyInfo
  // sha256:<hex> of the DER form: how envelopes and messages name the key.
  std::string key_id() const;
  // Whether `signature` is this key's signature of `message`.
  bool verify(std::string_view message, std::string_view signature) const;

  struct Handle;
  PublicKey(std::shared_ptr<Handle> handle, KeyAlgorithm algorithm) : handle_(std::move(handle)), algorithm_(algorithm) {}

 private:
  std::shared_ptr<Handle> handle_;
  KeyAlgorithm algorithm_;
};

class PrivateKey {
 public:
  static PrivateKey generate(KeyAlgorithm algorithm);

  // Reads cosign's encrypted format (the label ENCRYPTED SIGSTORE PRIVATE
  // KEY, or the older ENCRYPTED COSIGN PRIVATE KEY). Throws WrongPassphrase
  // when the passphrase does not open it, ParseError naming `where` for a
  // file that is not the format, and an Error for an unsupported key kind.
  static PrivateKey from_encrypted_pem(std::string_view pem, std::string_view passphrase, std::string_view where);

  KeyAlgorithm algorithm() const { return algorithm_; }
  // The key in cosign's encrypted format, sealed with `passphrase`.
  std::string encrypted_pem(std::string_view passphrase) const;
  PublicKey public_key() const;
  // ECDSA P-256 over SHA-256 (DER, randomised), or pure Ed25519.
  std::string sign(std::string_view message) const;

  struct Handle;
  PrivateKey(std::shared_ptr<Handle> handle, KeyAlgorithm algorithm) : handle_(std::move(handle)), algorithm_(algorithm) {}

 private:
  std::shared_ptr<Handle> handle_;
  KeyAlgorithm algorithm_;
};

// Opens the JSON envelope inside the PEM block and returns the sealed
// bytes. Throws WrongPassphrase, or ParseError naming `where` for an
// envelope that is not the format (or has scrypt parameters other than
// cosign's: N 32768, 65536 or 131072, r 8, p 1).
std::string open_envelope(std::string_view envelope, std::string_view passphrase, std::string_view where);

// Reads a private key file: `passphrase` when given; else the empty
// passphrase, and then `ask` (a prompt on a terminal) when that does not
// open it. Throws an Error that says how to give the passphrase when
// neither opens it.
PrivateKey load_private_key(const std::string& path, const std::optional<std::string>& passphrase,
                            const std::function<std::optional<std::string>()>& ask);

// Reads a public key file (PEM). Throws naming the path.
PublicKey load_public_key(const std::string& path);

}  // namespace sheaf::sign
