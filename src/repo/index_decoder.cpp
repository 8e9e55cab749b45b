#include "repo/index_decoder.hpp"

#include <libdeflate.h>
#include <lzma.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::repo {

namespace {

std::string gunzip(const std::string& compressed, const std::filesystem::path& path, std::uint64_t max_output) {
  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> inflater(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  if (!inflater) throw Error("cannot allocate a libdeflate decompressor");
  std::string out;
  std::size_t in_at = 0;
  // One gzip member after another; each names its size (mod 2^32) in its trailer.
  while (in_at < compressed.size()) {
    std::uint32_t isize = 0;
    std::memcpy(&isize, compressed.data() + compressed.size() - 4, 4);
    std::size_t room = std::max<std::size_t>(isize, 1 << 16);
    for (;;) {
      if (out.size() + room > max_output)
        fail("the index {} decompresses to more than {} bytes", quote(path.string()), max_output);
      std::size_t before = out.size();
      out.resize(before + room);
      std::size_t in_used = 0, produced = 0;
      auto r = libdeflate_gzip_decompress_ex(inflater.get(), compressed.data() + in_at, compressed.size() - in_at,
                                             out.data() + before, room, &in_used, &produced);
      if (r == LIBDEFLATE_SUCCESS) {
        out.resize(before + produced);
        in_at += in_used;
        break;
      }
      out.resize(before);
      if (r != LIBDEFLATE_INSUFFICIENT_SPACE) fail("the index {} is not valid gzip", quote(path.string()));
      room *= 2;  // the trailer's size was for another member, or wrapped
    }
  }
  return out;
}

std::string unxz(const std::string& compressed, const std::filesystem::path& path, std::uint64_t max_output) {
  IndexDecoder decoder(IndexDecoder::Codec::xz, max_output);
  decoder.feed(0, compressed);
  if (!decoder.finished() || decoder.failed()) fail("the index {} is not valid xz", quote(path.string()));
  return decoder.take();
}

}  // namespace

std::string decompress_index(const std::filesystem::path& path, std::uint64_t max_output) {
  std::string bytes = read_file(path.string());
  if (bytes.size() >= 18 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    return gunzip(bytes, path, max_output);
  }
  if (bytes.size() >= 6 && std::string_view(bytes).substr(0, 6) == std::string_view("\xfd"
                                                                                    "7zXZ\0",
                                                                                    6)) {
    return unxz(bytes, path, max_output);
  }
  if (bytes.size() > max_output) fail("the index {} is larger than {} bytes", quote(path.string()), max_output);
  return bytes;  // an uncompressed Packages file
}

struct IndexDecoder::State {
  lzma_stream xz = LZMA_STREAM_INIT;
  bool open = false;

  ~State() { close(); }
  bool start() {
    close();
    xz = LZMA_STREAM_INIT;
    // One stream, as Debian writes it; the end of the stream is the end of the index.
    open = lzma_stream_decoder(&xz, UINT64_MAX, 0) == LZMA_OK;
    return open;
  }
  void close() {
    if (open) lzma_end(&xz);
    open = false;
  }
};

IndexDecoder::IndexDecoder(Codec codec, std::uint64_t max_output)
    : max_output_(max_output), state_(std::make_unique<State>()) {
  (void)codec;  // xz is the one codec decoded in a stream
  reset();
}

IndexDecoder::~IndexDecoder() = default;

std::unique_ptr<IndexDecoder> IndexDecoder::for_path(std::string_view path, std::uint64_t max_output) {
  if (path.ends_with(".xz")) return std::make_unique<IndexDecoder>(Codec::xz, max_output);
  return nullptr;
}

void IndexDecoder::reset() {
  consumed_ = 0;
  finished_ = false;
  failed_ = !state_->start();
  out_.clear();
}

void IndexDecoder::feed(std::uint64_t offset, std::string_view chunk) {
  if (offset == 0 && consumed_ > 0) reset();
  if (failed_) return;
  if (offset != consumed_) {
    failed_ = true;
    return;
  }
  consumed_ += chunk.size();
  decode(chunk);
}

void IndexDecoder::decode(std::string_view chunk) {
  if (finished_) {
    failed_ = !chunk.empty();  // bytes after the end of the stream
    return;
  }
  constexpr std::size_t kStep = 1 << 20;
  const auto* in = reinterpret_cast<const std::uint8_t*>(chunk.data());
  std::size_t in_left = chunk.size();
  while (!finished_ && !failed_) {
    std::size_t before = out_.size();
    // Grow by doubling: the 50 MB of bookworm's index costs a few copies, not thousands.
    if (out_.capacity() < before + kStep) out_.reserve(std::max(out_.capacity() * 2, before + kStep));
    out_.resize(before + kStep);
    auto* out = reinterpret_cast<std::uint8_t*>(out_.data() + before);
    std::size_t produced = 0;
    bool ended = false;
    bool error = false;
    std::size_t used = 0;
    lzma_stream& s = state_->xz;
    s.next_in = in;
    s.avail_in = in_left;
    s.next_out = out;
    s.avail_out = kStep;
    lzma_ret r = lzma_code(&s, LZMA_RUN);
    produced = kStep - s.avail_out;
    used = in_left - s.avail_in;
    ended = r == LZMA_STREAM_END;
    error = r != LZMA_OK && r != LZMA_STREAM_END && r != LZMA_BUF_ERROR;
    out_.resize(before + produced);
    in += used;
    in_left -= used;
    if (out_.size() > max_output_) error = true;
    if (error) {
      failed_ = true;
      return;
    }
    if (ended) {
      finished_ = true;
      if (in_left != 0) failed_ = true;  // trailing bytes
      return;
    }
    if (in_left == 0 && produced < kStep) return;  // needs more input
  }
}

}  // namespace sheaf::repo
