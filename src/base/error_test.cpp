#include "base/error.hpp"

#include <gtest/gtest.h>

namespace sheaf {
namespace {

TEST(Error, DescribeListsContextInnermostFirst) {
  try {
    with_context("while adding 'tree'",
                 [] { with_context("while reading 'tree/a'", [] { fail("cannot open {}", quote("a")); }); });
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.describe(), "cannot open 'a'\n  while reading 'tree/a'\n  while adding 'tree'");
    EXPECT_EQ(e.kind(), ErrorKind::failure);
  }
}

TEST(Error, QuoteEscapesControlBytes) {
  EXPECT_EQ(quote("a\nb\x7f"), "'a\\x0ab\\x7f'");
  EXPECT_EQ(quote("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

TEST(Error, UsageErrorsKeepTheirKind) {
  try {
    fail_usage("bad option {}", "--x");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_STREQ(e.what(), "bad option --x");
  }
}

}  // namespace
}  // namespace sheaf
