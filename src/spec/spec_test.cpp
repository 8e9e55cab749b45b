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
  EXPECT_NE(error_of("[source.debian]\nsuites = [\"a\"]\nmirror = \"ftp://127.0.0.1\"\n")
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

TEST(Spec, ReadsTheImageSections) {
  Spec spec = parse(R"toml(
[image]
name = "hello-python"
entrypoint = ["/usr/bin/python3"]
cmd = ["-c", "print('hello')"]
env = { LANG = "C.UTF-8", A = "1" }
user = "app"
workdir = "/app/"
ports = ["8080", 443, "53/udp", "8080/tcp"]
labels = { "org.opencontainers.image.title" = "hello" }
stop_signal = "SIGINT"

[packages]
include = ["python3"]
drop_paths = ["usr/share/doc/**", "/usr/share/man/**"]

[[users]]
name = "app"
uid = 1000

[[users]]
name = "svc"
uid = 1001
gid = 2000
home = "/srv"
shell = "/bin/sh"

[[groups]]
name = "staff"
gid = 2000

[[files]]
src = "app/"
dest = "/app"
mode = "0755"

[[paths]]
path = "/var/cache/app"
type = "dir"
mode = 0o700
uid = 1000

[[paths]]
path = "/etc/motd"
type = "file"
content = "hi\n"

[[paths]]
path = "/usr/local/bin/py"
type = "symlink"
target = "/usr/bin/python3"
)toml");
  EXPECT_EQ(spec.image.name, "hello-python");
  EXPECT_EQ(spec.image.entrypoint, std::vector<std::string>{"/usr/bin/python3"});
  EXPECT_EQ(spec.image.cmd, (std::vector<std::string>{"-c", "print('hello')"}));
  EXPECT_EQ(spec.image.env, (std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"LANG", "C.UTF-8"}}));
  EXPECT_EQ(spec.image.user, "app");
  EXPECT_EQ(spec.image.workdir, "/app");
  EXPECT_EQ(spec.image.ports, (std::vector<std::string>{"443/tcp", "53/udp", "8080/tcp"}));
  EXPECT_EQ(spec.image.labels.at(0).first, "org.opencontainers.image.title");
  EXPECT_EQ(spec.image.stop_signal, "SIGINT");
  EXPECT_EQ(spec.packages.drop_paths, (std::vector<std::string>{"usr/share/doc/**", "usr/share/man/**"}));
  ASSERT_EQ(spec.users.size(), 2u);
  EXPECT_EQ(spec.users[0].gid, 1000u);
  EXPECT_EQ(spec.users[0].home, "/home/app");
  EXPECT_EQ(spec.users[0].shell, "/usr/sbin/nologin");
  EXPECT_EQ(spec.users[1].gid, 2000u);
  EXPECT_EQ(spec.users[1].home, "/srv");
  ASSERT_EQ(spec.groups.size(), 1u);
  ASSERT_EQ(spec.files.size(), 1u);
  EXPECT_EQ(spec.files[0].src, std::filesystem::path("/work/app/app/"));
  EXPECT_EQ(spec.files[0].src_as_written, "app/");
  EXPECT_EQ(spec.files[0].mode, 0755u);
  ASSERT_EQ(spec.paths.size(), 3u);
  EXPECT_EQ(spec.paths[0].mode, 0700u);
  EXPECT_EQ(spec.paths[0].uid, 1000u);
  EXPECT_EQ(spec.paths[1].content, "hi\n");
  EXPECT_EQ(spec.paths[1].mode, 0644u);
  EXPECT_EQ(spec.paths[2].type, PathEntry::Type::symlink);
  EXPECT_EQ(spec.paths[2].target, "/usr/bin/python3");
}

TEST(Spec, ImageSectionErrorsNameThePosition) {
  EXPECT_NE(error_of("[image]\nentrypont = []\n")
                .find("sheaf.toml:2:1: unknown key 'entrypont' in [image]; did you mean 'entrypoint'?"),
            std::string::npos);
  EXPECT_NE(error_of("[image]\nname = \"Hello\"\n").find("sheaf.toml:2:8: image name 'Hello' must be lowercase"),
            std::string::npos);
  EXPECT_NE(error_of("[image]\nworkdir = \"app\"\n").find("sheaf.toml:2:11: workdir 'app' must be an absolute path"),
            std::string::npos);
  EXPECT_NE(error_of("[image]\nworkdir = \"/a/../b\"\n").find("must be an absolute path inside the image"),
            std::string::npos);
  EXPECT_NE(error_of("[image]\nports = [\"http\"]\n").find("sheaf.toml:2:10: 'http' is not a port"), std::string::npos);
  EXPECT_NE(error_of("[image]\nports = [70000]\n").find("a port must be between 0 and 65535"), std::string::npos);
  EXPECT_NE(error_of("[image]\nenv = { \"A=B\" = \"1\" }\n").find("'A=B' is not a valid environment variable name"),
            std::string::npos);
  EXPECT_NE(error_of("[image]\nstop_signal = \"TERM\"\n").find("must be a signal such as \"SIGTERM\""),
            std::string::npos);
  EXPECT_NE(
      error_of("[image]\ncmd = \"python3\"\n").find("sheaf.toml:2:7: cmd must be a list of strings, not a string"),
      std::string::npos);
  EXPECT_NE(
      error_of("[packages]\ndrop_paths = [\"usr/../etc\"]\n").find("drop_paths entry 'usr/../etc' must be a path glob"),
      std::string::npos);
}

TEST(Spec, UserAndGroupClashesAreErrors) {
  EXPECT_NE(error_of("[[users]]\nname = \"app\"\nuid = 1000\n[[users]]\nname = \"app\"\nuid = 1001\n")
                .find("sheaf.toml:5:8: user 'app' is declared twice (first at line 1)"),
            std::string::npos);
  EXPECT_NE(error_of("[[users]]\nname = \"a1\"\nuid = 1000\n[[users]]\nname = \"b1\"\nuid = 1000\n")
                .find("sheaf.toml:6:7: uid 1000 of 'b1' is already 'a1''s"),
            std::string::npos);
  EXPECT_NE(error_of("[[users]]\nname = \"root\"\nuid = 5\n").find("user 'root' is always in the image"),
            std::string::npos);
  EXPECT_NE(error_of("[[users]]\nname = \"x1\"\nuid = 0\n").find("uid 0 belongs to root"), std::string::npos);
  EXPECT_NE(error_of("[[users]]\nname = \"Bad\"\nuid = 5\n").find("user name 'Bad' must start with"),
            std::string::npos);
  EXPECT_NE(error_of("[[users]]\nname = \"x1\"\n").find("sheaf.toml:1:1: a [[users]] entry has no uid"),
            std::string::npos);
  EXPECT_NE(error_of("[[users]]\nname = \"x1\"\nuid = -1\n").find("uid must be between 0 and"), std::string::npos);
  EXPECT_NE(error_of("[[groups]]\nname = \"g1\"\ngid = 7\n[[groups]]\nname = \"g2\"\ngid = 7\n")
                .find("gid 7 of 'g2' is already 'g1''s"),
            std::string::npos);
  EXPECT_NE(error_of("users = 3\n").find("users must be [[users]] tables"), std::string::npos);
}

TEST(Spec, FilesAndPathsAreChecked) {
  EXPECT_NE(error_of("[[files]]\nsrc = \"a\"\ndest = \"/x\"\nmode = 755\n")
                .find("mode must be octal: write \"0644\" or 0o644"),
            std::string::npos);
  EXPECT_NE(error_of("[[files]]\nsrc = \"a\"\ndest = \"/x\"\nmode = \"0999\"\n").find("mode '0999' must be octal"),
            std::string::npos);
  EXPECT_NE(error_of("[[files]]\nsrc = \"a\"\ndest = \"/x\"\n[[files]]\nsrc = \"b\"\ndest = \"/x/\"\n")
                .find("dest '/x' is already the dest of the [[files]] entry at line 1"),
            std::string::npos);
  EXPECT_NE(error_of("[[paths]]\npath = \"/l\"\ntype = \"symlink\"\n")
                .find("sheaf.toml:1:1: the symlink '/l' needs a target"),
            std::string::npos);
  EXPECT_NE(error_of("[[paths]]\npath = \"/d\"\ntype = \"dir\"\ntarget = \"/x\"\n")
                .find("target is for type = \"symlink\" only"),
            std::string::npos);
  EXPECT_NE(error_of("[[paths]]\npath = \"/d\"\ntype = \"fifo\"\n")
                .find("type 'fifo' must be \"dir\", \"symlink\" or \"file\""),
            std::string::npos);
  EXPECT_NE(error_of("[[paths]]\npath = \"/l\"\ntype = \"symlink\"\ntarget = \"x\"\nmode = \"0777\"\n")
                .find("a symlink has no mode"),
            std::string::npos);
  EXPECT_NE(
      error_of("[[paths]]\npath = \"/d\"\ntype = \"dir\"\ncolour = 1\n").find("unknown key 'colour' in [[paths]]"),
      std::string::npos);
}

TEST(Spec, RecipesAreNamedByPath) {
  Spec spec = parse("[[recipes]]\npath = \"greet/greet.toml\"\n\n[[recipes]]\npath = \"/opt/lib.toml\"\n");
  ASSERT_EQ(spec.recipes.size(), 2u);
  EXPECT_EQ(spec.recipes[0].path, "/work/app/greet/greet.toml");
  EXPECT_EQ(spec.recipes[0].path_as_written, "greet/greet.toml");
  EXPECT_EQ(spec.recipes[0].position.line, 1u);
  EXPECT_EQ(spec.recipes[1].path, "/opt/lib.toml");
  EXPECT_NE(error_of("[[recipes]]\npath = \"a.toml\"\n[[recipes]]\npath = \"./a.toml\"\n")
                .find("sheaf.toml:4:8: the recipe './a.toml' is already named at line 1"),
            std::string::npos);
  EXPECT_NE(error_of("[[recipes]]\npaht = \"a.toml\"\n").find("sheaf.toml:2:1: unknown key 'paht' in [[recipes]] (known: path)"),
            std::string::npos);
  EXPECT_NE(error_of("[[recipes]]\npathh = \"a.toml\"\n").find("did you mean 'path'?"), std::string::npos);
  EXPECT_NE(error_of("[[recipes]]\npath = \"\"\n").find("path must name a recipe file"), std::string::npos);
  EXPECT_NE(error_of("[recipes]\npath = \"a.toml\"\n").find("recipes must be"), std::string::npos);
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

namespace sheaf::spec {
namespace {

constexpr std::string_view kIndexSource = "[source.debian]\nsuites = [\"a\"]\narch = [\"amd64\", \"arm64\"]\n";

TEST(SpecIndex, ArchAsAListAsksForAnIndex) {
  Spec spec = Spec::parse(std::string(kIndexSource) + "[packages]\ninclude = [\"python3\"]\n", "/work/app/sheaf.toml");
  ASSERT_TRUE(spec.debian);
  EXPECT_TRUE(spec.debian->index);
  EXPECT_EQ(spec.debian->arches, (std::vector<std::string>{"amd64", "arm64"}));
  EXPECT_EQ(spec.debian->arch, "amd64");
  Spec arm = spec.for_arch("arm64");
  EXPECT_EQ(arm.debian->arch, "arm64");
  EXPECT_EQ(arm.debian->arches, std::vector<std::string>{"arm64"});
  EXPECT_TRUE(arm.debian->index);
  // A list of one is still an index; a string is not.
  EXPECT_TRUE(Spec::parse("[source.debian]\nsuites = [\"a\"]\narch = [\"arm64\"]\n", "/s.toml").debian->index);
  Spec one = Spec::parse("[source.debian]\nsuites = [\"a\"]\narch = \"arm64\"\n", "/s.toml");
  EXPECT_FALSE(one.debian->index);
  EXPECT_EQ(one.debian->arches, std::vector<std::string>{"arm64"});
}

TEST(SpecIndex, FilesTakeAnArchAndGoOnlyIntoThatImage) {
  Spec spec = Spec::parse(std::string(kIndexSource) +
                              "[[files]]\nsrc = \"tool-amd64\"\ndest = \"/usr/local/bin/tool\"\narch = \"amd64\"\n"
                              "[[files]]\nsrc = \"tool-arm64\"\ndest = \"/usr/local/bin/tool\"\narch = \"arm64\"\n"
                              "[[files]]\nsrc = \"conf\"\ndest = \"/etc/tool.conf\"\n",
                          "/work/app/sheaf.toml");
  ASSERT_EQ(spec.files.size(), 3u);
  auto arm = spec.for_arch("arm64").files;
  ASSERT_EQ(arm.size(), 2u);
  EXPECT_EQ(arm[0].src_as_written, "tool-arm64");
  EXPECT_EQ(arm[1].src_as_written, "conf");
  EXPECT_EQ(spec.for_arch("amd64").files[0].src_as_written, "tool-amd64");
}

TEST(SpecIndex, RefusesWhatAnIndexCannotHave) {
  EXPECT_EQ(error_of("[source.debian]\nsuites = [\"a\"]\narch = []\n"),
            "/work/app/sheaf.toml:3:8: arch must name at least one architecture");
  EXPECT_EQ(error_of("[source.debian]\nsuites = [\"a\"]\narch = [\"amd64\", \"amd64\"]\n"),
            "/work/app/sheaf.toml:3:18: arch lists 'amd64' twice");
  EXPECT_EQ(error_of("[source.debian]\nsuites = [\"a\"]\narch = [\"amd64\", \"any\"]\n"),
            "/work/app/sheaf.toml:3:18: 'any' is not a Debian architecture such as \"amd64\"");
  EXPECT_EQ(error_of("[source.debian]\nsuites = [\"a\"]\narch = 64\n"),
            "/work/app/sheaf.toml:3:8: arch must be a string or a list of strings, not an integer");
  // [[files]]: an arch the image is not built for, one dest twice for one image.
  EXPECT_EQ(error_of(std::string(kIndexSource) + "[[files]]\nsrc = \"t\"\ndest = \"/t\"\narch = \"s390x\"\n"),
            "/work/app/sheaf.toml:7:8: arch 's390x' is not an architecture the image is built for ([source.debian] "
            "arch: amd64, arm64)");
  EXPECT_NE(error_of(std::string(kIndexSource) +
                     "[[files]]\nsrc = \"t\"\ndest = \"/t\"\narch = \"arm64\"\n[[files]]\nsrc = \"u\"\ndest = \"/t\"\n")
                .find("dest '/t' is already the dest of the [[files]] entry at line 4"),
            std::string::npos);
  if (host_debian_arch() != "arm64") {  // without [source.debian], the image is the host's
    EXPECT_NE(error_of("[[files]]\nsrc = \"t\"\ndest = \"/t\"\narch = \"arm64\"\n")
                  .find("arch 'arm64' is not an architecture"),
              std::string::npos);
  }
  // [trim] traces one image.
  EXPECT_NE(error_of(std::string(kIndexSource) + "[trim]\n[[trim.workload]]\nargs = [\"-c\", \"1\"]\n")
                .find("[trim] traces workloads of one image on the host, so it does not apply to an image index"),
            std::string::npos);
}

}  // namespace
}  // namespace sheaf::spec
