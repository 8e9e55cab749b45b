#include "repo/lockfile.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "testing/errors.hpp"
#include "testing/golden.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::repo {
namespace {

Digest digest_of(char c) {
  return *Digest::parse_hex(std::string(64, c));
}

Lockfile example() {
  Lockfile lock;
  lock.arch = "amd64";
  lock.suites = {"stable", "stable-updates"};
  lock.components = {"main"};
  lock.include = {{"app", std::nullopt, {}}, {"libbar", "1.0", {}}};
  lock.exclude = {"perl-base"};
  lock.recommends = false;
  lock.releases = {{"stable", "InRelease", digest_of('a')}, {"stable-updates", "InRelease", digest_of('b')}};
  LockedPackage app;
  app.name = "app";
  app.version = "1:2.0-1+b1";
  app.arch = "amd64";
  app.source = "app-src";
  app.source_version = "1:2.0-1";
  app.suite = "stable";
  app.filename = "pool/main/a/app-src/app_2.0-1+b1_amd64.deb";
  app.sha256 = digest_of('c');
  app.size = 12345;
  app.pre_depends = "libc (>= 2.36)";
  app.depends = "libbar (= 1.0), mta | mail-transport-agent";
  app.provides = "app-api (= 2)";
  LockedPackage libbar;
  libbar.name = "libbar";
  libbar.version = "1.0";
  libbar.arch = "all";
  libbar.source = "libbar";
  libbar.suite = "stable-updates";
  libbar.filename = "pool/main/l/libbar/libbar_1.0_all.deb";
  libbar.sha256 = digest_of('d');
  libbar.size = 7;
  LockedPackage libc;
  libc.name = "libc";
  libc.version = "2.36";
  libc.arch = "amd64";
  libc.source = "glibc";
  libc.suite = "stable";
  libc.filename = "pool/main/g/glibc/libc_2.36_amd64.deb";
  libc.sha256 = digest_of('e');
  libc.size = 99;
  libc.provides = "mail-transport-agent";  // so that app's alternative holds
  lock.packages = {app, libbar, libc};
  return lock;
}

spec::Spec spec_for(std::string_view packages) {
  return spec::Spec::parse(fmt::format("[source.debian]\nsuites = [\"stable\", \"stable-updates\"]\narch = "
                                       "\"amd64\"\n\n[packages]\n{}",
                                       packages),
                           "/app/sheaf.toml");
}

constexpr std::string_view kPackages = "include = [\"app\", \"libbar=1.0\"]\nexclude = [\"perl-base\"]\n";

TEST(Lockfile, RendersTheGoldenBytes) {
  testing::expect_golden("src/repo/testdata/example.lock", example().render());
}

TEST(Lockfile, ParsesWhatItRenders) {
  auto text = example().render();
  auto parsed = Lockfile::parse(text, "sheaf.lock");
  EXPECT_EQ(parsed.render(), text);
  ASSERT_EQ(parsed.packages.size(), 3u);
  EXPECT_EQ(parsed.packages[0].source_version, "1:2.0-1");
  EXPECT_EQ(parsed.packages[1].source_version, "");
  EXPECT_EQ(parsed.include[1].version, "1.0");
  EXPECT_EQ(parsed.releases[1].sha256, digest_of('b'));
}

TEST(Lockfile, RefusesMalformedLocksWithPositions) {
  auto text = example().render();
  auto broken = [&](std::string_view from, std::string_view to) {
    std::string copy = text;
    copy.replace(copy.find(from), from.size(), to);
    return testing::error_message_of([&] { Lockfile::parse(copy, "sheaf.lock"); });
  };
  EXPECT_EQ(broken("size = 7\n", "size = 7\ncolour = \"red\"\n")
                .rfind("sheaf.lock:44:1: unknown key 'colour' in [[package]] (known: name, ", 0),
            0u);
  EXPECT_EQ(broken(std::string(64, 'd'), "dd"), "sheaf.lock:42:10: sha256 must be 64 lowercase hex digits");
  EXPECT_EQ(broken("pool/main/l/libbar/libbar_1.0_all.deb", "../../etc/passwd"),
            "sheaf.lock:41:12: filename '../../etc/passwd' must be a path inside the repository");
  EXPECT_EQ(broken("size = 7", "size = -7"), "sheaf.lock:43:8: size must be a non-negative integer");
  EXPECT_EQ(broken("version = 1\n", "version = 8\n"),
            "'sheaf.lock' has lock format 8, but this sheaf reads format 7 only; upgrade sheaf");
  EXPECT_NE(broken("recommends = false\n", "recommends = false\nimplicit = [\"libc-bin\"]\n")
                .find("unknown table or key 'implicit'"),
            std::string::npos)
      << "implicit packages need format 2";
  EXPECT_NE(broken("name = \"libc\"", "name = \"libbar\"").find("'libbar' is locked twice"), std::string::npos);
  EXPECT_EQ(broken("arch = \"amd64\"\n", ""), "sheaf.lock:1:1: the lock has no arch");
  EXPECT_EQ(broken("recommends = false", "recommends = \"no\""),
            "sheaf.lock:9:14: recommends must be true or false, not a string");
  EXPECT_EQ(broken("arch = \"all\"", "arch = 7"), "sheaf.lock:38:8: arch must be a string, not an integer");
}

// A lock with implicit packages is format 2; one without stays format 1,
// byte for byte, so that locks written before format 2 do not change.
TEST(Lockfile, ImplicitPackagesNeedFormatTwo) {
  Lockfile lock = example();
  EXPECT_NE(lock.render().find("version = 1\n"), std::string::npos);
  lock.implicit = {"libc-bin"};
  std::string text = lock.render();
  EXPECT_NE(text.find("version = 2\n"), std::string::npos);
  EXPECT_NE(text.find("recommends = false\nimplicit = [\"libc-bin\"]\n"), std::string::npos);
  Lockfile parsed = Lockfile::parse(text, "sheaf.lock");
  EXPECT_EQ(parsed.implicit, std::vector<std::string>{"libc-bin"});
  EXPECT_EQ(parsed.render(), text);
  std::string unsorted = text;
  unsorted.replace(unsorted.find("[\"libc-bin\"]"), 12, "[\"zz\", \"aa\"]");
  EXPECT_EQ(testing::error_message_of([&] { Lockfile::parse(unsorted, "sheaf.lock"); }),
            "sheaf.lock:10:12: implicit must be sorted and hold each name once");
}

// A recipe's build environment asks for the Essential set: format 4, and a
// lock that does not say so no longer answers a spec that asks.
TEST(Lockfile, TheEssentialSetNeedsFormatFour) {
  Lockfile lock = example();
  lock.essential = true;
  std::string text = lock.render();
  EXPECT_NE(text.find("version = 4\n"), std::string::npos);
  EXPECT_NE(text.find("recommends = false\nessential = true\n"), std::string::npos);
  Lockfile parsed = Lockfile::parse(text, "sheaf.lock");
  EXPECT_TRUE(parsed.essential);
  EXPECT_EQ(parsed.render(), text);
  std::string old = text;
  old.replace(old.find("version = 4"), 11, "version = 3");
  EXPECT_EQ(testing::error_message_of([&] { Lockfile::parse(old, "sheaf.lock"); }),
            "sheaf.lock:10:13: essential needs lock format 4");
}

// A registry package makes the lock format 3; its entry records the include
// entry, the artifact's digest and the package id instead of a .deb.
TEST(Lockfile, RegistryPackagesNeedFormatThree) {
  Lockfile lock = example();
  const std::string ref = "docker://127.0.0.1:5000/team/mylib:1.2";
  lock.include.push_back({ref, std::nullopt, {}});
  LockedPackage mylib;
  mylib.name = "mylib";
  mylib.version = "1.2";
  mylib.arch = "amd64";
  mylib.registry = ref;
  mylib.manifest = digest_of('f');
  mylib.id = digest_of('1');
  mylib.depends = "libc";
  mylib.provides = "mail-transport-agent";
  lock.packages.push_back(mylib);
  std::string text = lock.render();
  EXPECT_NE(text.find("version = 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("include = [\"app\", \"libbar=1.0\", \"" + ref + "\"]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[[package]]\nname = \"mylib\"\nversion = \"1.2\"\narch = \"amd64\"\nregistry = \"" + ref +
                      "\"\nmanifest = \"sha256:" + std::string(64, 'f') + "\"\nid = \"sha256:" + std::string(64, '1') +
                      "\"\ndepends = \"libc\"\nprovides = \"mail-transport-agent\"\n"),
            std::string::npos)
      << text;
  Lockfile parsed = Lockfile::parse(text, "sheaf.lock");
  EXPECT_EQ(parsed.render(), text);
  ASSERT_NE(parsed.find_registry(ref), nullptr);
  EXPECT_EQ(parsed.find_registry(ref)->id, digest_of('1'));
  EXPECT_TRUE(parsed.include.back().from_registry());

  // Older formats have no registry packages; a registry entry holds no .deb.
  std::string v2 = text;
  v2.replace(v2.find("version = 3"), 11, "version = 2");
  EXPECT_NE(testing::error_message_of([&] {
              Lockfile::parse(v2, "sheaf.lock");
            }).find("'" + ref + "' is not a valid package name"),
            std::string::npos);
  v2.replace(v2.find(", \"" + ref + "\""), ref.size() + 4, "");
  EXPECT_NE(
      testing::error_message_of([&] { Lockfile::parse(v2, "sheaf.lock"); }).find("unknown key 'id' in [[package]]"),
      std::string::npos);
  std::string mixed = text;
  mixed.replace(mixed.find("id = \"sha256:"), 0, "suite = \"stable\"\n");
  EXPECT_NE(testing::error_message_of([&] { Lockfile::parse(mixed, "sheaf.lock"); }).find("unknown key 'suite'"),
            std::string::npos);
  std::string short_id = text;
  short_id.replace(short_id.find("id = \"sha256:") + 13, 64, "11");
  EXPECT_NE(testing::error_message_of([&] {
              Lockfile::parse(short_id, "sheaf.lock");
            }).find("id must be sha256:<64 hex digits>"),
            std::string::npos);
}

// A recipe output makes the lock format 5; its entry records the [[recipes]]
// path and the recipe's sha256 instead of a .deb.
TEST(Lockfile, RecipeOutputsNeedFormatFive) {
  Lockfile lock = example();
  LockedPackage greet;
  greet.name = "greet";
  greet.version = "1.0-1+local1";
  greet.arch = "amd64";
  greet.recipe = "greet/greet.toml";
  greet.recipe_sha256 = digest_of('2');
  greet.depends = "libc (>= 2.36)";
  lock.packages.push_back(greet);
  std::string text = lock.render();
  EXPECT_NE(text.find("version = 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[[package]]\nname = \"greet\"\nversion = \"1.0-1+local1\"\narch = \"amd64\"\nrecipe = "
                      "\"greet/greet.toml\"\nrecipe_sha256 = \"" +
                      std::string(64, '2') + "\"\ndepends = \"libc (>= 2.36)\"\n"),
            std::string::npos)
      << text;
  Lockfile parsed = Lockfile::parse(text, "sheaf.lock");
  EXPECT_EQ(parsed.render(), text);
  ASSERT_NE(parsed.find_recipe("greet/greet.toml"), nullptr);
  EXPECT_EQ(parsed.find_recipe("greet/greet.toml")->recipe_sha256, digest_of('2'));
  EXPECT_TRUE(parsed.find_recipe("greet/greet.toml")->from_recipe());
  EXPECT_FALSE(parsed.find_recipe("greet/greet.toml")->from_debian());

  // Format 4 has no recipe outputs: the entry reads as a .deb missing its fields.
  std::string v4 = text;
  v4.replace(v4.find("version = 5"), 11, "version = 4");
  EXPECT_NE(
      testing::error_message_of([&] { Lockfile::parse(v4, "sheaf.lock"); }).find("unknown key 'recipe' in [[package]]"),
      std::string::npos);
  std::string mixed = text;
  mixed.replace(mixed.find("recipe = "), 0, "suite = \"stable\"\n");
  EXPECT_NE(testing::error_message_of([&] { Lockfile::parse(mixed, "sheaf.lock"); }).find("unknown key 'suite'"),
            std::string::npos);
  std::string newer = text;
  newer.replace(newer.find("version = 5"), 11, "version = 8");
  EXPECT_NE(testing::error_message_of([&] { Lockfile::parse(newer, "sheaf.lock"); }).find("upgrade sheaf"),
            std::string::npos);
}

// A recipe's Debian source packages (format 6): each file of the stanza
// with its sha256 and size, and the pool directory that holds them.
TEST(Lockfile, SourcePackagesNeedFormatSix) {
  Lockfile lock = example();
  LockedSource hello{"hello", "2.10-3", "stable", "pool/main/h/hello", {}};
  hello.files = {{"hello_2.10-3.debian.tar.xz", digest_of('3'), 12684},
                 {"hello_2.10-3.dsc", digest_of('4'), 1721},
                 {"hello_2.10.orig.tar.gz", digest_of('5'), 725946}};
  lock.sources.push_back(hello);
  std::string text = lock.render();
  EXPECT_NE(text.find("version = 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n[[source]]\nname = \"hello\"\nversion = \"2.10-3\"\nsuite = \"stable\"\ndirectory = "
                      "\"pool/main/h/hello\"\nfiles = [\n  { name = \"hello_2.10-3.debian.tar.xz\", sha256 = \"" +
                      std::string(64, '3') + "\", size = 12684 },\n"),
            std::string::npos)
      << text;
  Lockfile parsed = Lockfile::parse(text, "sheaf.lock");
  EXPECT_EQ(parsed.render(), text);
  const LockedSource* found = parsed.find_source("hello", "2.10-3");
  ASSERT_NE(found, nullptr);
  ASSERT_NE(found->dsc(), nullptr);
  EXPECT_EQ(found->dsc()->name, "hello_2.10-3.dsc");
  EXPECT_EQ(found->dsc()->sha256, digest_of('4'));
  EXPECT_EQ(parsed.find_source("hello", "2.10-2"), nullptr);

  auto error_of = [&](const std::string& from, const std::string& to, std::string base = "") {
    if (base.empty()) base = text;
    auto at = base.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    base.replace(at, from.size(), to);
    return testing::error_message_of([&] { Lockfile::parse(base, "sheaf.lock"); });
  };
  EXPECT_NE(error_of("version = 6", "version = 5").find("unknown table or key 'source'"), std::string::npos);
  EXPECT_NE(
      error_of("pool/main/h/hello", "../../etc").find("directory '../../etc' must be a path inside the repository"),
      std::string::npos);
  EXPECT_NE(error_of("hello_2.10-3.dsc", "../x.dsc").find("'../x.dsc' is not a plain file name"), std::string::npos);
  EXPECT_NE(error_of("hello_2.10-3.dsc", "hello_2.10-3.txt").find("files must hold exactly one .dsc"),
            std::string::npos);
  EXPECT_NE(error_of("hello_2.10-3.dsc", "a.dsc").find("files must be sorted by name, each once"), std::string::npos);
  EXPECT_NE(error_of("size = 1721", "size = -1").find("size must be a non-negative integer"), std::string::npos);
  EXPECT_NE(error_of("directory = ", "colour = \"red\"\ndirectory = ").find("unknown key 'colour'"), std::string::npos);
}

// A [[recipes]] entry is locked at the recipe's bytes: an edit, a new entry
// or a dropped one each make the lock stale.
TEST(LockProblems, ARecipeIsLockedAtItsBytes) {
  testing::TempDir dir;
  write_file_atomically(dir / "greet.toml", "[package]\n");
  write_file_atomically(dir / "other.toml", "[package]\n");
  auto spec = spec::Spec::parse(
      "[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\n\n[[recipes]]\npath = "
      "\"greet.toml\"\n",
      dir / "sheaf.toml");
  Lockfile lock;
  lock.arch = "amd64";
  lock.suites = {"stable"};
  lock.components = {"main"};
  LockedPackage greet;
  greet.name = "greet";
  greet.version = "1.0";
  greet.arch = "amd64";
  greet.recipe = "greet.toml";
  greet.recipe_sha256 = Digest::of("[package]\n");
  lock.packages = {greet};
  EXPECT_EQ(lock_problems(lock, spec), std::vector<std::string>{});
  write_file_atomically(dir / "greet.toml", "[package]\nname = \"greet\"\n");
  EXPECT_EQ(lock_problems(lock, spec), std::vector<std::string>{"the recipe 'greet.toml' changed since it was locked"});
  auto more = spec::Spec::parse(
      "[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\n\n[[recipes]]\npath = "
      "\"other.toml\"\n",
      dir / "sheaf.toml");
  EXPECT_EQ(lock_problems(lock, more),
            (std::vector<std::string>{"recipes gained 'other.toml'", "recipes lost 'greet.toml'"}));
}

// A recipe's source packages are locked at their name and version: another
// version, or one more or less, makes the lock stale.
TEST(LockProblems, SourcePackagesAreLockedByNameAndVersion) {
  spec::Spec spec = spec::Spec::parse("[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\n", "/r/hello.toml");
  spec.source_packages = {{"hello", "2.10-3", {}}};
  Lockfile lock;
  lock.arch = "amd64";
  lock.suites = {"stable"};
  lock.components = {"main"};
  lock.sources = {{"hello", "2.10-3", "stable", "pool/main/h/hello", {{"hello_2.10-3.dsc", digest_of('4'), 1}}}};
  EXPECT_EQ(lock_problems(lock, spec), std::vector<std::string>{});
  spec.source_packages = {{"hello", "2.10-4", {}}};
  EXPECT_EQ(lock_problems(lock, spec), (std::vector<std::string>{"the source package 'hello=2.10-4' is not in the lock",
                                                                 "source packages lost 'hello=2.10-3'"}));
  spec.source_packages.clear();
  EXPECT_EQ(lock_problems(lock, spec), std::vector<std::string>{"source packages lost 'hello=2.10-3'"});
}

TEST(LockProblems, ARegistryIncludeMustBeLockedByItsReference) {
  auto spec = spec::Spec::parse(
      "[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\n\n[packages]\ninclude = "
      "[\"docker://127.0.0.1:5000/a:1\"]\n",
      "/app/sheaf.toml");
  Lockfile lock;
  lock.arch = "amd64";
  lock.suites = {"stable"};
  lock.components = {"main"};
  lock.include = spec.packages.include;
  LockedPackage a;
  a.name = "a";
  a.version = "1";
  a.arch = "amd64";
  a.registry = "docker://127.0.0.1:5000/a:1";
  a.manifest = digest_of('f');
  a.id = digest_of('1');
  lock.packages = {a};
  EXPECT_TRUE(lock_problems(lock, spec).empty());
  lock.packages[0].registry = "docker://127.0.0.1:5000/a:2";
  auto problems = lock_problems(lock, spec);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "'docker://127.0.0.1:5000/a:1' is not in the lock");
}

TEST(LockProblems, TheEnvironmentsLocaleIsPartOfTheRequest) {
  auto with_env = [](std::string_view env, std::string_view packages) {
    return spec::Spec::parse(fmt::format("[image]\nenv = {{ {} }}\n\n[source.debian]\nsuites = [\"stable\", "
                                         "\"stable-updates\"]\narch = \"amd64\"\n\n[packages]\n{}",
                                         env, packages),
                             "/app/sheaf.toml");
  };
  auto c_utf8 = with_env("LANG = \"C.UTF-8\"", kPackages);
  EXPECT_EQ(implicit_package_names(c_utf8), std::vector<std::string>{"libc-bin"});
  EXPECT_EQ(lock_problems(example(), c_utf8),
            std::vector<std::string>{"implicit packages changed: [] -> [libc-bin] (the environment's locale)"});
  EXPECT_TRUE(implicit_package_names(with_env("LANG = \"C\"", kPackages)).empty());
  EXPECT_TRUE(implicit_package_names(with_env("LC_ALL = \"C.utf8\"", "include = [\"app\"]\nexclude = [\"libc-bin\"]\n"))
                  .empty())
      << "excluded";
  EXPECT_TRUE(implicit_package_names(with_env("LANG = \"C.UTF-8\"", "include = [\"libc-bin\"]\n")).empty())
      << "already included";
  EXPECT_TRUE(implicit_package_names(with_env("LANG = \"en_US.UTF-8\"", kPackages)).empty())
      << "locales-all is only suggested";
}

TEST(Lockfile, LoadNamesAMissingFile) {
  EXPECT_NE(testing::error_message_of([] {
              LockSet::load("/nonexistent/sheaf.lock");
            }).find("cannot read the lock '/nonexistent/sheaf.lock'"),
            std::string::npos);
}

TEST(LockProblems, NoneWhenTheLockAnswersTheSpec) {
  EXPECT_EQ(lock_problems(example(), spec_for(kPackages)), std::vector<std::string>{});
}

TEST(LockProblems, NamesEachWayTheSpecMovedAway) {
  auto problems =
      lock_problems(example(), spec_for("include = [\"app\", \"libbar=1.1\", \"tool\"]\nrecommends = true\n"));
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "include gained 'libbar=1.1'",
                          "include gained 'tool'",
                          "include lost 'libbar=1.0'",
                          "exclude changed: [perl-base] -> []",
                          "recommends changed: false -> true",
                          "libbar is pinned to 1.1 but locked at 1.0",
                          "'tool' is not in the lock",
                      }));
  auto other = spec::Spec::parse(
      "[source.debian]\nsuites = [\"stable\"]\narch = \"arm64\"\ncomponents = [\"main\", \"contrib\"]\n"
      "[packages]\ninclude = [\"app\", \"libbar=1.0\"]\nexclude = [\"perl-base\"]\n",
      "/app/sheaf.toml");
  EXPECT_EQ(
      lock_problems(example(), other),
      (std::vector<std::string>{"arch changed: amd64 -> arm64", "suites changed: [stable, stable-updates] -> [stable]",
                                "components changed: [main] -> [main, contrib]"}));
}

TEST(LockProblems, AnUnmetDependencyInsideTheLockIsAProblem) {
  auto lock = example();
  lock.packages[1].version = "0.9";  // app depends on libbar (= 1.0)
  auto problems = lock_problems(lock, spec_for(kPackages));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0], "app 1:2.0-1+b1 depends on libbar (= 1.0), which nothing in the lock satisfies");
  lock = example();
  lock.packages[2].provides.clear();  // nothing provides mail-transport-agent any more
  EXPECT_EQ(lock_problems(lock, spec_for(kPackages)),
            std::vector<std::string>{
                "app 1:2.0-1+b1 depends on mta | mail-transport-agent, which nothing in the lock satisfies"});
}

TEST(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporary) {
  testing::TempDir dir;
  write_file_atomically(dir / "sheaf.lock", "one\n");
  write_file_atomically(dir / "sheaf.lock", "two\n");
  EXPECT_EQ(testing::read_file_bytes(dir / "sheaf.lock"), "two\n");
  EXPECT_EQ(testing::count_files(dir.path()), 1u);
}

}  // namespace
}  // namespace sheaf::repo

namespace sheaf::repo {
namespace {

// The example for two architectures: arm64's section has its own app and
// libc, and the same Architecture: all libbar.
LockSet example_index() {
  LockSet set;
  set.index = true;
  set.arches.push_back(example());
  Lockfile arm = example();
  arm.arch = "arm64";
  for (auto& p : arm.packages) {
    if (p.arch == "all") continue;
    p.arch = "arm64";
    p.filename.replace(p.filename.find("_amd64.deb"), 10, "_arm64.deb");
    p.sha256 = *Digest::parse_hex(std::string(63, '7') + p.name.substr(0, 1));
  }
  set.arches.push_back(arm);
  return set;
}

spec::Spec index_spec(std::string_view arches) {
  return spec::Spec::parse(fmt::format("[source.debian]\nsuites = [\"stable\", \"stable-updates\"]\narch = {}\n\n"
                                       "[packages]\n{}",
                                       arches, kPackages),
                           "/app/sheaf.toml");
}

TEST(LockSet, AnIndexLockRendersTheGoldenBytesAndParsesBack) {
  std::string text = example_index().render();
  testing::expect_golden("src/repo/testdata/index.lock", text);
  LockSet parsed = LockSet::parse(text, "sheaf.lock");
  EXPECT_TRUE(parsed.index);
  ASSERT_EQ(parsed.arches.size(), 2u);
  EXPECT_EQ(parsed.arches[1].arch, "arm64");
  EXPECT_EQ(parsed.arches[1].find("app")->arch, "arm64");
  EXPECT_EQ(parsed.arches[1].find("libbar")->sha256, parsed.arches[0].find("libbar")->sha256);
  EXPECT_EQ(parsed.arches[1].releases, parsed.arches[0].releases);
  EXPECT_EQ(parsed.render(), text);
  // One Lockfile refuses it: it is not one architecture's.
  EXPECT_NE(testing::error_message_of([&] { Lockfile::parse(text, "sheaf.lock"); }).find("is the lock of an image index"),
            std::string::npos);
}

TEST(LockSet, OneArchitectureKeepsItsFormatAndBytes) {
  // arch = "amd64" is today's lock, byte for byte; a list of one is an index.
  Lockfile one = example();
  LockSet single{false, {one}};
  EXPECT_EQ(single.render(), one.render());
  EXPECT_EQ(LockSet::parse(one.render(), "sheaf.lock").render(), one.render());
  LockSet listed{true, {one}};
  std::string text = listed.render();
  EXPECT_NE(text.find("version = 7\narch = [\"amd64\"]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[[package.amd64]]"), std::string::npos);
  EXPECT_TRUE(LockSet::parse(text, "sheaf.lock").index);
}

TEST(LockSet, MergedHoldsEachSharedPackageOnce) {
  Lockfile all = example_index().merged();
  // app and libc twice (one per architecture), libbar (all) once.
  EXPECT_EQ(all.packages.size(), 5u);
  EXPECT_EQ(std::count_if(all.packages.begin(), all.packages.end(),
                          [](const LockedPackage& p) { return p.name == "libbar"; }),
            1);
}

TEST(LockSet, RefusesMalformedIndexLocksWithPositions) {
  const std::string good = example_index().render();
  auto broken = [&](std::string_view from, std::string_view to) {
    std::string text = good;
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    return testing::error_message_of([&] { LockSet::parse(text, "sheaf.lock"); });
  };
  EXPECT_EQ(broken("arch = [\"amd64\", \"arm64\"]", "arch = \"amd64\""),
            "sheaf.lock:4:8: arch must be a list of architectures in lock format 7, such as [\"amd64\"]");
  EXPECT_EQ(broken("arch = [\"amd64\", \"arm64\"]", "arch = [\"amd64\", \"amd64\"]"),
            "sheaf.lock:4:8: arch lists 'amd64' twice");
  EXPECT_EQ(broken("arch = [\"amd64\", \"arm64\"]", "arch = [\"amd64\", \"all\"]"),
            "sheaf.lock:4:18: 'all' is not a Debian architecture such as \"amd64\"");
  EXPECT_NE(broken("arch = [\"amd64\", \"arm64\"]", "arch = [\"amd64\"]").find("unknown key 'arm64' in [package]"),
            std::string::npos);
  EXPECT_NE(broken("arch = [\"amd64\", \"arm64\"]", "arch = [\"amd64\", \"arm64\", \"s390x\"]")
                .find("the lock has no [[package.s390x]] tables"),
            std::string::npos);
  // A package of one architecture in another's section.
  EXPECT_NE(broken("arch = \"arm64\"\nsource = \"app-src\"", "arch = \"amd64\"\nsource = \"app-src\"")
                .find("'app' is locked for amd64 in the section for arm64"),
            std::string::npos);
  // Format 6 has no list; format 7 no [[package]] without a section.
  EXPECT_NE(broken("version = 7", "version = 6").find("arch must be a string in lock format 6"), std::string::npos);
  std::string flat = good;
  for (auto at = flat.find("[[package.amd64]]"); at != std::string::npos; at = flat.find("[[package.amd64]]")) {
    flat.replace(at, 17, "[[package]]");
  }
  EXPECT_NE(testing::error_message_of([&] {
              LockSet::parse(flat, "sheaf.lock");
            }).find("holds its packages in [[package.ARCH]] sections"),
            std::string::npos);
}

TEST(LockSet, ProblemsNameTheArchitecture) {
  LockSet lock = example_index();
  EXPECT_TRUE(lock_problems(lock, index_spec("[\"amd64\", \"arm64\"]")).empty());
  EXPECT_EQ(lock_problems(lock, index_spec("[\"amd64\"]")),
            std::vector<std::string>{"arch changed: [amd64, arm64] -> [amd64]"});
  EXPECT_EQ(lock_problems(lock, index_spec("\"amd64\"")),
            std::vector<std::string>{"arch became a single architecture: the image is no longer an index"});
  EXPECT_EQ(lock_problems(LockSet{false, {example()}}, index_spec("[\"amd64\"]")),
            std::vector<std::string>{"arch became a list: the image is an index now"});
  // A section that no longer answers says which.
  lock.arches[1].packages.erase(lock.arches[1].packages.begin());  // arm64's app
  auto problems = lock_problems(lock, index_spec("[\"amd64\", \"arm64\"]"));
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.front(), "arm64: 'app' is not in the lock");
}

}  // namespace
}  // namespace sheaf::repo
