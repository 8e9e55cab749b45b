#include "base/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>

#include <memory>

#include "base/byte_source.hpp"
#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace sheaf {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<Digest> Digest::parse_hex(std::string_view hex) {
  if (hex.size() != 2 * size) return std::nullopt;
  std::array<std::uint8_t, size> bytes{};
  for (std::size_t i = 0; i < size; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return Digest(bytes);
}

std::optional<Digest> Digest::parse(std::string_view text) {
  if (!text.starts_with(prefix)) return std::nullopt;
  return parse_hex(text.substr(prefix.size()));
}

Digest Digest::of(std::string_view data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.finish();
}

std::string Digest::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes_[i] >> 4];
    out[2 * i + 1] = digits[bytes_[i] & 0xf];
  }
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error("cannot initialise sha256 (OpenSSL EVP)");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::update(const void* data, std::size_t size) {
  if (size != 0 && EVP_DigestUpdate(ctx_, data, size) != 1) throw Error("sha256 update failed");
}

Digest Sha256::finish() {
  std::array<std::uint8_t, Digest::size> bytes{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, bytes.data(), &length) != 1 || length != Digest::size) {
    throw Error("sha256 finish failed");
  }
  return Digest(bytes);
}

StreamDigest digest_stream(ByteSource& source) {
  constexpr std::size_t kBuffer = std::size_t{1} << 20;
  thread_local std::unique_ptr<char[]> buffer(new char[kBuffer]);
  Sha256 hasher;
  StreamDigest out;
  while (std::size_t n = source.read(std::span<char>(buffer.get(), kBuffer))) {
    hasher.update(buffer.get(), n);
    out.size += n;
  }
  out.digest = hasher.finish();
  return out;
}

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error("cannot initialise md5 (OpenSSL EVP)");
  }
}

Md5::~Md5() {
  EVP_MD_CTX_free(ctx_);
}

void Md5::update(const void* data, std::size_t size) {
  if (size != 0 && EVP_DigestUpdate(ctx_, data, size) != 1) throw Error("md5 update failed");
}

std::string Md5::finish_hex() {
  std::array<std::uint8_t, 16> bytes{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, bytes.data(), &length) != 1 || length != bytes.size()) {
    throw Error("md5 finish failed");
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

StreamDigest digest_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail_errno(errno, "cannot read " + quote(path));
  FdSource source(fd.get(), path);
  return digest_stream(source);
}

}  // namespace sheaf
