#include "deb/control.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/errors.hpp"

namespace sheaf::deb {
namespace {

using ::testing::HasSubstr;

std::string parse_error(std::string_view text) {
  return testing::error_message_of([&] { Control::parse(text, "control"); });
}

TEST(Control, ParsesFieldsAndContinuationLines) {
  Control c = Control::parse(
      "Package: hello\nVersion: 2.10-3\nDescription: example package\n a longer text\n .\n more\n\n", "control");
  ASSERT_EQ(c.fields().size(), 3u);
  EXPECT_EQ(c.value("package"), "hello");
  EXPECT_EQ(c.value("VERSION"), "2.10-3");
  EXPECT_EQ(c.value("Description"), "example package\n a longer text\n .\n more");
  EXPECT_EQ(c.find("Description")->line, 3u);
  EXPECT_EQ(c.value("Missing"), "");
  EXPECT_EQ(c.find("Missing"), nullptr);
}

TEST(Control, TrimsValuesAndAcceptsCrLf) {
  Control c = Control::parse("Package:   hello  \r\nVersion:2\r\n", "control");
  EXPECT_EQ(c.value("Package"), "hello");
  EXPECT_EQ(c.value("Version"), "2");
}

TEST(Control, RefusesADuplicatedFieldWhateverItsCase) {
  EXPECT_THAT(parse_error("Package: a\nVersion: 1\nPACKAGE: b\n"),
              HasSubstr("control line 3: field 'PACKAGE' appears twice (first on line 1)"));
}

TEST(Control, RefusesMalformedLines) {
  EXPECT_THAT(parse_error("Package hello\n"), HasSubstr("control line 1: expected \"Field: value\""));
  EXPECT_THAT(parse_error(" continued\n"), HasSubstr("control line 1: a continuation line before any field"));
  EXPECT_THAT(parse_error("Package: a\n\nVersion: 1\n"), HasSubstr("control line 3: a second paragraph"));
  EXPECT_THAT(parse_error("-Bad: x\n"), HasSubstr("not a valid field name"));
  EXPECT_THAT(parse_error(std::string_view("Package: a\0b\n", 13)), HasSubstr("NUL"));
  EXPECT_THAT(parse_error("\n\n"), HasSubstr("control: empty"));
}

}  // namespace
}  // namespace sheaf::deb
