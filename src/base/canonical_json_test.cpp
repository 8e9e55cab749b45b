#include "base/canonical_json.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace sheaf {
namespace {

using nlohmann::json;

TEST(CanonicalJson, SortsKeysBytewiseAndDropsWhitespace) {
  json doc = {{"b", 1}, {"a", json::array({true, false})}, {"\xc3\xa9", "x"}, {"Z", -5}};
  EXPECT_EQ(canonical_json(doc), "{\"Z\":-5,\"a\":[true,false],\"b\":1,\"\xc3\xa9\":\"x\"}");
}

TEST(CanonicalJson, EscapesOnlyWhatJsonRequires) {
  json doc = std::string("q\"b\\n\n t\t\x01 \x7f /");
  EXPECT_EQ(canonical_json(doc), "\"q\\\"b\\\\n\\n t\\t\\u0001 \x7f /\"");
}

TEST(CanonicalJson, WritesIntegersInShortestForm) {
  EXPECT_EQ(canonical_json(json(std::uint64_t{18446744073709551615u})), "18446744073709551615");
  EXPECT_EQ(canonical_json(json(std::int64_t{-9223372036854775807 - 1})), "-9223372036854775808");
  EXPECT_EQ(canonical_json(json(0)), "0");
}

TEST(CanonicalJson, RefusesValuesWithoutACanonicalForm) {
  EXPECT_THROW(canonical_json(json(1.5)), Error);
  EXPECT_THROW(canonical_json(json(nullptr)), Error);
  EXPECT_THROW(canonical_json(json(std::string("\xff"))), Error);
}

TEST(Utf8, AcceptsWellFormedAndRejectsMalformed) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
}

}  // namespace
}  // namespace sheaf
