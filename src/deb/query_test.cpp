#include "deb/query.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace sheaf::deb {
namespace {

TEST(PackageQuery, BareNameMatchesEveryVersion) {
  auto q = PackageQuery::parse("libssl3");
  EXPECT_EQ(q.name, "libssl3");
  EXPECT_FALSE(q.op);
  EXPECT_TRUE(q.matches("3.0.11-1~deb12u2"));
  EXPECT_EQ(q.str(), "libssl3");
}

TEST(PackageQuery, OperatorsCompareByDebianOrdering) {
  EXPECT_TRUE(PackageQuery::parse("libssl3@<3.0.22-1~deb12u2").matches("3.0.20-1~deb12u2"));
  EXPECT_FALSE(PackageQuery::parse("libssl3@<3.0.22-1~deb12u2").matches("3.0.22-1~deb12u2"));
  // "~" sorts before everything, even the end of the string.
  EXPECT_TRUE(PackageQuery::parse("libssl3@<3.0.22-1").matches("3.0.22-1~deb12u2"));
  EXPECT_TRUE(PackageQuery::parse("libssl3@<=3.0.22-1~deb12u2").matches("3.0.22-1~deb12u2"));
  EXPECT_TRUE(PackageQuery::parse("libssl3@>=3.0.22-1~deb12u2").matches("3.0.22-1~deb12u2"));
  EXPECT_FALSE(PackageQuery::parse("libssl3@>3.0.22-1~deb12u2").matches("3.0.22-1~deb12u2"));
  // An epoch outweighs everything after it; equality is Debian's (0:1.0 == 1.0).
  EXPECT_TRUE(PackageQuery::parse("x1@>9.9").matches("1:1.0"));
  EXPECT_TRUE(PackageQuery::parse("x1@1.0").matches("0:1.0"));
  EXPECT_TRUE(PackageQuery::parse("x1@=1.0").matches("1.0"));
  EXPECT_FALSE(PackageQuery::parse("x1@1.0").matches("1.0-1"));
  EXPECT_EQ(PackageQuery::parse("libssl3@<=3.0").str(), "libssl3@<=3.0");
  EXPECT_EQ(PackageQuery::parse("libssl3@=3.0").str(), "libssl3@3.0");
}

TEST(PackageQuery, BadQueriesSayWhatIsWrong) {
  auto message = [](std::string_view text) {
    try {
      PackageQuery::parse(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("LibSSL").find("not a Debian package name"), std::string::npos);
  EXPECT_NE(message("libssl3@").find("no version after '@'"), std::string::npos);
  EXPECT_NE(message("libssl3@<abc").find("is not a valid Debian version"), std::string::npos);
  EXPECT_NE(message("libssl3@<<1").find("not a valid Debian version"), std::string::npos);
}

}  // namespace
}  // namespace sheaf::deb
