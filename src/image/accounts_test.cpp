#include "image/accounts.hpp"

#include <gtest/gtest.h>

#include "image/effects.hpp"

namespace sheaf::image {
namespace {

// The derived ids are a format: the same name gets the same id in every
// sheaf, so these values are pinned (docs/formats/image.md, "Accounts").
TEST(Accounts, DerivedIdsAreAFunctionOfTheNamePinned) {
  EXPECT_EQ(account_id_candidate("redis", 100, 999, 0), 983u);
  for (std::string_view name : {"postgres", "mysql", "memcache", "haproxy", "redis"}) {
    for (unsigned round = 0; round < 3; ++round) {
      std::uint32_t id = account_id_candidate(name, 100, 999, round);
      EXPECT_GE(id, 100u);
      EXPECT_LE(id, 999u);
      EXPECT_EQ(id, account_id_candidate(name, 100, 999, round));
    }
    EXPECT_NE(account_id_candidate(name, 100, 999, 0), account_id_candidate(name, 100, 999, 1));
  }
}

TEST(Effects, ModesAsScriptsWriteThem) {
  EXPECT_EQ(apply_mode("0750", 0644, false), 0750u);
  EXPECT_EQ(apply_mode("640", 0644, false), 0640u);
  EXPECT_EQ(apply_mode("2750", 0755, true), 02750u);
  EXPECT_EQ(apply_mode("750", 02755, true), 02750u) << "chmod keeps a directory's setgid bit";
  EXPECT_EQ(apply_mode("g+w", 0644, false), 0664u);
  EXPECT_EQ(apply_mode("u=rwx,go=rx", 0600, false), 0755u);
  EXPECT_EQ(apply_mode("o-rwx", 0755, false), 0750u);
  EXPECT_EQ(apply_mode("+x", 0644, false), 0755u);
  EXPECT_EQ(apply_mode("a+X", 0644, true), 0755u);
  EXPECT_EQ(apply_mode("a+X", 0644, false), 0644u) << "X: only directories and what is executable";
  EXPECT_EQ(apply_mode("g+s", 0755, true), 02755u);
  EXPECT_EQ(apply_mode("+t", 0777, true), 01777u);
  EXPECT_EQ(apply_mode("rwx", 0, false), std::nullopt);
  EXPECT_EQ(apply_mode("999", 0, false), std::nullopt);
}

}  // namespace
}  // namespace sheaf::image
