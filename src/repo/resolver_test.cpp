#include "repo/resolver.hpp"

#include <gtest/gtest.h>

#include <ctime>

#include "testing/apt_repo.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::repo {
namespace {

// One signed repository with two suites, built once for all the tests here.
class ResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    key_ = new testing::GpgKey(dir_->path() / "key");
    testing::AptRepo repo(dir_->path() / "repo");
    auto add = [&](std::string_view suite, std::string_view name, std::string_view version,
                   std::string_view fields = "",
                   std::string_view arch = "amd64") { repo.add(suite, name, version, fields, arch); };
    add("stable", "libc", "1.0", "Multi-Arch: same\n");
    add("stable", "app", "1.0", "Depends: libfoo (>= 2) | libfoo-compat, mail-transport-agent, libc (>= 1.0)\n");
    add("stable", "libfoo", "1.5", "Depends: libc\n");
    add("updates", "libfoo", "2.1", "Depends: libc\n");
    add("stable", "libfoo-compat", "1.0");
    add("stable", "mta-a", "1.0", "Provides: mail-transport-agent\n");
    add("stable", "tool", "1.0", "Recommends: extra\n");
    add("stable", "extra", "1.0");
    add("stable", "libbar", "1.0");
    add("updates", "libbar", "1.1");
    add("stable", "broken", "1.0", "Depends: missing-lib (>= 3)\n");
    add("stable", "missing-lib", "2.0");
    add("stable", "py", "1.0", "Pre-Depends: pyinterp:any\nDepends: data-all\n");
    add("stable", "pyinterp", "1.0", "Multi-Arch: allowed\n");
    add("stable", "data-all", "1.0", "", "all");
    add("stable", "c1", "1.0", "Conflicts: c2\n");
    add("stable", "c2", "1.0");
    add("stable", "armonly", "1.0", "", "arm64");
    add("stable", "ess", "1.0", "Essential: yes\n");
    add("stable", "www-a", "1.0", "Provides: httpd\n");
    add("stable", "www-b", "1.0", "Provides: httpd\n");
    for (const char* suite : {"stable", "updates"}) repo.publish(suite, {.key = key_});
    url_ = new std::string(repo.file_url());
  }
  static void TearDownTestSuite() {
    delete url_;
    delete key_;
    delete dir_;
  }

  // Resolves `request` over `suites`, with a cache in this test's store.
  std::vector<ResolvedPackage> resolve(const ResolveRequest& request,
                                       std::vector<std::string> suites = {"stable", "updates"}) {
    spec::DebianSource source;
    source.suites = std::move(suites);
    source.arch = "amd64";
    source.mirror = *url_;
    source.keyring = key_->keyring();
    NetworkSettings network;
    RepositoryCache cache(work_ / "cache", network);
    Resolver resolver("amd64");
    auto planned = plan_suites(source, network.apt);
    for (std::size_t i = 0; i < planned.size(); ++i) {
      auto loaded = cache.load(planned[i], {.now = std::time(nullptr)});
      for (const auto& index : loaded.indexes) resolver.add_index(index, i, cache);
    }
    essential_ = resolver.essential_names();
    return resolver.resolve(request);
  }

  static std::vector<std::string> names_versions(const std::vector<ResolvedPackage>& packages) {
    std::vector<std::string> out;
    for (const auto& p : packages) out.push_back(p.name + "=" + p.version);
    return out;
  }

  static spec::PackagePin pin(std::string name, std::optional<std::string> version = std::nullopt) {
    return {std::move(name), std::move(version), {}};
  }

  std::string error_of(const ResolveRequest& request, std::vector<std::string> suites = {"stable", "updates"}) {
    return testing::error_message_of([&] { resolve(request, suites); });
  }

  static testing::TempDir* dir_;
  static testing::GpgKey* key_;
  static std::string* url_;
  testing::TempDir work_;
  std::vector<std::string> essential_;  // of the last resolve()
};
testing::TempDir* ResolverTest::dir_ = nullptr;
testing::GpgKey* ResolverTest::key_ = nullptr;
std::string* ResolverTest::url_ = nullptr;

TEST_F(ResolverTest, FollowsAlternativesVirtualsAndVersionsAndTheHighestVersionWinsAcrossSuites) {
  EXPECT_EQ(names_versions(resolve({.include = {pin("app")}})),
            (std::vector<std::string>{"app=1.0", "libc=1.0", "libfoo=2.1", "mta-a=1.0"}));
  // Without the updates suite, libfoo 1.5 is too old, so the alternative is taken.
  EXPECT_EQ(names_versions(resolve({.include = {pin("app")}}, {"stable"})),
            (std::vector<std::string>{"app=1.0", "libc=1.0", "libfoo-compat=1.0", "mta-a=1.0"}));
}

TEST_F(ResolverTest, RecordsWhereEachPackageComesFromAndItsRelations) {
  auto packages = resolve({.include = {pin("app")}});
  const auto& libfoo = packages[2];
  EXPECT_EQ(libfoo.suite, 1u);
  EXPECT_EQ(libfoo.filename, "pool/updates/main/libfoo_2.1_amd64.deb");
  EXPECT_EQ(libfoo.source, "libfoo");
  EXPECT_EQ(libfoo.depends, "libc");
  auto deb = dir_->path() / "repo" / libfoo.filename;
  EXPECT_EQ(libfoo.sha256.hex(), testing::sha256_hex_of_file(deb));
  EXPECT_EQ(libfoo.size, std::filesystem::file_size(deb));
  EXPECT_EQ(packages[0].depends, "libfoo (>= 2) | libfoo-compat, mail-transport-agent, libc (>= 1.0)");
  EXPECT_EQ(packages[3].provides, "mail-transport-agent");
}

TEST_F(ResolverTest, HandlesPreDependsAnyAndArchitectureAll) {
  auto packages = resolve({.include = {pin("py")}});
  EXPECT_EQ(names_versions(packages), (std::vector<std::string>{"data-all=1.0", "py=1.0", "pyinterp=1.0"}));
  EXPECT_EQ(packages[0].arch, "all");
  EXPECT_EQ(packages[1].pre_depends, "pyinterp:any");
  EXPECT_EQ(packages[1].depends, "data-all");
}

TEST_F(ResolverTest, APinSelectsExactlyThatVersion) {
  EXPECT_EQ(names_versions(resolve({.include = {pin("libbar")}})), std::vector<std::string>{"libbar=1.1"});
  EXPECT_EQ(names_versions(resolve({.include = {pin("libbar", "1.0")}})), std::vector<std::string>{"libbar=1.0"});
  EXPECT_EQ(error_of({.include = {pin("libbar", "1.2")}}),
            "cannot resolve the spec's packages:\n  - 'libbar' is pinned to 1.2, but only 1.0, 1.1 are available");
}

TEST_F(ResolverTest, APinThatADependencyCannotAcceptIsExplained) {
  std::string message = error_of({.include = {pin("app"), pin("libc", "0.9")}});
  EXPECT_NE(message.find("'libc' is pinned to 0.9, but only 1.0 is available"), std::string::npos) << message;
}

TEST_F(ResolverTest, RecommendsOnlyWhenAskedFor) {
  EXPECT_EQ(names_versions(resolve({.include = {pin("tool")}})), std::vector<std::string>{"tool=1.0"});
  EXPECT_EQ(names_versions(resolve({.include = {pin("tool")}, .recommends = true})),
            (std::vector<std::string>{"extra=1.0", "tool=1.0"}));
}

TEST_F(ResolverTest, NothingIsAddedImplicitlyNotEvenEssentialPackages) {
  auto packages = names_versions(resolve({.include = {pin("libc")}}));
  EXPECT_EQ(packages, std::vector<std::string>{"libc=1.0"});
}

// What a recipe's environment adds when it asks for the Essential set.
TEST_F(ResolverTest, TheIndexesNameTheirEssentialPackages) {
  resolve({.include = {pin("libc")}});
  EXPECT_EQ(essential_, std::vector<std::string>{"ess"});
}

TEST_F(ResolverTest, UnmetVersionsAreExplainedInPlainWords) {
  EXPECT_EQ(error_of({.include = {pin("broken")}}),
            "cannot resolve the spec's packages:\n"
            "  - broken depends on missing-lib (>= 3) but only missing-lib 2.0 is available");
}

TEST_F(ResolverTest, ExcludedPackagesLeaveConsideration) {
  // libfoo excluded: the alternative is taken instead.
  EXPECT_EQ(names_versions(resolve({.include = {pin("app")}, .exclude = {"libfoo"}})),
            (std::vector<std::string>{"app=1.0", "libc=1.0", "libfoo-compat=1.0", "mta-a=1.0"}));
  std::string message = error_of({.include = {pin("app")}, .exclude = {"mta-a"}});
  EXPECT_NE(message.find("  - mta-a is excluded by [packages] exclude\n  - app depends on mail-transport-agent"),
            std::string::npos)
      << message;
}

TEST_F(ResolverTest, UnknownNamesGetADidYouMean) {
  EXPECT_EQ(error_of({.include = {pin("libfo")}}),
            "cannot resolve the spec's packages:\n  - no package 'libfo' is available; did you mean 'libfoo'?");
  EXPECT_EQ(error_of({.include = {pin("zzzzzzzz")}}),
            "cannot resolve the spec's packages:\n  - no package 'zzzzzzzz' is available");
}

TEST_F(ResolverTest, VirtualPackagesResolveOnlyWithOneProvider) {
  EXPECT_EQ(names_versions(resolve({.include = {pin("mail-transport-agent")}})), std::vector<std::string>{"mta-a=1.0"});
  EXPECT_EQ(error_of({.include = {pin("httpd")}}),
            "cannot resolve the spec's packages:\n  - 'httpd' is a virtual package provided by www-a, www-b; include "
            "one of them");
}

TEST_F(ResolverTest, ConflictsAreExplained) {
  std::string message = error_of({.include = {pin("c1"), pin("c2")}});
  EXPECT_NE(message.find("c1 conflicts with c2 (Conflicts or Breaks: c2)"), std::string::npos) << message;
}

TEST_F(ResolverTest, OtherArchitecturesAreNotCandidates) {
  std::string message = error_of({.include = {pin("armonly")}});
  EXPECT_NE(message.find("armonly"), std::string::npos) << message;
}

TEST_F(ResolverTest, FavouredVersionsAreKeptWhereTheyFit) {
  EXPECT_EQ(names_versions(resolve({.include = {pin("libbar")}, .favor = {{"libbar", "1.0"}}})),
            std::vector<std::string>{"libbar=1.0"});
  // A favoured version that breaks a dependency is given up.
  EXPECT_EQ(names_versions(resolve({.include = {pin("app")}, .favor = {{"libfoo", "1.5"}}})),
            (std::vector<std::string>{"app=1.0", "libc=1.0", "libfoo=2.1", "mta-a=1.0"}));
}

TEST_F(ResolverTest, TheSameIndexesAndRequestGiveTheSameAnswerFromAColdOrAWarmCache) {
  ResolveRequest request{.include = {pin("app"), pin("py"), pin("tool")}, .recommends = true};
  auto cold = resolve(request);
  auto warm = resolve(request);  // the same cache directory, now holding the parsed indexes
  ASSERT_EQ(cold.size(), warm.size());
  for (std::size_t i = 0; i < cold.size(); ++i) {
    EXPECT_EQ(cold[i].name, warm[i].name);
    EXPECT_EQ(cold[i].version, warm[i].version);
    EXPECT_EQ(cold[i].sha256, warm[i].sha256);
    EXPECT_EQ(cold[i].depends, warm[i].depends);
  }
  EXPECT_TRUE(std::filesystem::exists(work_ / "cache" / "solv"));
}

}  // namespace
}  // namespace sheaf::repo
