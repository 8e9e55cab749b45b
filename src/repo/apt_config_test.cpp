#include "repo/apt_config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::repo {
namespace {

TEST(AptSources, ReadsOneLineEntriesWithOptionsAndSkipsDebSrc) {
  auto sources = parse_sources_list(
      "# a comment\n"
      "deb http://127.0.0.1:8000/debian/ bookworm main contrib\n"
      "deb-src http://127.0.0.1:8000/debian bookworm main\n"
      "\n"
      "deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/k.gpg ] file:///srv/repo stable main # trailing\n",
      "sources.list");
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].uri, "http://127.0.0.1:8000/debian");
  EXPECT_EQ(sources[0].suite, "bookworm");
  EXPECT_EQ(sources[0].components, (std::vector<std::string>{"main", "contrib"}));
  EXPECT_EQ(sources[0].where, "sources.list:2");
  EXPECT_EQ(sources[1].uri, "file:///srv/repo");
  EXPECT_EQ(sources[1].architectures, (std::vector<std::string>{"amd64", "arm64"}));
  EXPECT_EQ(sources[1].signed_by, std::vector<std::string>{"/usr/share/keyrings/k.gpg"});
  EXPECT_EQ(sources[1].where, "sources.list:5");
}

TEST(AptSources, MalformedOneLineEntriesNameTheLine) {
  EXPECT_EQ(testing::error_message_of([] { parse_sources_list("deb http://127.0.0.1\n", "a.list"); }),
            "a.list:1: a deb line needs a URI and a suite");
  EXPECT_EQ(
      testing::error_message_of([] { parse_sources_list("\ndeb [arch=amd64 http://127.0.0.1 s main\n", "a.list"); }),
      "a.list:2: an option list '[' is not closed");
  EXPECT_EQ(testing::error_message_of([] { parse_sources_list("rpm http://127.0.0.1 s main\n", "a.list"); }),
            "a.list:1: unknown source type 'rpm'");
}

TEST(AptSources, ReadsDeb822StanzasWithCommentsSeveralUrisAndSuites) {
  auto sources = parse_sources_deb822(
      "Types: deb deb-src\n"
      "# a comment inside the stanza\n"
      "URIs: http://127.0.0.1:1/a http://127.0.0.1:2/b/\n"
      "Suites: bookworm bookworm-updates\n"
      "Components: main\n"
      "Signed-By: /k.gpg\n"
      "\n"
      "Types: deb\n"
      "URIs: http://127.0.0.1:3/c\n"
      "Suites: sid\n"
      "Components: main\n"
      "Enabled: no\n"
      "\n"
      "Types: deb-src\n"
      "URIs: http://127.0.0.1:4/d\n"
      "Suites: sid\n"
      "Components: main\n"
      "\n"
      "Types: deb\n"
      "URIs: http://127.0.0.1:5/e\n"
      "Suites: trixie\n"
      "Components: main\n"
      "Architectures: arm64\n"
      "Signed-By:\n"
      " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
      " .\n"
      " -----END PGP PUBLIC KEY BLOCK-----\n",
      "debian.sources");
  ASSERT_EQ(sources.size(), 5u);
  EXPECT_EQ(sources[0].uri, "http://127.0.0.1:1/a");
  EXPECT_EQ(sources[0].suite, "bookworm");
  EXPECT_EQ(sources[1].suite, "bookworm-updates");
  EXPECT_EQ(sources[2].uri, "http://127.0.0.1:2/b");
  EXPECT_EQ(sources[0].signed_by, std::vector<std::string>{"/k.gpg"});
  EXPECT_EQ(sources[0].where, "debian.sources:1");
  EXPECT_EQ(sources[4].suite, "trixie");
  EXPECT_EQ(sources[4].architectures, std::vector<std::string>{"arm64"});
  EXPECT_TRUE(sources[4].signed_by.empty());  // an inline key is not a path
  EXPECT_EQ(sources[4].where, "debian.sources:19");
}

TEST(AptSources, MalformedDeb822NamesTheLine) {
  EXPECT_EQ(testing::error_message_of([] { parse_sources_deb822("Types: deb\nURIs http://127.0.0.1\n", "x.sources"); }),
            "x.sources:2: expected 'Field: value'");
  EXPECT_EQ(testing::error_message_of([] { parse_sources_deb822("Types: deb\nSuites: a\n", "x.sources"); }),
            "x.sources:1: the stanza has no URIs");
}

TEST(AuthConf, MatchesHostPortAndPathPrefix) {
  auto entries = parse_auth_conf(
      "machine 127.0.0.1:8000/private login alice password secret # comment\n"
      "machine https://127.0.0.2 login bob password pw\n"
      "machine 127.0.0.3\n login carol\n password x\n",
      "auth.conf");
  ASSERT_EQ(entries.size(), 3u);
  auto* a = find_credentials(entries, "http://127.0.0.1:8000/private/dists/x/InRelease");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->login, "alice");
  EXPECT_EQ(find_credentials(entries, "http://127.0.0.1:8000/public/x"), nullptr);
  EXPECT_EQ(find_credentials(entries, "http://127.0.0.1:9000/private/x"), nullptr);
  EXPECT_EQ(find_credentials(entries, "http://127.0.0.2/x"), nullptr);  // the entry is for https only
  ASSERT_TRUE(find_credentials(entries, "https://127.0.0.2/x"));
  EXPECT_EQ(find_credentials(entries, "http://127.0.0.3:81/x")->login, "carol");
  EXPECT_EQ(testing::error_message_of([] { parse_auth_conf("login x\n", "auth.conf"); }),
            "auth.conf: login comes before any machine");
}

TEST(AptConfig, ProxyPerHostOverridesTheDefaultAndDirectMeansNone) {
  AptConfig config;
  config.http_proxy = "http://127.0.0.1:3128";
  config.host_proxies["http://127.0.0.9"] = "DIRECT";
  EXPECT_EQ(config.proxy_for("http://127.0.0.5/debian/x"), "http://127.0.0.1:3128");
  EXPECT_EQ(config.proxy_for("http://127.0.0.9:80/debian/x"), "");
  EXPECT_EQ(config.proxy_for("https://127.0.0.5/x"), "http://127.0.0.1:3128");
  EXPECT_EQ(config.proxy_for("file:///srv"), "");
  AptConfig none;
  EXPECT_EQ(none.proxy_for("http://127.0.0.5/x"), std::nullopt);  // the environment decides, as for apt
}

// The real apt-config reads an APT_CONFIG file that moves Dir::Etc and sets a proxy.
TEST(AptConfig, LoadsWhatAptConfigSays) {
  testing::TempDir dir;
  auto etc = dir / "etc";
  testing::make_dirs(etc / "sources.list.d");
  testing::make_dirs(etc / "auth.conf.d");
  testing::write_file(etc / "sources.list", "deb http://127.0.0.1:1/one stable main\n");
  testing::write_file(etc / "sources.list.d" / "b.sources",
                      "Types: deb\nURIs: http://127.0.0.1:2/two\nSuites: stable-updates\nComponents: main\n");
  testing::write_file(etc / "sources.list.d" / "a.list", "deb http://127.0.0.1:3/three stable-security main\n");
  testing::write_file(etc / "sources.list.d" / "ignored.disabled", "deb http://127.0.0.1:4/four x main\n");
  testing::write_file(etc / "auth.conf.d" / "x.conf", "machine 127.0.0.1:1 login u password p\n");
  testing::write_file(dir / "apt.conf",
                      "Dir::Etc \"" + etc.string() + "\";\nAcquire::http::Proxy \"http://127.0.0.1:3128\";\n");
  ASSERT_EQ(::setenv("APT_CONFIG", (dir / "apt.conf").c_str(), 1), 0);
  AptConfig config = load_host_apt_config();
  ::unsetenv("APT_CONFIG");
  ASSERT_EQ(config.sources.size(), 3u);
  EXPECT_EQ(config.sources[0].uri, "http://127.0.0.1:1/one");
  EXPECT_EQ(config.sources[1].uri, "http://127.0.0.1:3/three");  // a.list before b.sources
  EXPECT_EQ(config.sources[2].uri, "http://127.0.0.1:2/two");
  EXPECT_EQ(config.http_proxy, "http://127.0.0.1:3128");
  ASSERT_EQ(config.auth.size(), 1u);
  EXPECT_EQ(config.auth[0].login, "u");
}

TEST(AptConfigDump, ParsesKeyValueLines) {
  auto values = parse_apt_config_dump("Dir \"/\";\nDir::Etc \"etc/apt\";\nAPT::Architectures:: \"amd64\";\nbroken\n");
  EXPECT_EQ(values.at("Dir"), "/");
  EXPECT_EQ(values.at("Dir::Etc"), "etc/apt");
  EXPECT_EQ(values.count("broken"), 0u);
}

}  // namespace
}  // namespace sheaf::repo
