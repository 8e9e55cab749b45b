#include "sbom/osv.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace sheaf::sbom {
namespace {

OsvAffected parse_one(const std::string& affected_json, std::vector<std::string>* problems_out = nullptr) {
  std::vector<std::string> problems;
  bool other = false;
  OsvRecord r =
      parse_osv(R"({"id":"DSA-1","affected":[)" + affected_json + "]}", "Debian:12", "x.json", problems, other);
  if (problems_out) *problems_out = problems;
  return r.affected.empty() ? OsvAffected{} : r.affected.front();
}

std::string ranges(const std::string& events) {
  return R"({"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[)" + events +
         "]}]}";
}

TEST(Osv, FixedRangesAffectWhatIsBelowTheFix) {
  OsvAffected a = parse_one(ranges(R"({"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"})"));
  EXPECT_TRUE(evaluate(a, "3.0.11-1~deb12u2").affected);
  EXPECT_EQ(evaluate(a, "3.0.11-1~deb12u2").fixed, "3.0.13-1~deb12u1");
  EXPECT_FALSE(evaluate(a, "3.0.13-1~deb12u1").affected);
  // '~' sorts before the end: 3.0.13-1~deb12u1 < 3.0.13-1.
  EXPECT_FALSE(evaluate(a, "3.0.13-1").affected);
  EXPECT_TRUE(evaluate(a, "3.0.13-1~deb12u0").affected);
}

TEST(Osv, LastAffectedIncludesThatVersionOnly) {
  OsvAffected a = parse_one(ranges(R"({"introduced":"0"},{"last_affected":"2.0-1"})"));
  EXPECT_TRUE(evaluate(a, "2.0-1").affected);
  EXPECT_FALSE(evaluate(a, "2.0-2").affected);
  EXPECT_FALSE(evaluate(a, "2.0-1").fixed);
}

TEST(Osv, IntroducedAfterTheInstalledVersionDoesNotAffectIt) {
  OsvAffected a = parse_one(ranges(R"({"introduced":"3.1"},{"fixed":"3.2"})"));
  EXPECT_FALSE(evaluate(a, "3.0.11-1").affected);
  EXPECT_TRUE(evaluate(a, "3.1.5").affected);
  EXPECT_FALSE(evaluate(a, "3.2").affected);
}

TEST(Osv, EpochsOutweighEverythingElse) {
  OsvAffected a = parse_one(ranges(R"({"introduced":"0"},{"fixed":"1:1.0-1"})"));
  EXPECT_TRUE(evaluate(a, "9.9-1").affected);  // no epoch: 0:9.9-1 < 1:1.0-1
  EXPECT_FALSE(evaluate(a, "1:1.0-1").affected);
  EXPECT_FALSE(evaluate(a, "2:0.1").affected);
}

TEST(Osv, LimitsAndSeveralRanges) {
  OsvAffected a = parse_one(ranges(R"({"introduced":"1.0"},{"limit":"1.5"},{"introduced":"2.0"},{"fixed":"2.1"})"));
  EXPECT_TRUE(evaluate(a, "1.2").affected);
  EXPECT_FALSE(evaluate(a, "1.7").affected);
  EXPECT_TRUE(evaluate(a, "2.0.5").affected);
  EXPECT_EQ(evaluate(a, "2.0.5").fixed, "2.1");
}

TEST(Osv, AnExplicitVersionListMatchesByDebianEquality) {
  OsvAffected a =
      parse_one(R"({"package":{"ecosystem":"Debian:12","name":"zlib"},"versions":["1:1.2.13.dfsg-1","1.3-1"]})");
  EXPECT_TRUE(evaluate(a, "1:1.2.13.dfsg-1").affected);
  EXPECT_TRUE(evaluate(a, "0:1.3-1").affected);
  EXPECT_FALSE(evaluate(a, "1.2.13.dfsg-1").affected);
}

TEST(Osv, OtherReleasesAreSkippedAndBadInputIsReported) {
  std::vector<std::string> problems;
  bool other = false;
  OsvRecord r = parse_osv(R"({"id":"DSA-2","affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1w-0+deb11u1"}]}]}]})",
                          "Debian:12", "x.json", problems, other);
  EXPECT_TRUE(other);
  EXPECT_TRUE(r.affected.empty());
  EXPECT_TRUE(problems.empty());

  parse_one(R"({"package":{"ecosystem":"Debain:12","name":"openssl"}})", &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("unknown ecosystem"), std::string::npos) << problems[0];
  parse_one(ranges(R"({"introduced":"0"},{"fixed":"not a version"})"), &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("is not a Debian version"), std::string::npos) << problems[0];

  EXPECT_THROW(parse_osv("{", "Debian:12", "x.json", problems, other), Error);
  EXPECT_THROW(parse_osv(R"({"affected":[]})", "Debian:12", "x.json", problems, other), Error);
}

}  // namespace
}  // namespace sheaf::sbom
