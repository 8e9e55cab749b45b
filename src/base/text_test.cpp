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

TEST(Rfc2822Date, ReadsNamedAndNumericZones) {
  EXPECT_EQ(parse_rfc2822_date("Thu, 01 Jan 1970 00:00:00 UTC"), 0);
  // A changelog trailer's date: 2014-11-16 13:25:06 at +0100 is 12:25:06 UTC.
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 13:25:06 +0100"), 1416140706);
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 05:25:06 -0700"), 1416140706);
  EXPECT_EQ(parse_rfc2822_date("16 Nov 2014 12:25:06 Z"), 1416140706);
}

TEST(Rfc2822Date, RefusesWhatItCannotRead) {
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 13:25:06 CET"), std::nullopt);
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 13:25:06 +01"), std::nullopt);
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 13:25:06 +2400"), std::nullopt);
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 13:25 +0100"), std::nullopt);
  EXPECT_EQ(parse_rfc2822_date("Sun, 16 Nov 2014 13:25:06"), std::nullopt);
  EXPECT_EQ(parse_rfc2822_date("Sun, -6 Nov 2014 13:25:06 UTC"), std::nullopt);
  EXPECT_EQ(parse_rfc2822_date(""), std::nullopt);
}

}  // namespace
}  // namespace sheaf
