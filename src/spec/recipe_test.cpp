#include "spec/recipe.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"
#include "base/host.hpp"
#include "testing/errors.hpp"

namespace sheaf::spec {
namespace {

const std::string kHex = std::string(64, 'a');

Recipe parse_recipe(std::string_view text) {
  return Recipe::parse(text, "/work/greet/greet.toml");
}

std::string recipe_error_of(std::string_view text) {
  return testing::error_message_of([&] { parse_recipe(text); });
}

// The smallest valid recipe, with `extra` appended.
std::string minimal(std::string_view extra = "") {
  return std::string(R"([package]
name = "greet"
version = "1.0-1"

[source.debian]
suites = ["bookworm"]

[[sources]]
path = "greet-1.0.tar.gz"
sha256 = ")") + kHex + R"("

[build]
steps = ["make"]
)" + std::string(extra);
}

std::string without_steps() {
  std::string text = minimal();
  text.replace(text.find("[\"make\"]"), 8, "[]");
  return text;
}

TEST(Recipe, ReadsEverySection) {
  Recipe recipe = parse_recipe(R"T([package]
name = "greet"
version = "1.0-1"
license = "MIT"
homepage = "file:///usr/share/doc/greet"
description = "says hello"
depends = ["libgreet1 (= 1.0-1)", "libc6 (>= 2.34) | libc6.1"]
provides = ["greeter (= 1)"]
conflicts = ["hello"]

[source.debian]
suites = ["bookworm"]

[environment]
include = ["pkgconf", "zlib1g-dev=1:1.2.13.dfsg-1"]
exclude = ["perl"]
recipes = ["../libgreet/libgreet.toml"]

[[sources]]
path = "greet-1.0.tar.gz"
sha256 = "sha256:)T" + kHex + R"T("
strip_components = 1

[[sources]]
path = "vendor"
fileset = ")T" + kHex + R"T("
dest = "third_party/vendor/"

[[sources]]
path = "patches/fix.patch"
sha256 = ")T" + kHex + R"T("

[build]
steps = ["make", "make install DESTDIR=\"$DESTDIR\""]
env = {CFLAGS = "-O2", A_B = "1"}
timeout = 120
source_date_epoch = 1700000000

[[owners]]
path = "/var/lib/greet/**"
uid = 100
gid = 101
)T");
  EXPECT_EQ(recipe.package.name, "greet");
  EXPECT_EQ(recipe.package.license, "MIT");
  EXPECT_EQ(recipe.package.depends,
            (std::vector<std::string>{"libgreet1 (= 1.0-1)", "libc6 (>= 2.34) | libc6.1"}));
  EXPECT_EQ(recipe.package.provides, std::vector<std::string>{"greeter (= 1)"});
  ASSERT_TRUE(recipe.debian);
  EXPECT_EQ(recipe.debian->arch, host_debian_arch());
  ASSERT_EQ(recipe.environment.include.size(), 2u);
  EXPECT_EQ(recipe.environment.include[1].version, "1:1.2.13.dfsg-1");
  EXPECT_TRUE(recipe.environment.essential);
  EXPECT_TRUE(recipe.environment.build_essential);
  EXPECT_EQ(recipe.environment.recipes, std::vector<std::filesystem::path>{"/work/libgreet/libgreet.toml"});
  ASSERT_EQ(recipe.sources.size(), 3u);
  EXPECT_EQ(recipe.sources[0].kind, RecipeSource::Kind::archive);
  EXPECT_EQ(recipe.sources[0].path, "/work/greet/greet-1.0.tar.gz");
  EXPECT_EQ(recipe.sources[0].digest, "sha256:" + kHex);
  EXPECT_EQ(recipe.sources[0].strip_components, 1u);
  EXPECT_EQ(recipe.sources[0].dest, "");
  EXPECT_EQ(recipe.sources[1].kind, RecipeSource::Kind::directory);
  EXPECT_EQ(recipe.sources[1].dest, "third_party/vendor");
  EXPECT_EQ(recipe.sources[2].kind, RecipeSource::Kind::file);
  EXPECT_EQ(recipe.sources[2].dest, "fix.patch");
  EXPECT_EQ(recipe.build.steps.size(), 2u);
  EXPECT_EQ(recipe.build.env, (std::vector<std::pair<std::string, std::string>>{{"A_B", "1"}, {"CFLAGS", "-O2"}}));
  EXPECT_EQ(recipe.build.timeout, 120u);
  EXPECT_EQ(recipe.build.source_date_epoch, 1700000000);
  ASSERT_EQ(recipe.owners.size(), 1u);
  EXPECT_EQ(recipe.owners[0].glob, "var/lib/greet/**");
  EXPECT_EQ(recipe.owners[0].gid, 101u);
  EXPECT_EQ(recipe.lock_path(), "/work/greet/greet.lock");
}

TEST(Recipe, TheEnvironmentSpecHasBuildEssentialAndTheEssentialSetByDefault) {
  Recipe recipe = parse_recipe(minimal());
  Spec env = recipe.environment_spec();
  ASSERT_EQ(env.packages.include.size(), 1u);
  EXPECT_EQ(env.packages.include[0].name, "build-essential");
  EXPECT_TRUE(env.packages.essential);
  EXPECT_EQ(env.lock_path, "/work/greet/greet.lock");
  EXPECT_EQ(recipe.build.timeout, 3600u);

  Recipe bare =
      parse_recipe(minimal("\n[environment]\nessential = false\nbuild_essential = false\ninclude = [\"busybox\"]\n"));
  env = bare.environment_spec();
  ASSERT_EQ(env.packages.include.size(), 1u);
  EXPECT_EQ(env.packages.include[0].name, "busybox");
  EXPECT_FALSE(env.packages.essential);
}

TEST(Recipe, ATypoIsAnErrorWithItsPositionAndASuggestion) {
  std::string message = recipe_error_of(minimal("timout = 5\n"));
  EXPECT_EQ(message,
            "/work/greet/greet.toml:14:1: unknown key 'timout' in [build]; did you mean 'timeout'? "
            "(known: steps, env, timeout, source_date_epoch)");
  EXPECT_EQ(recipe_error_of(minimal("\n[enviroment]\n")).substr(0, 40), "/work/greet/greet.toml:15:2: unknown tab");
  EXPECT_NE(recipe_error_of(minimal("\n[enviroment]\n")).find("did you mean 'environment'?"), std::string::npos);
}

TEST(Recipe, EveryMalformedEntryIsNamedWhereItIs) {
  struct Case {
    std::string text;
    std::string says;
  };
  std::vector<Case> cases{
      {"[package]\nname = \"Greet\"\nversion = \"1\"\n", "greet.toml:2:8: 'Greet' is not a valid Debian package name"},
      {"[package]\nname = \"greet\"\nversion = \"a b\"\n", "greet.toml:3:11: 'a b' is not a valid Debian version"},
      {"[package]\nname = \"greet\"\n", "has no version"},
      {"[package]\nname = \"greet\"\nversion = \"1\"\ndepends = [\"libc6 (>= \"]\n",
       "greet.toml:4:12: 'libc6 (>= ' is not a Debian relation"},
      {"[package]\nname = \"greet\"\nversion = \"1\"\ndepends = [\"aa, bb\"]\n",
       "each entry of depends is one relation"},
      {minimal().substr(0, minimal().find("[build]")), "the recipe has no build"},
      {minimal("source_date_epoch = -1\n"), "source_date_epoch must be between 0 and"},
      {minimal("timeout = 0\n"), "timeout must be at least 1 second"},
      {minimal("env = {PATH = \"/opt\"}\n"), "PATH is fixed by the sandbox"},
      {minimal("env = {\"A-B\" = \"1\"}\n"), "'A-B' is not a valid environment variable name"},
      {minimal("\n[[sources]]\npath = \"x.tar\"\n"), "the source 'x.tar' is not pinned"},
      {minimal("\n[[sources]]\npath = \"x.tar\"\nsha256 = \"abc\"\n"), "sha256 'abc' must be 64 lowercase hex digits"},
      {minimal("\n[[sources]]\npath = \"d\"\nfileset = \"sha256:" + kHex + "\"\nsha256 = \"" + kHex + "\"\n"),
       "pinned by sha256 (a file) or by fileset (a directory), not both"},
      {minimal("\n[[sources]]\npath = \"f.c\"\nsha256 = \"" + kHex + "\"\nstrip_components = 1\n"),
       "strip_components applies to archives only"},
      {minimal("\n[[sources]]\npath = \"y.tar\"\nsha256 = \"" + kHex + "\"\ndest = \"../up\"\n"),
       "dest '../up' must be a path inside the source directory"},
      {minimal("\n[[sources]]\npath = \"a/f.c\"\nsha256 = \"" + kHex +
               "\"\n[[sources]]\npath = \"b/f.c\"\nsha256 = \"" + kHex + "\"\n"),
       "'f.c' is already written by the source at line 15; give dest"},
      {minimal("\n[environment]\ninclude = [\"docker://127.0.0.1:5000/x/y:1\"]\n"), "not registry packages"},
      {minimal("\n[environment]\nrecipes = [\"greet.toml\"]\n"), "holding its own output"},
      {minimal("\n[[owners]]\npath = \"../x\"\nuid = 1\n"), "path '../x' must be a path glob"},
      {"[package]\nname = \"greet\"\nversion = \"1\"\n[build]\nsteps = [\"true\"]\nsource_date_epoch = 1\n",
       "the recipe needs [source.debian]"},
      {"[package]\nname = \"greet\"\nversion = \"1\"\n[source.debian]\nsuites = [\"bookworm\"]\n[build]\nsteps = "
       "[\"true\"]\n",
       "[build] needs source_date_epoch"},
      {without_steps(), "steps must list at least one command"},
      {minimal("\n[[sources]]\ndebian = \"hello\"\n"), "the Debian source package 'hello' has no version"},
      {minimal("\n[[sources]]\ndebian = \"Hello\"\nversion = \"1\"\n"),
       "debian 'Hello' is not a valid source package name"},
      {minimal("\n[[sources]]\ndebian = \"hello\"\nversion = \"x y\"\n"), "version 'x y' is not a Debian version"},
      {minimal("\n[[sources]]\ndebian = \"hello\"\nversion = \"1\"\npath = \"h.tar\"\n"),
       "path does not apply to a Debian source package (debian = \"hello\")"},
      {minimal("\n[[sources]]\ndebian = \"hello\"\nversion = \"1\"\nstrip_components = 1\n"),
       "strip_components does not apply to a Debian source package"},
      {minimal("\n[[sources]]\npath = \"h.tar\"\nversion = \"1\"\n"), "version applies to a Debian source package"},
      {minimal("\n[[sources]]\ndebian = \"hello\"\nversion = \"1\"\n[[sources]]\ndebian = \"bye\"\nversion = "
               "\"2\"\n"),
       "the Debian source packages 'hello' and 'bye' would both unpack into '/build/src'; give dest"},
      {"[package]\nname = \"greet\"\nversion = \"1\"\n[environment]\nessential = false\nbuild_essential = "
       "false\n[[sources]]\ndebian = \"hello\"\nversion = \"1\"\n[build]\nsteps = [\"true\"]\n",
       "the Debian source package 'hello' comes from the recipe's suites, so the recipe needs [source.debian]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string message = recipe_error_of(c.text);
    EXPECT_NE(message.find(c.says), std::string::npos) << message;
  }
}

// A Debian source package: no path, the lock pins it, and its changelog
// dates the build, so [build] needs no source_date_epoch.
TEST(Recipe, ADebianSourcePackageIsASource) {
  Recipe recipe = parse_recipe(R"([package]
name = "hello"
version = "2.10-3+sheaf1"
shlibdeps = false
[source.debian]
suites = ["bookworm"]
[[sources]]
debian = "hello"
version = "2.10-3"
sha256 = "sha256:)" + kHex +
                               R"("
dest = "hello"
[build]
steps = ["make"]
)");
  ASSERT_EQ(recipe.sources.size(), 1u);
  const RecipeSource& source = recipe.sources[0];
  EXPECT_EQ(source.kind, RecipeSource::Kind::debian);
  EXPECT_EQ(source.package, "hello");
  EXPECT_EQ(source.version, "2.10-3");
  EXPECT_EQ(source.digest, "sha256:" + kHex);
  EXPECT_EQ(source.dest, "hello");
  EXPECT_EQ(source.path_as_written, "debian:hello=2.10-3");
  EXPECT_FALSE(recipe.package.shlibdeps);
  EXPECT_TRUE(parse_recipe(minimal()).package.shlibdeps);
  EXPECT_FALSE(recipe.build.source_date_epoch);
  Spec env = recipe.environment_spec();
  ASSERT_EQ(env.source_packages.size(), 1u);
  EXPECT_EQ(env.source_packages[0].str(), "hello=2.10-3");
  EXPECT_TRUE(parse_recipe(minimal()).environment_spec().source_packages.empty());
}

TEST(Recipe, ARecipeOfRecipeOutputsAloneNeedsNoDebianSource) {
  Recipe recipe = parse_recipe(R"([package]
name = "greet-extra"
version = "1"
[environment]
essential = false
build_essential = false
recipes = ["greet.toml.d/other.toml"]
[build]
steps = ["true"]
source_date_epoch = 0
)");
  EXPECT_FALSE(recipe.debian);
  EXPECT_EQ(recipe.environment.recipes.size(), 1u);
  EXPECT_EQ(recipe_lock_path("/r/x.recipe.toml"), "/r/x.recipe.lock");
  EXPECT_EQ(recipe_lock_path("/r/recipe"), "/r/recipe.lock");
}

}  // namespace
}  // namespace sheaf::spec
