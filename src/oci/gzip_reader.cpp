#include "oci/gzip_reader.hpp"

#include <zlib.h>

#include <vector>

#include "base/error.hpp"

namespace sheaf::oci {

struct GunzipSource::State {
  ByteSource& input;
  std::string where;
  z_stream stream{};
  std::vector<char> buffer = std::vector<char>(std::size_t{1} << 18);
  bool input_done = false;
  bool in_member = false;  // between a member's first byte and its end
  bool initialised = false;

  State(ByteSource& in, std::string w) : input(in), where(std::move(w)) {}
  ~State() {
    if (initialised) inflateEnd(&stream);
  }
};

GunzipSource::GunzipSource(ByteSource& compressed, std::string where)
    : state_(std::make_unique<State>(compressed, std::move(where))) {
  if (inflateInit2(&state_->stream, 16 + MAX_WBITS) != Z_OK) fail("{}: cannot start zlib", state_->where);
  state_->initialised = true;
}

GunzipSource::~GunzipSource() = default;

std::size_t GunzipSource::read(std::span<char> buffer) {
  State& s = *state_;
  if (buffer.empty()) return 0;
  s.stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
  const auto want = static_cast<uInt>(std::min<std::size_t>(buffer.size(), std::size_t{1} << 30));
  s.stream.avail_out = want;
  while (s.stream.avail_out == want) {
    if (s.stream.avail_in == 0) {
      if (s.input_done) {
        if (s.in_member) fail("{}: the gzip stream ends inside a member", s.where);
        return 0;
      }
      std::size_t n = s.input.read(s.buffer);
      if (n == 0) {
        s.input_done = true;
        continue;
      }
      s.stream.next_in = reinterpret_cast<Bytef*>(s.buffer.data());
      s.stream.avail_in = static_cast<uInt>(n);
    }
    s.in_member = true;
    int rc = inflate(&s.stream, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      // One member done; another may follow.
      s.in_member = false;
      if (inflateReset(&s.stream) != Z_OK) fail("{}: zlib cannot start the next gzip member", s.where);
      continue;
    }
    if (rc == Z_BUF_ERROR) continue;  // needs more input
    if (rc != Z_OK) {
      fail("{}: not a valid gzip stream ({})", s.where, s.stream.msg ? s.stream.msg : "corrupt data");
    }
  }
  return want - s.stream.avail_out;
}

}  // namespace sheaf::oci
