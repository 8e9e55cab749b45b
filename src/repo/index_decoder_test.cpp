#include "repo/index_decoder.hpp"

#include <gtest/gtest.h>

#include "testing/deb_fixture.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::repo {
namespace {

std::string sample() {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "Package: p" + std::to_string(i) + "\nVersion: 1.0\n\n";
  return text;
}

TEST(DecompressIndex, ReadsGzipXzAndPlainFilesByTheirMagic) {
  testing::TempDir dir;
  std::string text = sample();
  testing::write_file(dir / "a", testing::compress(text, "gz"));
  testing::write_file(dir / "b", testing::compress(text, "xz"));
  testing::write_file(dir / "c", text);
  EXPECT_EQ(decompress_index(dir / "a", kMaxIndexText), text);
  EXPECT_EQ(decompress_index(dir / "b", kMaxIndexText), text);
  EXPECT_EQ(decompress_index(dir / "c", kMaxIndexText), text);
  // Two gzip members, as `cat a.gz b.gz` makes.
  testing::write_file(dir / "d", testing::compress("one\n", "gz") + testing::compress("two\n", "gz"));
  EXPECT_EQ(decompress_index(dir / "d", kMaxIndexText), "one\ntwo\n");
}

TEST(DecompressIndex, RefusesDamageAndBombs) {
  testing::TempDir dir;
  std::string gz = testing::compress(sample(), "gz");
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  testing::write_file(dir / "bad.gz", gz);
  EXPECT_NE(
      testing::error_message_of([&] { decompress_index(dir / "bad.gz", kMaxIndexText); }).find("is not valid gzip"),
      std::string::npos);
  std::string xz = testing::compress(sample(), "xz");
  testing::write_file(dir / "cut.xz", xz.substr(0, xz.size() - 20));
  EXPECT_NE(testing::error_message_of([&] { decompress_index(dir / "cut.xz", kMaxIndexText); }).find("is not valid xz"),
            std::string::npos);
  testing::write_file(dir / "bomb.gz", testing::compress(std::string(1 << 20, 'x'), "gz"));
  EXPECT_NE(testing::error_message_of([&] {
              decompress_index(dir / "bomb.gz", 1000);
            }).find("decompresses to more than 1000 bytes"),
            std::string::npos);
}

TEST(IndexDecoder, DecodesChunkByChunkAndStartsOverWhenTheDownloadDoes) {
  std::string text = sample();
  std::string xz = testing::compress(text, "xz");
  auto decoder = IndexDecoder::for_path("main/binary-amd64/Packages.xz", kMaxIndexText);
  ASSERT_TRUE(decoder);
  decoder->feed(0, std::string_view(xz).substr(0, 100));
  decoder->feed(0, std::string_view(xz).substr(0, 50));  // a retry from the start
  for (std::size_t at = 50; at < xz.size(); at += 77) decoder->feed(at, std::string_view(xz).substr(at, 77));
  ASSERT_TRUE(decoder->finished());
  EXPECT_FALSE(decoder->failed());
  EXPECT_EQ(decoder->take(), text);
  EXPECT_EQ(IndexDecoder::for_path("main/binary-amd64/Packages.gz", kMaxIndexText), nullptr);
}

TEST(IndexDecoder, AGapOrTrailingBytesMakeItFail) {
  std::string xz = testing::compress(sample(), "xz");
  IndexDecoder gap(IndexDecoder::Codec::xz, kMaxIndexText);
  gap.feed(0, std::string_view(xz).substr(0, 10));
  gap.feed(20, std::string_view(xz).substr(20));
  EXPECT_TRUE(gap.failed());
  IndexDecoder trailing(IndexDecoder::Codec::xz, kMaxIndexText);
  trailing.feed(0, xz + "junk");
  EXPECT_TRUE(trailing.failed());
}

}  // namespace
}  // namespace sheaf::repo
