#include "image/java_keystore.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "base/error.hpp"

namespace sheaf::image {

namespace {

void u16(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}
void u32(std::string& out, std::uint32_t v) {
  u16(out, v >> 16);
  u16(out, v & 0xffff);
}
void u64(std::string& out, std::uint64_t v) {
  u32(out, static_cast<std::uint32_t>(v >> 32));
  u32(out, static_cast<std::uint32_t>(v & 0xffffffff));
}
// DataOutputStream.writeUTF: Java's modified UTF-8, from UTF-8. It equals
// UTF-8 but for NUL (0xC0 0x80) and characters beyond U+FFFF, which are
// written as their two UTF-16 surrogates, three bytes each.
void utf(std::string& out, std::string_view text) {
  std::string encoded;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) {
      encoded += "\xC0\x80";
      ++i;
    } else if (c >= 0xF0 && i + 3 < text.size()) {
      std::uint32_t cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 12) |
                         ((static_cast<unsigned char>(text[i + 2]) & 0x3Fu) << 6) |
                         (static_cast<unsigned char>(text[i + 3]) & 0x3Fu);
      cp -= 0x10000;
      for (std::uint32_t unit : {0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)}) {
        encoded += static_cast<char>(0xE0 | (unit >> 12));
        encoded += static_cast<char>(0x80 | ((unit >> 6) & 0x3F));
        encoded += static_cast<char>(0x80 | (unit & 0x3F));
      }
      i += 4;
    } else {
      encoded += text[i++];
    }
  }
  if (encoded.size() > 0xffff) fail("the keystore alias {} is too long", quote(text));
  u16(out, static_cast<std::uint32_t>(encoded.size()));
  out += encoded;
}

}  // namespace

std::string java_keystore(std::vector<TrustedCertificate> certificates, std::string_view password, std::int64_t date_ms) {
  std::sort(certificates.begin(), certificates.end(),
            [](const TrustedCertificate& a, const TrustedCertificate& b) { return a.alias < b.alias; });
  for (std::size_t i = 1; i < certificates.size(); ++i) {
    if (certificates[i].alias == certificates[i - 1].alias) fail("the keystore alias {} is used twice", quote(certificates[i].alias));
  }
  std::string out;
  u32(out, 0xFEEDFEED);
  u32(out, 2);
  u32(out, static_cast<std::uint32_t>(certificates.size()));
  for (const auto& c : certificates) {
    u32(out, 2);  // a trusted certificate entry
    utf(out, c.alias);
    u64(out, static_cast<std::uint64_t>(date_ms));
    utf(out, "X.509");
    u32(out, static_cast<std::uint32_t>(c.der.size()));
    out += c.der;
  }
  std::string key;
  for (char c : password) {  // UTF-16BE of an ASCII password
    key += '\0';
    key += c;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  constexpr std::string_view kWhitener = "Mighty Aphrodite";
  if (!ctx || !EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) || !EVP_DigestUpdate(ctx.get(), key.data(), key.size()) ||
      !EVP_DigestUpdate(ctx.get(), kWhitener.data(), kWhitener.size()) ||
      !EVP_DigestUpdate(ctx.get(), out.data(), out.size()) || !EVP_DigestFinal_ex(ctx.get(), digest, &length)) {
    fail("SHA-1 failed while writing the Java keystore");
  }
  out.append(reinterpret_cast<const char*>(digest), length);
  return out;
}

std::string java_lowercase(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c == 0xC3 || c == 0xC4 || c == 0xC5) && i + 1 < text.size()) {
      std::uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
        cp += 0x20;  // Latin-1: À..Þ -> à..þ
      } else if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x138 && cp != 0x149 && cp != 0x178 &&
                 ((cp < 0x139 || cp > 0x148) ? cp % 2 == 0 : cp % 2 == 1) && cp < 0x17F) {
        cp += 1;  // Latin Extended-A: the capital of each pair
      }
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> pem_to_der(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ERR_clear_error();
  if (!cert) return std::nullopt;
  int size = i2d_X509(cert.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert.get(), &p) != size) return std::nullopt;
  return der;
}

}  // namespace sheaf::image
