#include "base/suggest.hpp"

#include <gtest/gtest.h>

namespace sheaf {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("suites", "suits"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("python3", "pyhton3"), 2u);
}

TEST(ClosestMatch, SuggestsANearNameAndNothingFar) {
  std::vector<std::string> keys{"suites", "components", "arch", "mirror", "keyring"};
  EXPECT_EQ(closest_match("suits", keys), "suites");
  EXPECT_EQ(closest_match("mirorr", keys), "mirror");
  EXPECT_EQ(closest_match("architecture", keys), std::nullopt);
  EXPECT_EQ(closest_match("zzzz", keys), std::nullopt);
}

TEST(ClosestMatch, BreaksTiesByOrderNotByInputOrder) {
  EXPECT_EQ(closest_match("libsslx", {"libssl3", "libssl1"}), "libssl1");
  EXPECT_EQ(closest_match("libsslx", {"libssl1", "libssl3"}), "libssl1");
}

}  // namespace
}  // namespace sheaf
