// Decompressing Packages indexes.
//
// Packages.gz is preferred: libdeflate inflates bookworm's main index (12 MB
// to 50 MB) in 0.09 s, where liblzma needs 0.65 s for the same index as
// Packages.xz, and on these machines the mirror delivers either in tens of
// milliseconds (docs/decisions.md). decompress_index() does both.
//
// An xz index is decoded while it downloads instead (IndexDecoder), so that
// on a slow link the decoding hides behind the transfer. The decoder's output
// is used only after the whole file has matched the Release's sha256; until
// then it is just bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sheaf::repo {

// No Debian index comes near this decompressed (bookworm's main: 50 MB).
inline constexpr std::uint64_t kMaxIndexText = std::uint64_t{4} << 30;

// Reads a Packages, Packages.gz or Packages.xz file (by its magic bytes)
// into memory. Throws an Error naming `path` when it does not decompress, or
// when it would exceed `max_output` bytes.
std::string decompress_index(const std::filesystem::path& path, std::uint64_t max_output);

class IndexDecoder {
 public:
  enum class Codec { xz };
  // `max_output` bounds the decompressed size (a decompression bomb stops
  // the decoder, which then reports failed()).
  IndexDecoder(Codec codec, std::uint64_t max_output);
  ~IndexDecoder();
  IndexDecoder(const IndexDecoder&) = delete;
  IndexDecoder& operator=(const IndexDecoder&) = delete;

  // A decoder for an index path that ends in ".xz"; null for any other.
  static std::unique_ptr<IndexDecoder> for_path(std::string_view path, std::uint64_t max_output);

  // Feeds the chunk that starts at byte `offset` of the compressed file. A
  // chunk at offset 0 after others means the download started over: the
  // decoder starts over too. Any other gap stops it (failed()).
  void feed(std::uint64_t offset, std::string_view chunk);

  // True once the whole stream decoded without error.
  bool finished() const noexcept { return finished_; }
  bool failed() const noexcept { return failed_; }
  // The decompressed text; call only when finished().
  std::string take() { return std::move(out_); }

 private:
  struct State;
  void reset();
  void decode(std::string_view chunk);

  std::uint64_t max_output_;
  std::uint64_t consumed_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  std::string out_;
  std::unique_ptr<State> state_;
};

}  // namespace sheaf::repo
