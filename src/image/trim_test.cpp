// Trimming against a real store: packages added from directories, composed,
// trimmed to a set of used paths, updated and trimmed again.
#include "image/trim.hpp"

#include <gtest/gtest.h>

#include <map>

#include "image/compose.hpp"
#include "image/sources.hpp"
#include "image/stored_image.hpp"
#include "image/update.hpp"
#include "pkg/add_directory.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::image {
namespace {

namespace fs = std::filesystem;

class TrimTest : public ::testing::Test {
 protected:
  TrimTest() : store_(dir_ / "store") {}

  // A package from files (path -> content); a path ending in '/' is a
  // directory. Each gets its dpkg status stanza, as an imported .deb does.
  std::string add(const std::string& name, const std::string& version, std::map<std::string, std::string> files) {
    fs::path root = dir_ / "trees" / (name + "-" + version);
    testing::make_dirs(root);
    files["var/lib/dpkg/status.d/" + name] = "Package: " + name + "\nVersion: " + version + "\n";
    for (const auto& [path, content] : files) {
      if (path.ends_with('/')) {
        testing::make_dirs(root / path);
        continue;
      }
      testing::make_dirs((root / path).parent_path());
      testing::write_file(root / path, content, path.starts_with("usr/bin/") ? 0755 : 0644);
    }
    pkg::AddDirectoryRequest request{
        .dir = root, .name = name, .version = version, .arch = "amd64", .owner = std::make_pair(0u, 0u)};
    return pkg::add_directory(store_, request).id.str();
  }

  ComposeResult compose(const std::vector<std::string>& ids, std::optional<TrimInput> trim = std::nullopt,
                        std::vector<std::string>* warnings = nullptr) {
    ComposeRequest request;
    request.debian_packages = ids;
    request.arch = "amd64";
    request.os = OsRelease{"bookworm", "12"};
    request.threads = 2;
    request.trim = std::move(trim);
    if (warnings) request.warn = [warnings](const std::string& w) { warnings->push_back(w); };
    return compose_image(store_, spec::Spec::parse("", (dir_ / "sheaf.toml").string()), request);
  }

  // Every path of the composed image's root.
  std::set<std::string> root_paths(const ComposeResult& r) {
    std::set<std::string> out;
    fileset::Manifest root = image_root(store_, load_image(store_, r.manifest));
    for (const auto& e : root.entries()) out.insert(e.path);
    return out;
  }

  testing::TempDir dir_;
  store::LocalStore store_;
};

TEST_F(TrimTest, EachPackageKeepsWhatWasUsedItsStanzaAndTheDirectoriesAboveAndUnusedPackagesLeave) {
  std::string app =
      add("app", "1", {{"usr/bin/app", "#!app"}, {"usr/share/app/data", "d"}, {"usr/share/app/unused", "u"}});
  std::string lib = add("libthing", "2", {{"usr/lib/libthing.so.2", "lib"}, {"usr/share/doc/libthing/copyright", "c"}});
  std::string extra = add("extra", "3", {{"usr/bin/extra", "#!extra"}, {"etc/extra.conf", "x"}});
  TrimInput input{"sha256:" + std::string(64, 'a'),
                  {},
                  {},
                  {"/", "/usr", "/usr/bin", "/usr/bin/app", "/usr/share", "/usr/share/app", "/usr/share/app/data",
                   "/usr/lib", "/usr/lib/libthing.so.2"}};
  ComposeResult r = compose({app, lib, extra}, input);
  ASSERT_TRUE(r.trim);
  std::set<std::string> root = root_paths(r);
  for (const char* kept : {"usr/bin/app", "usr/share/app/data", "usr/lib/libthing.so.2", "var/lib/dpkg/status.d/app",
                           "var/lib/dpkg/status.d/libthing"}) {
    EXPECT_TRUE(root.count(kept)) << kept;
  }
  for (const char* gone : {"usr/share/app/unused", "usr/share/doc/libthing/copyright", "usr/bin/extra",
                           "etc/extra.conf", "var/lib/dpkg/status.d/extra"}) {
    EXPECT_FALSE(root.count(gone)) << gone;
  }
  // One layer per remaining package; extra and the unused assembly left.
  std::vector<std::string> names;
  for (const auto& p : r.trim->packages) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"app", "libthing"}));
  ASSERT_EQ(r.trim->dropped.size(), 2u);
  EXPECT_EQ(r.trim->dropped[0].name, "extra");
  EXPECT_EQ(r.trim->dropped[1].name, "sheaf-assembly");
  EXPECT_EQ(r.layers.size(), 2u);
  const TrimmedPackage& t = r.trim->packages[0];
  EXPECT_EQ(t.from, app);
  EXPECT_NE(t.id, app);
  EXPECT_EQ(t.used, (std::vector<std::string>{"/usr", "/usr/bin", "/usr/bin/app", "/usr/share", "/usr/share/app",
                                              "/usr/share/app/data"}));
  EXPECT_LT(t.kept, t.entries);
  // The trimmed package is a package: same name, version and arch.
  auto row = store_.index().package(t.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(std::tie(row->name, row->version, row->arch), std::tie("app", "1", "amd64"));
  EXPECT_EQ(r.manifest_document.annotations.at("dev.sheaf.trimmed-from"), input.source);
}

TEST_F(TrimTest, KeepGlobsKeepPackagesNothingUsedAndAGlobThatMatchesNothingIsAWarning) {
  std::string app = add("app", "1", {{"usr/bin/app", "#!app"}});
  std::string tz = add("tzdata", "1", {{"usr/share/zoneinfo/UTC", "utc"}, {"usr/share/zoneinfo/Europe/Paris", "p"}});
  std::vector<std::string> warnings;
  ComposeResult r = compose(
      {app, tz},
      TrimInput{"sha256:x", {}, {"usr/share/zoneinfo/Europe/**", "opt/none/*"}, {"/usr", "/usr/bin", "/usr/bin/app"}},
      &warnings);
  std::set<std::string> root = root_paths(r);
  EXPECT_TRUE(root.count("usr/share/zoneinfo/Europe/Paris"));
  EXPECT_FALSE(root.count("usr/share/zoneinfo/UTC"));
  EXPECT_EQ(warnings, (std::vector<std::string>{"--keep 'opt/none/*' matches no path of the image"}));
}

TEST_F(TrimTest, AUsedDirectoryNoUsedPackageHoldsKeepsItsFirstHolder) {
  std::string app = add("app", "1", {{"usr/bin/app", "#!app"}});
  std::string a = add("a-locales", "1", {{"usr/share/locale/", ""}, {"usr/share/a", "a"}});
  std::string b = add("b-locales", "1", {{"usr/share/locale/", ""}, {"usr/share/b", "b"}});
  ComposeResult r = compose({app, a, b}, TrimInput{"sha256:x", {}, {}, {"/usr/bin/app", "/usr/share/locale"}});
  std::vector<std::string> names;
  for (const auto& p : r.trim->packages) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a-locales", "app"}));
  std::set<std::string> root = root_paths(r);
  EXPECT_TRUE(root.count("usr/share/locale"));
  EXPECT_FALSE(root.count("usr/share/a"));
}

TEST_F(TrimTest, TheSameImageAndProfileGiveTheSameDigestAndTheProfileIsRecorded) {
  std::string app = add("app", "1", {{"usr/bin/app", "#!app"}, {"usr/share/app/data", "d"}});
  spec::Workload w;
  w.name = "run it";
  w.args = std::vector<std::string>{"--flag"};
  TrimInput input{"sha256:x", {w}, {"usr/share/app/**"}, {"/usr/bin/app"}};
  ComposeResult first = compose({app}, input);
  ComposeResult second = compose({app}, input);
  EXPECT_EQ(first.manifest, second.manifest);
  auto record = store_.index().image(first.manifest.str());
  ASSERT_TRUE(record);
  RecordedSources recorded = read_sources(*record, "test");
  ASSERT_TRUE(recorded.sources.trim);
  const TrimProfile& profile = *recorded.sources.trim;
  EXPECT_EQ(profile.keep, input.keep);
  ASSERT_EQ(profile.workloads.size(), 1u);
  EXPECT_EQ(profile.workloads[0].name, "run it");
  EXPECT_EQ(profile.workloads[0].args, w.args);
  EXPECT_EQ(trim_profile_json(profile), trim_profile_json(*first.trim));
  // An update starts from the packages the image was trimmed from.
  StoredComposition composition = load_composition(store_, *record, "test");
  ASSERT_EQ(composition.debian.size(), 1u);
  EXPECT_EQ(composition.debian[0].id, app);
}

TEST_F(TrimTest, AnUpdatedSetIsTrimmedAgainAndThePathsANewVersionLacksAreNamed) {
  std::string v1 = add("app", "1", {{"usr/bin/app", "#!app"}, {"usr/share/app/plugin", "p"}});
  std::string v2 = add("app", "2", {{"usr/bin/app", "#!app2"}});
  TrimInput input{"sha256:x", {}, {}, {"/usr/bin/app", "/usr/share/app/plugin"}};
  ComposeResult before = compose({v1}, input);
  input.used = before.trim->used();
  ComposeResult after = compose({v2}, input);
  std::vector<LostPaths> lost = lost_paths(*before.trim, *after.trim);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].name, "app");
  EXPECT_EQ(lost[0].version, "1");
  EXPECT_EQ(lost[0].paths, (std::vector<std::string>{"/usr/share/app/plugin"}));
  EXPECT_TRUE(root_paths(after).count("usr/bin/app"));
}

TEST(TrimMembers, AKeptHardlinkWhoseFileWasDroppedBecomesTheFile) {
  using fileset::Entry;
  using fileset::EntryType;
  Entry dir{.path = "usr", .type = EntryType::dir, .mode = 0755};
  Entry bin{.path = "usr/bin", .type = EntryType::dir, .mode = 0755};
  Entry file{.path = "usr/bin/a", .type = EntryType::file, .mode = 0755, .size = 1, .digest = Digest::of("a")};
  Entry link{.path = "usr/bin/b", .type = EntryType::hardlink, .target = "usr/bin/a"};
  fileset::Manifest m = fileset::Manifest::from_entries({dir, bin, file, link});
  auto trims = trim_members({&m}, {"p"}, {"/usr/bin/b"}, {});
  ASSERT_TRUE(trims[0].used);
  const Entry* b = trims[0].manifest.find("usr/bin/b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->type, EntryType::file);
  EXPECT_EQ(trims[0].manifest.find("usr/bin/a"), nullptr);
  EXPECT_TRUE(trims[0].manifest.find("usr"));
}

}  // namespace
}  // namespace sheaf::image
