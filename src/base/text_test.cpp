#include "base/text.hpp"

#include <gtest/gtest.h>

namespace sheaf {
namespace {

TEST(SplitWhitespace, DropsEmptyWords) {
  EXPECT_EQ(split_whitespace("  a\tb\n\nc \r"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_whitespace(" \n").empty());
}

TEST(SplitLines, AFinalNewlineStartsNoLine) {
  EXPECT_EQ(split_lines("a\n\nb"), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(split_lines("a\nb\n"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(split_lines("\n"), std::vector<std::string_view>{""});
  EXPECT_TRUE(split_lines("").empty());
}

TEST(Text, AsciiLowerTouchesOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("LocalHost:5000/Path"), "localhost:5000/path");
  EXPECT_EQ(ascii_lower("\xc3\x84"), "\xc3\x84");  // UTF-8 stays as it is
}

}  // namespace
}  // namespace sheaf
