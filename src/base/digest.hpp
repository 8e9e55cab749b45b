// SHA-256 digests and the streaming hasher behind every content address.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace sheaf {

// A sha256 digest. Its text form is "sha256:" followed by 64 lowercase hex
// digits; that is the form in manifests, the index and on the command line.
class Digest {
 public:
  static constexpr std::size_t size = 32;
  static constexpr std::string_view prefix = "sha256:";

  Digest() = default;
  explicit Digest(const std::array<std::uint8_t, size>& bytes) : bytes_(bytes) {}

  // Parses "sha256:<64 lowercase hex>"; nullopt for anything else.
  static std::optional<Digest> parse(std::string_view text);
  // Parses 64 lowercase hex digits without the prefix.
  static std::optional<Digest> parse_hex(std::string_view hex);

  // The digest of `data`, in one call.
  static Digest of(std::string_view data);

  std::string hex() const;
  std::string str() const { return std::string(prefix) + hex(); }
  const std::array<std::uint8_t, size>& bytes() const { return bytes_; }

  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  std::array<std::uint8_t, size> bytes_{};
};

struct DigestHash {
  std::size_t operator()(const Digest& d) const noexcept {
    std::size_t h;
    static_assert(sizeof h <= Digest::size);
    __builtin_memcpy(&h, d.bytes().data(), sizeof h);
    return h;
  }
};

// Incremental sha256 (OpenSSL EVP, which uses SHA-NI where the CPU has it).
// Not copyable; one instance hashes one stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the stream. The hasher must not be used afterwards.
  Digest finish();

 private:
  ::evp_md_ctx_st* ctx_;
};

class ByteSource;

// What digest_stream() returns: the sha256 of a stream and its length.
struct StreamDigest {
  Digest digest;
  std::uint64_t size = 0;
};

// Reads `source` to its end through one 1 MiB buffer per thread and returns
// the sha256 and the number of bytes. Passes on the source's errors.
StreamDigest digest_stream(ByteSource& source);

// digest_stream() over the file at `path`. Throws an Error naming it.
StreamDigest digest_file(const std::string& path);

// Incremental MD5, for the one place Debian still uses it: the md5sums and
// Conffiles records that dpkg-based scanners read. Never an identity in sheaf.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the stream and returns 32 lowercase hex digits.
  std::string finish_hex();

 private:
  ::evp_md_ctx_st* ctx_;
};

}  // namespace sheaf
