#include "base/base64.hpp"

#include <gtest/gtest.h>

namespace sheaf {
namespace {

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n < all.size(); n += 37) {
    auto part = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(part)), part);
  }
}

TEST(Base64, RejectsNonCanonicalSpellings) {
  EXPECT_FALSE(base64_decode("Zg"));      // unpadded
  EXPECT_FALSE(base64_decode("Zh=="));    // stray bits after the last byte
  EXPECT_FALSE(base64_decode("Zm9v\n"));  // whitespace
  EXPECT_FALSE(base64_decode("Zm=v"));    // padding in the middle
  EXPECT_FALSE(base64_decode("Z==="));    // too much padding
}

}  // namespace
}  // namespace sheaf
