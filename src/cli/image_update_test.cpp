// End-to-end tests of `sheaf image update`, `sheaf image diff` and
// `sheaf which` against a real signed apt repository of dpkg-deb packages.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <set>

#include "base/digest.hpp"
#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::last_line;
using testing::read_file_bytes;
using testing::run_sheaf;
using testing::write_file;

class ImageUpdateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apt_ = new testing::SignedAptRepo;
    //   libc 1.0                    lib/x86_64-linux-gnu/libc.so.6
    //   libssl 1.0, 1.1             Depends: libc
    //   libssl 2.0                  Depends: libc, libnew (which the image lacks)
    //   libssl 3.0                  Depends: libc, libmissing (which no one has)
    //   app 1.0                     Depends: libssl, libc; usr/bin/app
    //   extra 1:1.0~rc1             Depends: libextra; usr/sbin/extra (a new merged-/usr directory)
    //   libextra 1.0
    //   clash 1.0                   usr/bin/app, unlike app's
    //   breaker 1.0                 Conflicts: libssl
    apt_->repo.add_with("stable", "libc", "1.0", "",
                        [](testing::DebTree& t) { t.file("lib/x86_64-linux-gnu/libc.so.6", "libc\n", 0755); });
    for (const char* v : {"1.0", "1.1"}) {
      apt_->repo.add_with("stable", "libssl", v, "Depends: libc\n", [v](testing::DebTree& t) {
        t.file("usr/lib/x86_64-linux-gnu/libssl.so.3", std::string("libssl ") + v + "\n", 0644);
      });
    }
    apt_->repo.add("stable", "libssl", "2.0", "Depends: libc, libnew\n");
    apt_->repo.add("stable", "libssl", "3.0", "Depends: libc, libmissing\n");
    apt_->repo.add("stable", "libnew", "1.0");
    apt_->repo.add_with("stable", "app", "1.0", "Depends: libssl, libc\n",
                        [](testing::DebTree& t) { t.file("usr/bin/app", "#!/bin/app\n", 0755); });
    apt_->repo.add_with("stable", "extra", "1:1.0~rc1", "Depends: libextra\n",
                        [](testing::DebTree& t) { t.file("usr/sbin/extra", "extra\n", 0755); });
    apt_->repo.add("stable", "libextra", "1.0");
    apt_->repo.add_with("stable", "clash", "1.0", "",
                        [](testing::DebTree& t) { t.file("usr/bin/app", "clash\n", 0755); });
    apt_->repo.add("stable", "breaker", "1.0", "Conflicts: libssl\n");
    apt_->publish("stable");
  }
  static void TearDownTestSuite() { delete apt_; }

  void SetUp() override { store_ = (dir_ / "store").string(); }

  fs::path write_spec(const std::string& project, const std::string& include, const std::string& env = "") {
    fs::path dir = dir_ / project;
    testing::make_dirs(dir);
    write_file(dir / "sheaf.toml", "[image]\nname = \"demo\"\nentrypoint = [\"/usr/bin/app\"]\n" + env +
                                       "\n[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\nmirror = \"" +
                                       apt_->repo.file_url() + "\"\nkeyring = \"" + apt_->key.keyring().string() +
                                       "\"\n\n[packages]\ninclude = [" + include + "]\n");
    return dir / "sheaf.toml";
  }

  // Builds `include` in `store`; returns the digest.
  std::string build(const std::string& project, const std::string& include, const std::string& store = "",
                    const std::string& env = "") {
    fs::path spec = write_spec(project, include, env);
    CommandResult r = run_sheaf(store.empty() ? store_ : store, {"build", "-f", spec.string()}, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  CommandResult sheaf(const std::vector<std::string>& args) { return run_sheaf(store_, args, env_); }

  json manifest(const std::string& digest) {
    CommandResult r = sheaf({"image", "show", "--json", digest});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  std::size_t image_count() { return json::parse(sheaf({"image", "ls", "--json"}).out).size(); }

  static testing::SignedAptRepo* apt_;
  testing::TempDir dir_;
  std::string store_;
  testing::CommandOptions env_{.env = {{"SOURCE_DATE_EPOCH", "1700000000"}}};
};
testing::SignedAptRepo* ImageUpdateTest::apt_ = nullptr;

TEST_F(ImageUpdateTest, SetChangesOneLayerAndMatchesAFreshBuild) {
  std::string a = build("a", R"("app", "libssl=1.0")");
  CommandResult r = sheaf({"image", "update", a, "--set", "libssl=1.1", "-o", (dir_ / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "libssl: 1.0 -> 1.1\n")) << r.out;
  std::string b = last_line(r.out);
  ASSERT_NE(a, b);

  // Exactly one layer differs; the config differs only in its diff_ids and history.
  json ma = manifest(a), mb = manifest(b);
  ASSERT_EQ(ma["layers"].size(), mb["layers"].size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < ma["layers"].size(); ++i)
    differ += ma["layers"][i]["digest"] != mb["layers"][i]["digest"];
  EXPECT_EQ(differ, 1u);
  EXPECT_EQ(ma["config"], mb["config"]);

  // A fresh build of the same set, in a store of its own, gives the same image.
  std::string fresh = build("fresh", R"("app", "libssl=1.1")", (dir_ / "other-store").string());
  EXPECT_EQ(fresh, b);

  // -o links the store's blobs into the layout rather than copying them.
  struct stat in_store {
  }, in_layout{};
  std::string hex = b.substr(7);
  ASSERT_EQ(::stat((dir_ / "store/blobs/sha256" / hex).c_str(), &in_store), 0);
  ASSERT_EQ(::stat((dir_ / "out/blobs/sha256" / hex).c_str(), &in_layout), 0);
  EXPECT_EQ(in_store.st_ino, in_layout.st_ino);

  // Back again: the original digest.
  r = sheaf({"image", "update", b, "--set", "libssl=1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), a);
}

TEST_F(ImageUpdateTest, AddBringsDependenciesAndRemoveTakesThemAway) {
  std::string a = build("a", R"("app", "libssl=1.1")");
  CommandResult r = sheaf({"image", "update", a, "--add", "extra"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "extra: (none) -> 1:1.0~rc1\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "libextra: (none) -> 1.0 (dependency)\n")) << r.out;
  // extra fills usr/sbin, so the assembly gains the /sbin link.
  EXPECT_TRUE(contains(r.out, "sheaf-assembly: 0+")) << r.out;
  std::string b = last_line(r.out);

  // A version whose new dependency the image lacks brings it along.
  r = sheaf({"image", "update", a, "--set", "libssl=2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "libnew: (none) -> 1.0 (dependency)\n")) << r.out;

  // The same set built fresh gives the same image.
  EXPECT_EQ(build("fresh", R"("app", "libssl=1.1", "extra")", (dir_ / "other-store").string()), b);

  r = sheaf({"image", "update", b, "--remove", "extra"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "extra: 1:1.0~rc1 -> (removed)\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "libextra: 1.0 -> (removed) (no longer needed)\n")) << r.out;
  EXPECT_EQ(last_line(r.out), a);
}

TEST_F(ImageUpdateTest, UpdatesThatBreakTheSetAreRefusedAndWriteNothing) {
  std::string a = build("a", R"("app", "libssl=1.0")");
  std::size_t images = image_count();
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"--remove", "libssl"}, 3, "app 1.0 depends on libssl, which nothing in the updated image satisfies"},
      {{"--set", "libssl=3.0"}, 3, "libmissing"},
      {{"--add", "breaker"}, 3, "breaker conflicts with libssl 1.0"},
      {{"--add", "clash"}, 3, "usr/bin/app"},
      {{"--set", "libssl=9.9"}, 3, "'libssl' is pinned to 9.9, but only 1.0, 1.1, 2.0, 3.0 are available"},
      {{"--set", "nosuch=1.0"}, 2, "holds no Debian package named 'nosuch'; add it with --add"},
      {{"--remove", "nosuch"}, 2, "holds no Debian package named 'nosuch'"},
      {{"--add", "libssl"}, 2, "already holds libssl 1.0; change its version with --set"},
      {{"--set", "libssl"}, 2, "give NAME=VERSION or NAME=ID"},
      {{"--from-lock", "x.lock", "--add", "libnew"}, 2, "does not combine"},
      {{}, 2, "nothing to change"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"image", "update", a};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CommandResult r = sheaf(args);
    EXPECT_EQ(r.exit_code, c.exit_code) << fmt::format("{}", fmt::join(c.args, " ")) << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << fmt::format("{}", fmt::join(c.args, " ")) << "\n" << r.err;
  }
  EXPECT_EQ(image_count(), images);
}

TEST_F(ImageUpdateTest, FromLockTakesTheLocksPackages) {
  std::string a = build("a", R"("app", "libssl=1.0")");
  std::string fresh = build("b", R"("app", "libssl=1.1")", (dir_ / "other-store").string());
  CommandResult r = sheaf({"image", "update", a, "--from-lock", (dir_ / "b/sheaf.lock").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "libssl: 1.0 -> 1.1\n")) << r.out;
  EXPECT_EQ(last_line(r.out), fresh);
}

TEST_F(ImageUpdateTest, ATagNamingTheImageMovesAndADigestLeavesTagsAlone) {
  std::string a = build("a", R"("app", "libssl=1.0")");
  CommandResult r = sheaf({"image", "update", a, "--set", "libssl=1.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string b = last_line(r.out);
  EXPECT_EQ(json::parse(sheaf({"image", "show", "--json", "demo"}).out)["digest"], a);

  r = sheaf({"image", "update", "demo", "--set", "libssl=1.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), b);
  EXPECT_EQ(json::parse(sheaf({"image", "show", "--json", "demo"}).out)["digest"], b);

  r = sheaf({"image", "update", b, "--set", "libssl=1.0", "--tag", "old:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(sheaf({"image", "show", "--json", "old:v1"}).out)["digest"], a);
  EXPECT_EQ(json::parse(sheaf({"image", "show", "--json", "demo"}).out)["digest"], b);
}

TEST_F(ImageUpdateTest, RefusesAnImageSheafDidNotBuild) {
  // A minimal OCI layout, as another tool writes it: no sheaf annotations.
  fs::path layout = dir_ / "foreign";
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string config_hex = Digest::of(config).hex();
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
      config_hex + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[]})";
  std::string manifest_hex = Digest::of(manifest).hex();
  testing::make_dirs(layout / "blobs/sha256");
  write_file(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  write_file(layout / "blobs/sha256" / config_hex, config);
  write_file(layout / "blobs/sha256" / manifest_hex, manifest);
  write_file(
      layout / "index.json",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
          manifest_hex + R"(","size":)" + std::to_string(manifest.size()) + "}]}");
  CommandResult r = sheaf({"image", "update", layout.string(), "--set", "libssl=1.1"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "was not built by sheaf: its layers carry no dev.sheaf.package annotations")) << r.err;

  // A sheaf image named by its layout works.
  std::string a = build("a", R"("app", "libssl=1.0")");
  ASSERT_EQ(sheaf({"image", "update", a, "--set", "libssl=1.1", "-o", (dir_ / "mine").string()}).exit_code, 0);
  r = sheaf({"image", "update", (dir_ / "mine").string(), "--set", "libssl=1.0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), a);
}

TEST_F(ImageUpdateTest, WhichAndDiffAnswerFromTheIndexAndManifests) {
  std::string a = build("a", R"("app", "libssl=1.0")");
  std::string b = last_line(sheaf({"image", "update", a, "--set", "libssl=1.1", "--tag", "new"}).out);
  std::string c = build("c", R"("app", "libssl=1.0")", "", "env = { MODE = \"fast\" }\n");

  CommandResult r = sheaf({"which", "libssl@<1.1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json found = json::parse(r.out);
  std::set<std::string> images;
  for (const auto& m : found) {
    EXPECT_EQ(m["package"]["version"], "1.0");
    images.insert(m["image"]);
  }
  EXPECT_EQ(images, (std::set<std::string>{a, c}));
  r = sheaf({"which", "libssl@>=1.1"});
  // An update fetched libssl 1.1: the store knows it came from a .deb.
  EXPECT_TRUE(contains(r.out, b.substr(0, 19) + "  libssl 1.1  debian  new:latest")) << r.out;
  EXPECT_EQ(json::parse(sheaf({"which", "extra", "--json"}).out).size(), 0u);
  EXPECT_EQ(json::parse(sheaf({"which", "extra@1:1.0~rc1", "--json"}).out).size(), 0u);
  r = sheaf({"which", "libssl@<"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "no version after '@'")) << r.err;

  r = sheaf({"image", "diff", a, b, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json diff = json::parse(r.out);
  EXPECT_EQ(diff["packages"]["changed"], json::parse(R"([{"name":"libssl","from":"1.0","to":"1.1"}])"));
  EXPECT_TRUE(diff["packages"]["added"].empty());
  EXPECT_TRUE(diff["config"].empty()) << diff.dump();
  EXPECT_EQ(diff["layers"]["only_b"], 1);

  r = sheaf({"image", "diff", a, c});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "+ env MODE=fast\n")) << r.out;
  EXPECT_FALSE(contains(r.out, "libssl")) << r.out;
}

}  // namespace
}  // namespace sheaf
