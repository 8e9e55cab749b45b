#include "image/layer_check.hpp"

#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/byte_source.hpp"
#include "base/error.hpp"
#include "fileset/layer_tar.hpp"
#include "oci/gzip_reader.hpp"

namespace sheaf::image {

namespace {

constexpr std::size_t kBlock = 512;

// The decompressed tar, hashed as it is read (the diff_id).
class HashingSource final : public ByteSource {
 public:
  explicit HashingSource(ByteSource& inner) : inner_(inner) {}
  std::size_t read(std::span<char> buffer) override {
    std::size_t n = inner_.read(buffer);
    hash_.update(buffer.data(), n);
    offset_ += n;
    return n;
  }
  Digest finish() { return hash_.finish(); }
  std::uint64_t offset() const noexcept { return offset_; }

 private:
  ByteSource& inner_;
  Sha256 hash_;
  std::uint64_t offset_ = 0;
};

// Reads exactly `want` bytes, or fewer only at the end of the stream.
std::size_t read_full(ByteSource& source, char* out, std::size_t want) {
  std::size_t got = 0;
  while (got < want) {
    std::size_t n = source.read(std::span<char>(out + got, want - got));
    if (n == 0) break;
    got += n;
  }
  return got;
}

// The entry name a ustar header block holds (prefix/name), for messages.
std::string header_name(const char* block) {
  std::string name(block, strnlen(block, 100));
  std::string prefix(block + 345, strnlen(block + 345, 155));
  return prefix.empty() ? name : prefix + "/" + name;
}

bool looks_like_header(const char* block) { return std::memcmp(block + 257, "ustar", 5) == 0; }

// A content stream of zeros: the content itself was taken from the layer
// already (see Checker::open), and the sink skips these bytes.
class Placeholder final : public ByteSource {
 public:
  explicit Placeholder(std::uint64_t size) : left_(size) {}
  std::size_t read(std::span<char> buffer) override {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, buffer.size()));
    std::memset(buffer.data(), 0, n);
    left_ -= n;
    return n;
  }

 private:
  std::uint64_t left_;
};

// At most `size` bytes of another source.
class Limited final : public ByteSource {
 public:
  Limited(ByteSource& inner, std::uint64_t size) : inner_(inner), left_(size) {}
  std::size_t read(std::span<char> buffer) override {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left_, buffer.size()));
    if (want == 0) return 0;
    std::size_t n = inner_.read(buffer.subspan(0, want));
    left_ -= n;
    return n;
  }
  std::uint64_t left() const noexcept { return left_; }

 private:
  ByteSource& inner_;
  std::uint64_t left_;
};

class Checker final : public fileset::TarSink {
 public:
  Checker(HashingSource& layer, store::WriteBatch& batch, std::string where)
      : layer_(layer), batch_(batch), where_(std::move(where)) {}

  void write(std::string_view expected) override {
    if (skip_ > 0) {  // content already taken by open()
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, expected.size()));
      skip_ -= n;
      expected.remove_prefix(n);
    }
    if (expected.empty()) return;
    buffer_.resize(expected.size());
    std::uint64_t at = layer_.offset();
    std::size_t got = read_full(layer_, buffer_.data(), expected.size());
    if (got < expected.size()) {
      fail("{}: the layer's tar ends at byte {}, before the entries its packages' FileSet holds", where_,
           at + got);
    }
    if (std::memcmp(buffer_.data(), expected.data(), expected.size()) == 0) return;
    if (expected.size() == kBlock && looks_like_header(expected.data())) {
      std::string found = looks_like_header(buffer_.data()) ? quote(header_name(buffer_.data()))
                                                              : std::string("something that is not a tar header");
      fail("{}: at byte {} the layer holds {} where its packages' FileSet has {} (or the same name with other "
           "metadata): the layer does not give its annotated packages",
           where_, at, found, quote(header_name(expected.data())));
    }
    fail("{}: byte {} of the layer's tar differs from the canonical layer of its packages' FileSet", where_, at);
  }

  std::unique_ptr<ByteSource> open(const fileset::Entry& entry) {
    Limited content(layer_, entry.size);
    fileset::ContentRef ref = batch_.put(content);
    if (ref.size != entry.size) {
      fail("{}: the layer's tar ends inside the content of {}", where_, quote(entry.path));
    }
    if (ref.digest != entry.digest) {
      fail("{}: the content of {} hashes to {}, but its package's FileSet says {}", where_, quote(entry.path),
           ref.digest.str(), entry.digest.str());
    }
    skip_ += entry.size;
    return std::make_unique<Placeholder>(entry.size);
  }

 private:
  HashingSource& layer_;
  store::WriteBatch& batch_;
  std::string where_;
  std::uint64_t skip_ = 0;
  std::vector<char> buffer_;
};

}  // namespace

Digest ingest_layer(store::WriteBatch& batch, int blob_fd, const fileset::Manifest& expected,
                    const std::string& where) {
  if (::lseek(blob_fd, 0, SEEK_SET) != 0) fail_errno(errno, "cannot read " + where);
  FdSource file(blob_fd, where);
  oci::GunzipSource tar(file, where);
  HashingSource layer(tar);
  Checker checker(layer, batch, where);
  fileset::write_layer_tar(
      expected, [&](const fileset::Entry& entry) { return checker.open(entry); }, checker);
  char extra;
  if (layer.read(std::span<char>(&extra, 1)) != 0) {
    fail("{}: the layer's tar goes on after the end of its packages' FileSet (byte {})", where, layer.offset() - 1);
  }
  return layer.finish();
}

}  // namespace sheaf::image
