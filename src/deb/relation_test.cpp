#include "deb/relation.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace sheaf::deb {
namespace {

TEST(Relations, ParsesAndSpellsDependenciesCanonically) {
  Relations r = Relations::parse("libc6(>=2.34) ,python3:any|  python3-minimal ( << 3.12~ ),\n foo",
                                 RelationKind::dependency, "Depends");
  EXPECT_EQ(r.str(), "libc6 (>= 2.34), python3:any | python3-minimal (<< 3.12~), foo");
  ASSERT_EQ(r.groups().size(), 3u);
  EXPECT_EQ(r.groups()[1].size(), 2u);
  EXPECT_EQ(r.groups()[1][0].arch_qualifier, "any");
  EXPECT_EQ(r.groups()[1][1].op, RelationOp::earlier);
}

TEST(Relations, ReadsTheObsoleteOperatorsAsDpkgDoes) {
  EXPECT_EQ(Relations::parse("a0 (< 1), b0 (> 2)", RelationKind::dependency, "D").str(), "a0 (<= 1), b0 (>= 2)");
}

TEST(Relations, EmptyTextMeansNoRelations) {
  EXPECT_TRUE(Relations::parse("  ", RelationKind::dependency, "D").empty());
  EXPECT_EQ(Relations::parse("aa,", RelationKind::dependency, "D").str(), "aa");
}

TEST(Relations, ReportsTheColumnOfAProblem) {
  try {
    Relations::parse("libc6 (>= 2.34), Bad", RelationKind::dependency, "--depends");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.where(), "--depends column 18");
  }
}

TEST(Relations, RefusesMalformedFields) {
  for (const char* bad : {"a", "aa (>= )", "aa (=> 1)", "aa (>= 1", "aa | ", "aa,,bb", "aa [amd64]", "aa <!nocheck>",
                          "aa (>= x1)", "aa:"}) {
    EXPECT_THROW(Relations::parse(bad, RelationKind::dependency, "D"), ParseError) << bad;
  }
}

TEST(Relations, AppliesTheRulesOfEachField) {
  EXPECT_THROW(Relations::parse("aa | bb", RelationKind::conflict, "Conflicts"), ParseError);
  EXPECT_THROW(Relations::parse("mta (>= 1)", RelationKind::provides, "Provides"), ParseError);
  EXPECT_EQ(Relations::parse("mta (= 1.0)", RelationKind::provides, "Provides").str(), "mta (= 1.0)");
}

TEST(PackageNames, FollowDebianPolicy) {
  EXPECT_TRUE(is_valid_package_name("libstdc++6"));
  EXPECT_TRUE(is_valid_package_name("0ad"));
  EXPECT_FALSE(is_valid_package_name("x"));
  EXPECT_FALSE(is_valid_package_name("Upper"));
  EXPECT_FALSE(is_valid_package_name("-dash"));
  EXPECT_FALSE(is_valid_package_name("under_score"));
}

}  // namespace
}  // namespace sheaf::deb
