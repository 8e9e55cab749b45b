#include "oci/gzip_writer.hpp"

#include <libdeflate.h>

#include <memory>

#include "base/error.hpp"
#include "base/parallel.hpp"

namespace sheaf::oci {

namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

// One compressor per thread, reused across layers.
libdeflate_compressor& thread_compressor() {
  thread_local Compressor compressor(libdeflate_alloc_compressor(kGzipLevel));
  if (!compressor) throw Error("cannot allocate a gzip compressor (out of memory)");
  return *compressor;
}

std::string compress_member(std::string_view input) {
  libdeflate_compressor& c = thread_compressor();
  std::string out(libdeflate_gzip_compress_bound(&c, input.size()), '\0');
  std::size_t n = libdeflate_gzip_compress(&c, input.data(), input.size(), out.data(), out.size());
  if (n == 0) throw Error("internal error: gzip output exceeded its bound");
  out.resize(n);
  return out;
}

}  // namespace

GzipWriter::GzipWriter(ByteSink& out, unsigned threads) : out_(out), threads_(threads == 0 ? 1 : threads) {}

GzipWriter::~GzipWriter() = default;

void GzipWriter::write(std::string_view bytes) {
  if (finished_) throw Error("internal error: write after finish");
  raw_hash_.update(bytes.data(), bytes.size());
  raw_size_ += bytes.size();
  while (!bytes.empty()) {
    if (chunks_.empty() || chunks_.back().size() == kGzipChunk) {
      if (chunks_.size() == threads_) flush_chunks(false);
      chunks_.emplace_back();
      chunks_.back().reserve(kGzipChunk);
    }
    std::string& chunk = chunks_.back();
    std::size_t n = std::min(bytes.size(), kGzipChunk - chunk.size());
    chunk.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
}

// Compresses the full chunks (and, when `final`, the partial last one), then
// writes the members in order.
void GzipWriter::flush_chunks(bool final) {
  std::size_t count = chunks_.size();
  if (!final && count > 0 && chunks_.back().size() < kGzipChunk) count -= 1;
  std::vector<std::string> members(count);
  parallel_for(count, threads_, [&](std::size_t i) { members[i] = compress_member(chunks_[i]); });
  for (const auto& member : members) {
    gz_hash_.update(member.data(), member.size());
    gz_size_ += member.size();
    out_.write(member);
  }
  chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(count));
}

LayerDigests GzipWriter::finish() {
  if (finished_) throw Error("internal error: finish called twice");
  // An empty layer is still one (empty) gzip member, as gzip writes it.
  if (chunks_.empty()) chunks_.emplace_back();
  flush_chunks(true);
  finished_ = true;
  return {gz_hash_.finish(), gz_size_, raw_hash_.finish(), raw_size_};
}

std::string gunzip(std::string_view compressed) {
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> d(libdeflate_alloc_decompressor(),
                                                                                 libdeflate_free_decompressor);
  if (!d) throw Error("cannot allocate a gzip decompressor (out of memory)");
  std::string out;
  std::size_t capacity = std::max<std::size_t>(compressed.size() * 4, 4096);
  while (!compressed.empty()) {
    std::string member(capacity, '\0');
    std::size_t in_used = 0;
    std::size_t out_used = 0;
    auto rc = libdeflate_gzip_decompress_ex(d.get(), compressed.data(), compressed.size(), member.data(), member.size(),
                                            &in_used, &out_used);
    if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
      capacity *= 2;
      continue;
    }
    if (rc != LIBDEFLATE_SUCCESS) throw Error("malformed gzip data");
    out.append(member.data(), out_used);
    compressed.remove_prefix(in_used);
  }
  return out;
}

}  // namespace sheaf::oci
