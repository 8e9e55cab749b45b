#include "deb/closure.hpp"

#include <gtest/gtest.h>

namespace sheaf::deb {
namespace {

using Sentences = std::vector<std::string>;

ClosureMember member(std::string name, std::string version, std::string depends = "", std::string provides = "",
                     std::string conflicts = "", std::string breaks = "") {
  ClosureMember m{.name = std::move(name), .version = std::move(version)};
  m.depends = Relations::parse(depends, RelationKind::dependency, "Depends");
  m.provides = Relations::parse(provides, RelationKind::provides, "Provides");
  m.conflicts = Relations::parse(conflicts, RelationKind::conflict, "Conflicts");
  m.breaks = Relations::parse(breaks, RelationKind::conflict, "Breaks");
  return m;
}

TEST(Closure, VersionsAlternativesAndProvidesMeetDependencies) {
  std::vector<ClosureMember> set{
      member("app", "1.0", "libc6 (>= 2.34), mail-transport-agent, awk | mawk, python3:any (>= 3.11)"),
      member("libc6", "2.36-9"),
      member("exim", "4.96", "", "mail-transport-agent"),
      member("mawk", "1.3.4"),
      member("python3", "3.11.2-1+b1"),
  };
  EXPECT_TRUE(unmet_dependencies(set, "the image").empty());
}

TEST(Closure, EachUnmetGroupIsOneSentence) {
  std::vector<ClosureMember> set{
      member("app", "1.0", "libc6 (>= 2.38), awk | gawk, mta (>= 2)"), member("libc6", "2.36-9"),
      member("exim", "4.96", "", "mta"),  // unversioned: does not meet (>= 2)
  };
  EXPECT_EQ(unmet_dependencies(set, "the image"),
            (Sentences{"app 1.0 depends on libc6 (>= 2.38), which nothing in the image satisfies",
                       "app 1.0 depends on awk | gawk, which nothing in the image satisfies",
                       "app 1.0 depends on mta (>= 2), which nothing in the image satisfies"}));
}

TEST(Closure, VersionedProvidesMeetVersionedDependencies) {
  std::vector<ClosureMember> set{member("app", "1.0", "mta (>= 2)"), member("exim", "4.96", "", "mta (= 3)")};
  EXPECT_TRUE(unmet_dependencies(set, "the image").empty());
}

TEST(Closure, EpochsAndTildesOrderAsDebianDoes) {
  std::vector<ClosureMember> set{member("app", "1.0", "lib (>= 1:1.0~rc1)"), member("lib", "1:1.0")};
  EXPECT_TRUE(unmet_dependencies(set, "the image").empty());
  set[1].version = "1.5";  // epoch 0 sorts below epoch 1
  EXPECT_EQ(unmet_dependencies(set, "the image").size(), 1u);
}

TEST(Closure, ConflictsAndBreaksBetweenMembersAreReported) {
  std::vector<ClosureMember> set{
      member("mawk", "1.3.4", "", "awk", "gawk (<< 5)"),
      member("gawk", "4.2", "", "awk"),
      member("old", "1.0", "", "", "", "mawk (<< 2)"),
  };
  EXPECT_EQ(member_conflicts(set, "the image"),
            (Sentences{"mawk 1.3.4 conflicts with gawk (<< 5), and the image holds gawk 4.2",
                       "old 1.0 breaks mawk (<< 2), and the image holds mawk 1.3.4"}));
}

TEST(Closure, AConflictWithAVirtualPackageSparesItsOwnProvider) {
  // Debian's idiom: every MTA provides and conflicts with mail-transport-agent.
  std::vector<ClosureMember> set{member("exim", "4.96", "", "mail-transport-agent", "mail-transport-agent")};
  EXPECT_TRUE(member_conflicts(set, "the image").empty());
  set.push_back(member("postfix", "3.7", "", "mail-transport-agent", "mail-transport-agent"));
  EXPECT_EQ(member_conflicts(set, "the image"),
            (Sentences{"exim 4.96 conflicts with mail-transport-agent, and the image holds postfix 3.7 (which "
                       "provides mail-transport-agent)",
                       "postfix 3.7 conflicts with mail-transport-agent, and the image holds exim 4.96 (which "
                       "provides mail-transport-agent)"}));
}

}  // namespace
}  // namespace sheaf::deb
