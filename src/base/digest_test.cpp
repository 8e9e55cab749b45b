#include "base/digest.hpp"

#include <gtest/gtest.h>

namespace sheaf {
namespace {

TEST(Digest, HashesTheEmptyStringToTheKnownValue) {
  EXPECT_EQ(Digest::of("").str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, StreamingAndOneShotAgree) {
  Sha256 hasher;
  hasher.update("hello ");
  hasher.update("world");
  EXPECT_EQ(hasher.finish(), Digest::of("hello world"));
  EXPECT_EQ(Digest::of("hello world").hex(), "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
}

TEST(Digest, ParsesItsOwnTextForm) {
  Digest d = Digest::of("x");
  auto parsed = Digest::parse(d.str());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, d);
}

TEST(Digest, RejectsMalformedText) {
  std::string good = Digest::of("x").str();
  EXPECT_FALSE(Digest::parse(good.substr(7)));                   // no prefix
  EXPECT_FALSE(Digest::parse("sha512:" + good.substr(7)));       // wrong algorithm
  EXPECT_FALSE(Digest::parse(good.substr(0, good.size() - 1)));  // short
  std::string upper = good;
  upper[10] = 'A';
  EXPECT_FALSE(Digest::parse(upper));  // uppercase hex is not canonical
}

}  // namespace
}  // namespace sheaf
