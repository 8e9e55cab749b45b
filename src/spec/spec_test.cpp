#include "spec/spec.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"
#include "base/host.hpp"
#include "testing/errors.hpp"

namespace sheaf::spec {
namespace {

Spec parse(std::string_view text) {
  return Spec::parse(text, "/work/app/sheaf.toml");
}

std::string error_of(std::string_view text) {
  return testing::error_message_of([&] { parse(text); });
}

TEST(Spec, ReadsTheDebianSourceAndThePackageSelection) {
  Spec spec = parse(R"(
[source.debian]
suites = ["bookworm", "bookworm-updates"]
components = ["main", "contrib"]
arch = "arm64"
mirror = "http://127.0.0.1:8080/debian/"
keyring = "keys/test.gpg"

[packages]
include = ["python3", "libssl3=3.0.20-1~deb12u2"]
exclude = ["perl-base", "dash", "perl-base"]
recommends = true
)");
  ASSERT_TRUE(spec.debian);
  EXPECT_EQ(spec.debian->suites, (std::vector<std::string>{"bookworm", "bookworm-updates"}));
  EXPECT_EQ(spec.debian->components, (std::vector<std::string>{"main", "contrib"}));
  EXPECT_EQ(spec.debian->arch, "arm64");
  EXPECT_EQ(spec.debian->mirror, "http://127.0.0.1:8080/debian");
  EXPECT_EQ(spec.debian->keyring, std::filesystem::path("/work/app/keys/test.gpg"));
  ASSERT_EQ(spec.packages.include.size(), 2u);
  EXPECT_EQ(spec.packages.include[0].str(), "python3");
  EXPECT_EQ(spec.packages.include[1].name, "libssl3");
  EXPECT_EQ(spec.packages.include[1].version, "3.0.20-1~deb12u2");
  EXPECT_EQ(spec.packages.include[1].position.line, 10u);
  EXPECT_EQ(spec.packages.exclude, (std::vector<std::string>{"dash", "perl-base"}));
  EXPECT_TRUE(spec.packages.recommends);
}

TEST(Spec, DefaultsComponentsToMainAndArchToTheHost) {
  Spec spec = parse("[source.debian]\nsuites = [\"stable\"]\n");
  ASSERT_TRUE(spec.debian);
  EXPECT_EQ(spec.debian->components, std::vector<std::string>{"main"});
  EXPECT_EQ(spec.debian->arch, host_debian_arch());
  EXPECT_FALSE(spec.debian->mirror);
  EXPECT_FALSE(spec.debian->keyring);
  EXPECT_FALSE(spec.packages.recommends);
}

TEST(Spec, UnknownKeyIsAnErrorWithPositionAndSuggestion) {
  std::string message = error_of("[source.debian]\nsuits = [\"stable\"]\n");
  EXPECT_EQ(
      message.rfind("/work/app/sheaf.toml:2:1: unknown key 'suits' in [source.debian]; did you mean 'suites'?", 0), 0u)
      << message;
  message = error_of("[packages]\ninclude = []\nrecomends = true\n");
  EXPECT_NE(message.find("sheaf.toml:3:1: unknown key 'recomends' in [packages]; did you mean 'recommends'?"),
            std::string::npos)
      << message;
  message = error_of("[pakages]\ninclude = []\n");
  EXPECT_NE(message.find("sheaf.toml:1:2: unknown table or key 'pakages'; did you mean 'packages'?"), std::string::npos)
      << message;
}

TEST(Spec, WrongTypesAreErrorsAtTheValue) {
  EXPECT_NE(error_of("[source.debian]\nsuites = \"bookworm\"\n")
                .find("sheaf.toml:2:10: suites must be a list of strings, not a string"),
            std::string::npos);
  EXPECT_NE(error_of("[packages]\ninclude = [\"a1\", 3]\n")
                .find("sheaf.toml:2:18: each entry of include must be a string, not an integer"),
            std::string::npos);
  EXPECT_NE(error_of("[packages]\nrecommends = \"yes\"\n").find("sheaf.toml:2:14: recommends must be true or false"),
            std::string::npos);
  EXPECT_NE(error_of("source = 3\n").find("sheaf.toml:1:10: [source] must be a table"), std::string::npos);
}

TEST(Spec, TomlSyntaxErrorsCarryThePosition) {
  std::string message = error_of("[packages]\nrecommends = false\ninclude = = [\"python3\"]\n");
  EXPECT_EQ(message.rfind("/work/app/sheaf.toml:3:11: ", 0), 0u) << message;
}

TEST(Spec, RefusesBadValues) {
  EXPECT_NE(error_of("[source.debian]\nsuites = []\n").find("suites must name at least one suite"), std::string::npos);
  EXPECT_NE(error_of("[source.debian]\ncomponents = [\"main\"]\n").find("sheaf.toml:1:1: [source.debian] needs suites"),
            std::string::npos);
  EXPECT_NE(error_of("[source.debian]\nsuites = [\"a\", \"a\"]\n").find("sheaf.toml:2:16: suites lists 'a' twice"),
            std::string::npos);
  EXPECT_NE(error_of("[source.debian]\nsuites = [\"a b\"]\n").find("'a b' is not a valid suite name"),
            std::string::npos);
  EXPECT_NE(error_of("[source.debian]\nsuites = [\"a\"]\narch = \"all\"\n").find("'all' is not a Debian architecture"),
            std::string::npos);
  EXPECT_NE(error_of("[source.debian]\nsuites = [\"a\"]\nmirror = \"ftp://x\"\n")
                .find("must be an http://, https:// or file:// URL"),
            std::string::npos);
  EXPECT_NE(error_of("[packages]\ninclude = [\"Python3\"]\n")
                .find("sheaf.toml:2:12: 'Python3' is not a valid Debian package name"),
            std::string::npos);
  EXPECT_NE(error_of("[packages]\ninclude = [\"libssl3=x.y\"]\n")
                .find("'libssl3' pins 'x.y', which is not a valid Debian version"),
            std::string::npos);
  EXPECT_NE(error_of("[packages]\ninclude = [\"python3\"]\nexclude = [\"python3\"]\n")
                .find("sheaf.toml:3:12: 'python3' is both included (line 2) and excluded"),
            std::string::npos);
}

TEST(Spec, ConflictingPinsAreAnErrorNamingBoth) {
  std::string message = error_of("[packages]\ninclude = [\"libssl3=3.0.20-1\",\n  \"libssl3=3.0.21-1\"]\n");
  EXPECT_NE(message.find("sheaf.toml:3:3: 'libssl3=3.0.21-1' conflicts with 'libssl3=3.0.20-1' at line 2"),
            std::string::npos)
      << message;
  // The same pin twice is harmless and is kept once.
  Spec spec = parse("[packages]\ninclude = [\"libssl3=1.0\", \"libssl3=1.0\"]\n");
  EXPECT_EQ(spec.packages.include.size(), 1u);
}

TEST(Spec, LoadNamesAMissingFile) {
  try {
    Spec::load("/nonexistent/sheaf.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the spec '/nonexistent/sheaf.toml'"), std::string::npos);
  }
}

}  // namespace
}  // namespace sheaf::spec
