#include "registry/auth.hpp"

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::registry {
namespace {

using testing::error_message_of;

std::string entry(const std::string& user, const std::string& password) {
  return "{\"auth\":\"" + base64_encode(user + ":" + password) + "\"}";
}

TEST(Auth, FindsTheLongestMatchingEntryInTheFirstFileThatHasOne) {
  testing::TempDir dir;
  testing::write_file(dir / "empty.json", "{\"auths\":{}}");
  testing::write_file(dir / "auth.json", "{\"auths\":{\"127.0.0.1:5000\":" + entry("all", "a") +
                                             ",\"127.0.0.1:5000/team\":" + entry("team", "t") +
                                             ",\"other:5000\":" + entry("other", "o") + "}}");
  testing::write_file(dir / "later.json", "{\"auths\":{\"127.0.0.1:5000\":" + entry("later", "l") + "}}");
  std::vector<std::filesystem::path> files{dir / "missing.json", dir / "empty.json", dir / "auth.json",
                                           dir / "later.json"};
  auto team = find_credentials(files, "127.0.0.1:5000", "team/app");
  ASSERT_TRUE(team);
  EXPECT_EQ(team->user, "team");
  EXPECT_EQ(team->password, "t");
  auto all = find_credentials(files, "127.0.0.1:5000", "teamx/app");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->user, "all");
  EXPECT_NE(all->source.find("auth.json"), std::string::npos);
  EXPECT_FALSE(find_credentials(files, "127.0.0.1:5001", "app"));
}

TEST(Auth, ReadsDockersUrlKeys) {
  testing::TempDir dir;
  testing::write_file(dir / "config.json", "{\"auths\":{\"https://LocalHost:5000/v1/\":" + entry("d", "p:w") + "}}");
  auto c = find_credentials({dir / "config.json"}, "localhost:5000", "app");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "d");
  EXPECT_EQ(c->password, "p:w");
}

TEST(Auth, NamesABrokenFile) {
  testing::TempDir dir;
  testing::write_file(dir / "bad.json", "{\"auths\":");
  EXPECT_NE(error_message_of([&] { find_credentials({dir / "bad.json"}, "h", "r"); }).find("is not valid JSON"),
            std::string::npos);
  testing::write_file(dir / "nocolon.json", "{\"auths\":{\"h\":{\"auth\":\"" + base64_encode("user") + "\"}}}");
  EXPECT_NE(error_message_of([&] { find_credentials({dir / "nocolon.json"}, "h", "r"); })
                .find("is not base64 of \"user:password\""),
            std::string::npos);
}

TEST(Auth, AnAuthfileIsTheOnlyFileSearched) {
  EXPECT_EQ(auth_files(std::filesystem::path("/x/auth.json")), std::vector<std::filesystem::path>{"/x/auth.json"});
}

TEST(Auth, ParsesChallenges) {
  auto c = parse_challenges(
      "Bearer realm=\"https://127.0.0.1:9/token\",service=\"sheaf-test\",scope=\"repository:a/b:pull,push\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://127.0.0.1:9/token");
  EXPECT_EQ(c[0].params["service"], "sheaf-test");
  EXPECT_EQ(c[0].params["scope"], "repository:a/b:pull,push");
  auto two = parse_challenges("Basic realm=\"Registry Realm\", Bearer realm=x");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].scheme, "basic");
  EXPECT_EQ(two[0].params["realm"], "Registry Realm");
  EXPECT_EQ(two[1].params["realm"], "x");
}

TEST(Auth, ReadsACertDirectory) {
  testing::TempDir dir;
  testing::write_file(dir / "ca.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  testing::write_file(dir / "client.cert", "x");
  testing::write_file(dir / "client.key", "y");
  http::Tls tls = tls_for("h:1", dir.path(), true);
  EXPECT_NE(tls.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(tls.client_certificate, dir / "client.cert");
  EXPECT_EQ(tls.client_key, dir / "client.key");
  EXPECT_NE(error_message_of([&] { tls_for("h", dir / "nope", true); }).find("is not a directory"), std::string::npos);
}

}  // namespace
}  // namespace sheaf::registry
