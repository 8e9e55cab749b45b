#include "image/java_keystore.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "base/error.hpp"

namespace sheaf::image {
namespace {

std::uint32_t u32(const std::string& b, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

// The layout the JDK's JavaKeyStore reads, field by field, and the keyed
// SHA-1 that closes it ("Mighty Aphrodite" after the UTF-16BE password).
TEST(JavaKeystore, HasTheJksLayoutAndIntegrityDigest) {
  std::string ks = java_keystore({{"debian:b.pem", "DER-B"}, {"debian:a.pem", "DER-A"}});
  EXPECT_EQ(u32(ks, 0), 0xFEEDFEEDu);
  EXPECT_EQ(u32(ks, 4), 2u);
  EXPECT_EQ(u32(ks, 8), 2u);
  std::size_t at = 12;
  for (std::string_view alias : {"debian:a.pem", "debian:b.pem"}) {  // sorted
    EXPECT_EQ(u32(ks, at), 2u) << "a trusted certificate entry";
    EXPECT_EQ(ks.substr(at + 4, 2), std::string("\0\x0c", 2));
    EXPECT_EQ(ks.substr(at + 6, alias.size()), alias);
    at += 6 + alias.size();
    EXPECT_EQ(u32(ks, at), 0u);
    EXPECT_EQ(u32(ks, at + 4), 1000u) << "1970-01-01T00:00:01Z, in milliseconds";
    EXPECT_EQ(ks.substr(at + 8, 7), std::string("\0\x05X.509", 7));
    EXPECT_EQ(u32(ks, at + 15), 5u);
    at += 19 + 5;
  }
  ASSERT_EQ(ks.size(), at + 20);
  std::string keyed = std::string("\0c\0h\0a\0n\0g\0e\0i\0t", 16) + "Mighty Aphrodite" + ks.substr(0, at);
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ASSERT_TRUE(EVP_Digest(keyed.data(), keyed.size(), sha1, &n, EVP_sha1(), nullptr));
  EXPECT_EQ(ks.substr(at), std::string(reinterpret_cast<char*>(sha1), n));
  EXPECT_EQ(java_keystore({{"debian:b.pem", "DER-B"}, {"debian:a.pem", "DER-A"}}), ks) << "deterministic";
  EXPECT_THROW(java_keystore({{"x", "1"}, {"x", "2"}}), Error);
}

TEST(JavaKeystore, AliasesAreJavasLowercaseInModifiedUtf8) {
  EXPECT_EQ(java_lowercase("NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem"), "netlock_arany_=class_gold=_főtanúsítvány.pem");
  EXPECT_EQ(java_lowercase("ÀÉŐ"), "àéő");
  std::string ks = java_keystore({{"debian:ő", "D"}});
  EXPECT_EQ(ks.substr(16, 2), std::string("\0\x09", 2)) << "two bytes for ő, as UTF-8 and modified UTF-8 agree";
}

}  // namespace
}  // namespace sheaf::image
