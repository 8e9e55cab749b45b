#include "sign/keys.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "base/base64.hpp"
#include "base/digest.hpp"

namespace sheaf::sign {

using nlohmann::json;

struct PublicKey::Handle {
  EVP_PKEY* key = nullptr;
  ~Handle() { EVP_PKEY_free(key); }
};
struct PrivateKey::Handle {
  EVP_PKEY* key = nullptr;
  ~Handle() { EVP_PKEY_free(key); }
};

namespace {

constexpr std::string_view kEncryptedLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
constexpr std::string_view kOlderEncryptedLabel = "ENCRYPTED COSIGN PRIVATE KEY";
constexpr std::size_t kSaltSize = 32;

using MdContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// A string whose bytes are wiped when it goes: passphrases, derived keys and
// private key DER.
struct Secret {
  std::string bytes;
  ~Secret() { sodium_memzero(bytes.data(), bytes.size()); }
};

void init_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) fail("libsodium could not be initialised");
}

// The key's kind, or an Error naming what it is instead.
KeyAlgorithm algorithm_of(EVP_PKEY* key, std::string_view where) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return KeyAlgorithm::ed25519;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &length) == 1 &&
        (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256")) {
      return KeyAlgorithm::ecdsa_p256;
    }
    fail("{}: an ECDSA key on the curve {}; sheaf signs and verifies with ECDSA P-256 or Ed25519 keys", where,
         group[0] ? group : "(unknown)");
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  std::string kind = name ? name : "unknown";
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS) kind = "RSA";
  fail("{}: an {} key; sheaf signs and verifies with ECDSA P-256 or Ed25519 keys (sheaf key generate makes one)",
       where, kind);
}

// The base64 body of the first PEM block labelled `label`, or nullopt.
std::optional<std::string> pem_body(std::string_view pem, std::string_view label, std::string_view where) {
  const std::string begin = fmt::format("-----BEGIN {}-----", label);
  const std::string end = fmt::format("-----END {}-----", label);
  auto from = pem.find(begin);
  if (from == std::string_view::npos) return std::nullopt;
  from += begin.size();
  auto to = pem.find(end, from);
  if (to == std::string_view::npos) throw ParseError(std::string(where), fmt::format("the {} block has no end line", label));
  std::string base64;
  for (char c : pem.substr(from, to - from)) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') base64 += c;
  }
  auto bytes = base64_decode(base64);
  if (!bytes) throw ParseError(std::string(where), fmt::format("the {} block is not base64", label));
  return bytes;
}

std::string pem_block(std::string_view label, std::string_view bytes) {
  std::string base64 = base64_encode(bytes);
  std::string out = fmt::format("-----BEGIN {}-----\n", label);
  for (std::size_t i = 0; i < base64.size(); i += 64) out += base64.substr(i, 64) + "\n";
  out += fmt::format("-----END {}-----\n", label);
  return out;
}

std::string pkcs8_der(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
  if (!info) fail("cannot encode the private key as PKCS#8");
  unsigned char* der = nullptr;
  int size = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
  PKCS8_PRIV_KEY_INFO_free(info);
  if (size <= 0) fail("cannot encode the private key as PKCS#8");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_clear_free(der, static_cast<std::size_t>(size));
  return out;
}

struct ScryptParams {
  std::uint64_t n = 32768;
  std::uint32_t r = 8, p = 1;
};

Secret derive(std::string_view passphrase, std::string_view salt, const ScryptParams& params) {
  Secret key;
  key.bytes.assign(crypto_secretbox_KEYBYTES, '\0');
  if (crypto_pwhash_scryptsalsa208sha256_ll(reinterpret_cast<const std::uint8_t*>(passphrase.data()), passphrase.size(),
                                            reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size(), params.n,
                                            params.r, params.p, reinterpret_cast<std::uint8_t*>(key.bytes.data()),
                                            key.bytes.size()) != 0) {
    fail("scrypt failed (out of memory?)");
  }
  return key;
}

std::string random_bytes(std::size_t size) {
  std::string out(size, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

const json& field(const json& object, const char* key, json::value_t type, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->type() != type) {
    throw ParseError(where, fmt::format("the encrypted key's \"{}\" is missing or of the wrong type", key));
  }
  return *it;
}

std::string decoded(const json& object, const char* key, const std::string& where) {
  auto bytes = base64_decode(field(object, key, json::value_t::string, where).get<std::string>());
  if (!bytes) throw ParseError(where, fmt::format("the encrypted key's \"{}\" is not base64", key));
  return *bytes;
}

std::uint64_t unsigned_field(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    throw ParseError(where, fmt::format("the encrypted key's scrypt \"{}\" is missing or not a positive integer", key));
  }
  return it->get<std::uint64_t>();
}

std::string read_whole(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the {} {}: {}", what, quote(path), std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

std::string_view describe(KeyAlgorithm algorithm) {
  return algorithm == KeyAlgorithm::ecdsa_p256 ? "ECDSA P-256" : "Ed25519";
}

std::string_view flag_name(KeyAlgorithm algorithm) {
  return algorithm == KeyAlgorithm::ecdsa_p256 ? "ecdsa-p256" : "ed25519";
}

std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view name) {
  if (name == "ecdsa-p256") return KeyAlgorithm::ecdsa_p256;
  if (name == "ed25519") return KeyAlgorithm::ed25519;
  return std::nullopt;
}

PublicKey PublicKey::from_pem(std::string_view pem, std::string_view where) {
  auto der = pem_body(pem, "PUBLIC KEY", where);
  if (!der) {
    if (pem.find("-----BEGIN RSA PUBLIC KEY-----") != std::string_view::npos) {
      fail("{}: an RSA key; sheaf signs and verifies with ECDSA P-256 or Ed25519 keys", where);
    }
    throw ParseError(std::string(where), "not a PEM public key (no -----BEGIN PUBLIC KEY----- block)");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(der->data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &data, static_cast<long>(der->size()));
  if (!key || data != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) {
    EVP_PKEY_free(key);
    throw ParseError(std::string(where), "the PUBLIC KEY block is not a SubjectPublicKeyInfo");
  }
  auto handle = std::make_shared<Handle>();
  handle->key = key;
  KeyAlgorithm algorithm = algorithm_of(key, where);
  return PublicKey(std::move(handle), algorithm);
}

std::string PublicKey::der() const {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(handle_->key, &der);
  if (size <= 0) fail("cannot encode a public key");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string PublicKey::pem() const { return pem_block("PUBLIC KEY", der()); }

std::string PublicKey::key_id() const { return Digest::of(der()).str(); }

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  MdContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const EVP_MD* md = algorithm_ == KeyAlgorithm::ecdsa_p256 ? EVP_sha256() : nullptr;
  if (!context || EVP_DigestVerifyInit(context.get(), nullptr, md, nullptr, handle_->key) != 1) {
    fail("cannot set up a signature check");
  }
  int ok = EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  return ok == 1;
}

PrivateKey PrivateKey::generate(KeyAlgorithm algorithm) {
  EVP_PKEY* key = algorithm == KeyAlgorithm::ecdsa_p256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) fail("cannot generate an {} key", describe(algorithm));
  auto handle = std::make_shared<Handle>();
  handle->key = key;
  return PrivateKey(std::move(handle), algorithm);
}

std::string open_envelope(std::string_view envelope, std::string_view passphrase, std::string_view where_view) {
  init_sodium();
  const std::string where(where_view);
  json doc = json::parse(envelope, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ParseError(where, "the encrypted key is not a JSON object");
  const json& kdf = field(doc, "kdf", json::value_t::object, where);
  const json& cipher = field(doc, "cipher", json::value_t::object, where);
  if (field(kdf, "name", json::value_t::string, where) != "scrypt") {
    throw ParseError(where, fmt::format("unknown key derivation {} (cosign's keys use scrypt)",
                                        kdf["name"].dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  if (field(cipher, "name", json::value_t::string, where) != "nacl/secretbox") {
    throw ParseError(where, fmt::format("unknown cipher {} (cosign's keys use nacl/secretbox)",
                                        cipher["name"].dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  const json& params = field(kdf, "params", json::value_t::object, where);
  ScryptParams scrypt{unsigned_field(params, "N", where), static_cast<std::uint32_t>(unsigned_field(params, "r", where)),
                      static_cast<std::uint32_t>(unsigned_field(params, "p", where))};
  // The parameters cosign and go-securesystemslib write; others are refused
  // rather than spent memory and time on (a hostile N costs gigabytes).
  if (scrypt.r != 8 || scrypt.p != 1 || (scrypt.n != 32768 && scrypt.n != 65536 && scrypt.n != 131072)) {
    throw ParseError(where, fmt::format("unsupported scrypt parameters N={} r={} p={} (N is 32768, 65536 or "
                                        "131072, r 8, p 1)",
                                        scrypt.n, scrypt.r, scrypt.p));
  }
  std::string salt = decoded(kdf, "salt", where);
  std::string nonce = decoded(cipher, "nonce", where);
  std::string sealed = decoded(doc, "ciphertext", where);
  if (nonce.size() != crypto_secretbox_NONCEBYTES) {
    throw ParseError(where, fmt::format("the secretbox nonce has {} bytes, not {}", nonce.size(),
                                        crypto_secretbox_NONCEBYTES));
  }
  if (sealed.size() < crypto_secretbox_MACBYTES) throw ParseError(where, "the ciphertext is shorter than its tag");
  Secret key = derive(passphrase, salt, scrypt);
  Secret der;
  der.bytes.assign(sealed.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<std::uint8_t*>(der.bytes.data()),
                                 reinterpret_cast<const std::uint8_t*>(sealed.data()), sealed.size(),
                                 reinterpret_cast<const std::uint8_t*>(nonce.data()),
                                 reinterpret_cast<const std::uint8_t*>(key.bytes.data())) != 0) {
    throw WrongPassphrase(fmt::format("{}: the passphrase does not open this key (or the key is damaged)", where));
  }
  return std::move(der.bytes);
}

PrivateKey PrivateKey::from_encrypted_pem(std::string_view pem, std::string_view passphrase, std::string_view where_view) {
  init_sodium();
  const std::string where(where_view);
  std::optional<std::string> body = pem_body(pem, kEncryptedLabel, where);
  if (!body) body = pem_body(pem, kOlderEncryptedLabel, where);
  if (!body) {
    if (pem.find("-----BEGIN RSA PRIVATE KEY-----") != std::string_view::npos) {
      fail("{}: an RSA key; sheaf signs with ECDSA P-256 or Ed25519 keys (sheaf key generate makes one)", where);
    }
    if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
      throw ParseError(where, "an unencrypted PEM private key; sheaf reads cosign's encrypted format (-----BEGIN "
                              "ENCRYPTED SIGSTORE PRIVATE KEY-----), which sheaf key generate and cosign "
                              "generate-key-pair write");
    }
    throw ParseError(where, "not a private key (no -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY----- block)");
  }
  Secret der{open_envelope(*body, passphrase, where)};
  const auto* data = reinterpret_cast<const unsigned char*>(der.bytes.data());
  EVP_PKEY* pkey = d2i_AutoPrivateKey(nullptr, &data, static_cast<long>(der.bytes.size()));
  if (!pkey) throw ParseError(where, "the decrypted key is not a PKCS#8 private key");
  auto handle = std::make_shared<Handle>();
  handle->key = pkey;
  KeyAlgorithm algorithm = algorithm_of(pkey, where);
  return PrivateKey(std::move(handle), algorithm);
}

std::string PrivateKey::encrypted_pem(std::string_view passphrase) const {
  init_sodium();
  Secret der{pkcs8_der(handle_->key)};
  std::string salt = random_bytes(kSaltSize);
  std::string nonce = random_bytes(crypto_secretbox_NONCEBYTES);
  ScryptParams scrypt;
  Secret key = derive(passphrase, salt, scrypt);
  std::string sealed(der.bytes.size() + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<std::uint8_t*>(sealed.data()),
                        reinterpret_cast<const std::uint8_t*>(der.bytes.data()), der.bytes.size(),
                        reinterpret_cast<const std::uint8_t*>(nonce.data()),
                        reinterpret_cast<const std::uint8_t*>(key.bytes.data()));
  // The fields in go-securesystemslib's order, as cosign writes them.
  std::string body = fmt::format(
      R"({{"kdf":{{"name":"scrypt","params":{{"N":{},"r":{},"p":{}}},"salt":"{}"}},"cipher":{{"name":"nacl/secretbox","nonce":"{}"}},"ciphertext":"{}"}})",
      scrypt.n, scrypt.r, scrypt.p, base64_encode(salt), base64_encode(nonce), base64_encode(sealed));
  return pem_block(kEncryptedLabel, body);
}

PublicKey PrivateKey::public_key() const {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(handle_->key, &der);
  if (size <= 0) fail("cannot encode a public key");
  const unsigned char* data = der;
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &data, size);
  OPENSSL_free(der);
  if (!key) fail("cannot decode a public key");
  auto handle = std::make_shared<PublicKey::Handle>();
  handle->key = key;
  return PublicKey(std::move(handle), algorithm_);
}

std::string PrivateKey::sign(std::string_view message) const {
  MdContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const EVP_MD* md = algorithm_ == KeyAlgorithm::ecdsa_p256 ? EVP_sha256() : nullptr;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, md, nullptr, handle_->key) != 1) {
    fail("cannot set up signing with an {} key", describe(algorithm_));
  }
  std::size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSign(context.get(), nullptr, &size, data, message.size()) != 1) fail("signing failed");
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data, message.size()) != 1) {
    fail("signing failed");
  }
  signature.resize(size);
  return signature;
}

PrivateKey load_private_key(const std::string& path, const std::optional<std::string>& passphrase,
                            const std::function<std::optional<std::string>()>& ask) {
  const std::string pem = read_whole(path, "private key");
  if (passphrase) return PrivateKey::from_encrypted_pem(pem, *passphrase, path);
  try {
    return PrivateKey::from_encrypted_pem(pem, "", path);
  } catch (const WrongPassphrase&) {
    std::optional<std::string> asked = ask ? ask() : std::nullopt;
    if (!asked) {
      throw WrongPassphrase(fmt::format("{} is protected by a passphrase: give --passphrase-file FILE, set "
                                        "SHEAF_PASSPHRASE, or run on a terminal to be asked",
                                        path));
    }
    Secret given{std::move(*asked)};
    return PrivateKey::from_encrypted_pem(pem, given.bytes, path);
  }
}

PublicKey load_public_key(const std::string& path) {
  return PublicKey::from_pem(read_whole(path, "public key"), path);
}

}  // namespace sheaf::sign
