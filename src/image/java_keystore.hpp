// The Java CA store that ca-certificates-java's postinst would write: in
// bookworm, a JKS keystore (`keytool -importkeystore ... -deststoretype
// JKS`) at etc/ssl/certs/java/cacerts, password "changeit", one trusted
// certificate entry per CA of the bundle, aliased "debian:NAME.pem" (the
// lower-cased name of its etc/ssl/certs link), as its Java helper names them.
//
// The format (as the JDK's sun.security.provider.JavaKeyStore reads it):
//   magic 0xFEEDFEED, version 2, the entry count (all big-endian u32);
//   per entry: tag 2 (trusted certificate), the alias (u16 length + Java's
//   modified UTF-8), the creation date (u64 milliseconds), the certificate type
//   ("X.509", same encoding), the DER length (u32) and bytes;
//   then SHA-1 over the password as UTF-16BE, the bytes "Mighty Aphrodite"
//   and everything before it.
// Made deterministic: entries sorted by alias, and every creation date is
// kJavaKeystoreDate, the layers' fixed mtime (1970-01-01T00:00:01Z). JKS
// has no salt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::image {

inline constexpr std::int64_t kJavaKeystoreDate = 1000;  // milliseconds since the epoch
inline constexpr std::string_view kJavaKeystorePassword = "changeit";

struct TrustedCertificate {
  std::string alias;  // UTF-8
  std::string der;
};

// The keystore's bytes. Aliases must be unique.
std::string java_keystore(std::vector<TrustedCertificate> certificates, std::string_view password = kJavaKeystorePassword,
                          std::int64_t date_ms = kJavaKeystoreDate);

// String.toLowerCase for the names a CA file can have: ASCII, Latin-1 and
// Latin Extended-A letters (UTF-8 in, UTF-8 out); other bytes unchanged.
std::string java_lowercase(std::string_view text);

// The DER bytes of the one certificate in `pem`, or nullopt.
std::optional<std::string> pem_to_der(std::string_view pem);

}  // namespace sheaf::image
