#include "registry/reference.hpp"

#include <gtest/gtest.h>

#include "testing/errors.hpp"

namespace sheaf::registry {
namespace {

using testing::error_message_of;

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(Reference, ParsesHostPortRepositoryAndTag) {
  Reference r = parse_reference("docker://127.0.0.1:5000/team/app:1.0");
  EXPECT_EQ(r.host, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "team/app");
  EXPECT_EQ(r.tag, "1.0");
  EXPECT_FALSE(r.digest);
  EXPECT_EQ(r.manifest_reference(), "1.0");
  EXPECT_EQ(r.str(), "docker://127.0.0.1:5000/team/app:1.0");
}

TEST(Reference, DefaultsToLatestAndLowerCasesTheHost) {
  Reference r = parse_reference("docker://LocalHost:5000/app");
  EXPECT_EQ(r.host, "localhost:5000");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.str(), "docker://localhost:5000/app:latest");
}

TEST(Reference, ParsesADigest) {
  Reference r = parse_reference("docker://localhost/a/b@sha256:" + kHex);
  EXPECT_FALSE(r.tag);
  ASSERT_TRUE(r.digest);
  EXPECT_EQ(r.manifest_reference(), "sha256:" + kHex);
  EXPECT_EQ(r.str(), "docker://localhost/a/b@sha256:" + kHex);
}

TEST(Reference, RefusesWhatIsNotAReference) {
  EXPECT_NE(error_message_of([] { parse_reference("127.0.0.1:5000/app"); }).find("docker://HOST"), std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://app"); }).find("names no registry host"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host/App"); }).find("repository component 'App'"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host/a--b_-c"); }).find("repository component"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host/app:-x"); }).find("is not a tag"), std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host/app@sha256:12"); }).find("is not a digest"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host/app:1@sha256:" + kHex); }).find("both a tag"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://ho_st/app"); }).find("not a registry host"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host:99x/app"); }).find("not a registry host"),
            std::string::npos);
  EXPECT_NE(error_message_of([] { parse_reference("docker://host/"); }).find("names no repository"),
            std::string::npos);
}

TEST(Reference, AcceptsSeparatorsTheDistributionGrammarAllows) {
  EXPECT_EQ(parse_reference("docker://host/a.b/c__d/e---f_g:T_1.x-2").repository, "a.b/c__d/e---f_g");
  EXPECT_EQ(parse_reference("docker://[::1]:5000/app").host, "[::1]:5000");
}

TEST(Reference, MapsToALocalNameOneToOne) {
  LocalName a = local_name(parse_reference("docker://127.0.0.1:5000/team/app:1.0"));
  EXPECT_EQ(a.name, "127.0.0.1_5000/team/app");
  EXPECT_EQ(a.tag, "1.0");
  LocalName b = local_name(parse_reference("docker://registry.test/app@sha256:" + kHex));
  EXPECT_EQ(b.name, "registry.test/app");
  EXPECT_EQ(b.tag, "sha256-" + kHex);
}

TEST(Reference, KnowsLoopbackHosts) {
  EXPECT_TRUE(is_loopback("127.0.0.1:5000"));
  EXPECT_TRUE(is_loopback("localhost"));
  EXPECT_TRUE(is_loopback("[::1]:80"));
  EXPECT_FALSE(is_loopback("registry.test"));
  EXPECT_FALSE(is_loopback("127example.test"));
}

}  // namespace
}  // namespace sheaf::registry
