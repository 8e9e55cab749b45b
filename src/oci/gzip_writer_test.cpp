#include "oci/gzip_writer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "base/process.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::oci {
namespace {

class StringSink final : public ByteSink {
 public:
  void write(std::string_view bytes) override { data.append(bytes); }
  std::string data;
};

// Compressible but not trivial: a counter spelled in decimal.
std::string sample(std::size_t size) {
  std::string out;
  for (unsigned i = 0; out.size() < size; ++i) out += std::to_string(i * 2654435761u) + "\n";
  out.resize(size);
  return out;
}

LayerDigests compress(std::string_view input, unsigned threads, std::size_t piece, std::string& out) {
  StringSink sink;
  GzipWriter writer(sink, threads);
  for (std::size_t off = 0; off < input.size(); off += piece) writer.write(input.substr(off, piece));
  LayerDigests d = writer.finish();
  out = sink.data;
  return d;
}

TEST(GzipWriter, RoundTripsAndReportsBothDigests) {
  std::string input = sample(3 * kGzipChunk + 12345);
  std::string out;
  LayerDigests d = compress(input, 2, 70000, out);
  EXPECT_EQ(gunzip(out), input);
  EXPECT_EQ(d.diff_id, Digest::of(input));
  EXPECT_EQ(d.diff_size, input.size());
  EXPECT_EQ(d.digest, Digest::of(out));
  EXPECT_EQ(d.size, out.size());
  EXPECT_LT(out.size(), input.size() / 2);
}

TEST(GzipWriter, OutputDoesNotDependOnThreadsOrWriteSizes) {
  std::string input = sample(5 * kGzipChunk + 7);
  std::string a, b, c;
  compress(input, 1, 1 << 20, a);
  compress(input, 2, 4096, b);
  compress(input, 4, 3 * kGzipChunk, c);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
}

// The codec, level and chunking are part of every layer digest: this pins
// them. If it fails, the gzip output changed, and with it the digest of every
// layer a new store makes (docs/decisions.md, "Layer compression").
TEST(GzipWriter, PinnedOutput) {
  std::string input = sample(2 * kGzipChunk + 99);
  std::string out;
  LayerDigests d = compress(input, 2, 65536, out);
  EXPECT_EQ(d.digest.str(), "sha256:c002071f7e43480f1295f912e0fd451ff9b36cdb495ead3ff894c5206170f05b");
}

TEST(GzipWriter, EmptyInputIsOneEmptyMember) {
  std::string out;
  LayerDigests d = compress("", 2, 1, out);
  EXPECT_EQ(gunzip(out), "");
  EXPECT_EQ(d.diff_id, Digest::of(""));
  EXPECT_GT(out.size(), 0u);
}

TEST(GzipWriter, GnuGzipReadsTheMembersAsOneStream) {
  std::string input = sample(2 * kGzipChunk + 5);
  std::string out;
  compress(input, 2, 1 << 16, out);
  testing::TempDir dir;
  testing::write_file(dir / "layer.gz", out);
  auto result = run_capture({"gzip", "-dc", (dir / "layer.gz").string()});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->out, input);
}

}  // namespace
}  // namespace sheaf::oci
