#include "base/json_fields.hpp"

#include <gtest/gtest.h>

namespace sheaf {
namespace {

using nlohmann::json;

TEST(JsonFields, ReadsAFieldOfTheRightType) {
  json doc = {{"name", "zlib"}, {"essential", true}};
  EXPECT_EQ(string_field(doc, "name"), "zlib");
  EXPECT_TRUE(bool_field(doc, "essential", false));
}

TEST(JsonFields, FallsBackWhenTheFieldIsMissingOrOfAnotherType) {
  json doc = {{"name", json::object()}, {"essential", "yes"}, {"version", 3}};
  EXPECT_EQ(string_field(doc, "name", "?"), "?");
  EXPECT_EQ(string_field(doc, "version"), "");
  EXPECT_EQ(string_field(doc, "absent", "x"), "x");
  EXPECT_FALSE(bool_field(doc, "essential", false));
  EXPECT_TRUE(bool_field(doc, "absent", true));
}

TEST(JsonFields, FallsBackWhenTheValueIsNotAnObject) {
  EXPECT_EQ(string_field(json::array({"name"}), "name", "-"), "-");
  EXPECT_EQ(string_field(json("name"), "name"), "");
  EXPECT_FALSE(bool_field(json(nullptr), "essential", false));
}

}  // namespace
}  // namespace sheaf
