// Images for several architectures from one spec (issue 26), end to end:
// a signed apt repository of dpkg-deb packages for amd64 and arm64 (one
// Architecture: all package among them), locked, built into an OCI image
// index, and taken through every command that names an image, push and pull
// through docker-registry included.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/host.hpp"
#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/oci_tools.hpp"
#include "testing/registry.hpp"
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

class MultiArch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apt_ = new testing::SignedAptRepo;
    //   libc 1.0 (amd64, arm64): lib/TRIPLET/libc.so.6
    //   app 1.0 (amd64, arm64; Depends: libc, data): usr/bin/app
    //   data 1.0 and 1.1 (all): usr/share/data/table
    //   amdonly 1.0 (amd64 only)
    for (const auto& [arch, triplet] : {std::pair{"amd64", "x86_64-linux-gnu"}, {"arm64", "aarch64-linux-gnu"}}) {
      std::string lib = std::string("lib/") + triplet + "/libc.so.6";
      apt_->repo.add_with(
          "stable", "libc", "1.0", "", [&](testing::DebTree& t) { t.file(lib, std::string("libc for ") + arch, 0755); },
          arch);
      apt_->repo.add_with(
          "stable", "app", "1.0", "Depends: libc, data\n",
          [&](testing::DebTree& t) { t.file("usr/bin/app", std::string("#!/bin/app ") + arch + "\n", 0755); }, arch);
    }
    for (const char* version : {"1.0", "1.1"}) {
      apt_->repo.add_with(
          "stable", "data", version, "",
          [&](testing::DebTree& t) { t.file("usr/share/data/table", std::string("table ") + version + "\n"); }, "all");
    }
    apt_->repo.add("stable", "amdonly", "1.0", "", "amd64");
    apt_->repo.publish("stable", {.key = &apt_->key, .arches = {"amd64", "arm64"}});
  }
  static void TearDownTestSuite() { delete apt_; }

  void SetUp() override { store_ = (dir_ / "store").string(); }

  // A spec of image "multi" whose arch is `arch` as TOML writes it.
  fs::path write_spec(const std::string& arch, const std::string& include = "\"app\"", const std::string& extra = "",
                      const std::string& project = "project") {
    fs::path dir = dir_ / project;
    testing::make_dirs(dir);
    write_file(dir / "sheaf.toml",
               "[image]\nname = \"multi\"\nentrypoint = [\"/usr/bin/app\"]\n\n[source.debian]\nsuites = "
               "[\"stable\"]\narch = " +
                   arch + "\nmirror = \"" + apt_->repo.file_url() + "\"\nkeyring = \"" + apt_->key.keyring().string() +
                   "\"\n\n[packages]\ninclude = [" + include + "]\n" + extra);
    return dir / "sheaf.toml";
  }

  CommandResult sheaf(const std::vector<std::string>& args, const std::string& store = "") {
    return run_sheaf(store.empty() ? store_ : store, args, {.env = {{"SOURCE_DATE_EPOCH", "1700000000"}}});
  }

  // Builds the two-architecture index (into -o DIR when given) and returns its digest.
  std::string build_index(const std::vector<std::string>& extra = {}, const std::string& store = "") {
    std::vector<std::string> args{"build", "-f", write_spec("[\"amd64\", \"arm64\"]").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = sheaf(args, store);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  static json blob(const fs::path& layout, const std::string& digest) {
    return json::parse(read_file_bytes(layout / "blobs/sha256" / digest.substr(7)));
  }
  // The layer digest of package `name` in a manifest.
  static std::string layer_of(const json& manifest, const std::string& name) {
    for (const auto& layer : manifest["layers"]) {
      if (layer["annotations"].value("dev.sheaf.package.name", "") == name) return layer["digest"];
    }
    return "";
  }

  static testing::SignedAptRepo* apt_;
  testing::TempDir dir_;
  std::string store_;
};
testing::SignedAptRepo* MultiArch::apt_ = nullptr;

TEST_F(MultiArch, OneSpecGivesAnIndexWhoseArchitectureAllLayersAreShared) {
  std::string digest = build_index({"-o", (dir_ / "out").string(), "--sbom"});
  ASSERT_TRUE(digest.starts_with("sha256:"));
  // The lock: format 7, a section per architecture.
  std::string lock = read_file_bytes(dir_ / "project/sheaf.lock");
  EXPECT_TRUE(contains(lock, "version = 7\narch = [\"amd64\", \"arm64\"]\n")) << lock;
  EXPECT_TRUE(contains(lock, "[[package.amd64]]\nname = \"app\"\nversion = \"1.0\"\narch = \"amd64\""));
  EXPECT_TRUE(contains(lock, "[[package.arm64]]\nname = \"app\"\nversion = \"1.0\"\narch = \"arm64\""));
  EXPECT_TRUE(contains(lock, "[[package.arm64]]\nname = \"data\"\nversion = \"1.1\"\narch = \"all\""));

  // The layout names the index, and beside it each image's two SBOMs; the
  // index names an image per platform.
  json top = json::parse(read_file_bytes(dir_ / "out/index.json"));
  ASSERT_EQ(top["manifests"].size(), 5u) << top.dump(2);
  EXPECT_EQ(top["manifests"][0]["digest"], digest);
  EXPECT_EQ(top["manifests"][0]["mediaType"], "application/vnd.oci.image.index.v1+json");
  json index = blob(dir_ / "out", digest);
  std::multiset<std::string> subjects;
  for (std::size_t i = 1; i < 5; ++i)
    subjects.insert(blob(dir_ / "out", top["manifests"][i]["digest"])["subject"]["digest"]);
  EXPECT_EQ(subjects, (std::multiset<std::string>{index["manifests"][0]["digest"], index["manifests"][0]["digest"],
                                                  index["manifests"][1]["digest"], index["manifests"][1]["digest"]}));
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_EQ(index["manifests"][0]["platform"], json({{"architecture", "amd64"}, {"os", "linux"}}));
  EXPECT_EQ(index["manifests"][1]["platform"], json({{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}}));
  json amd = blob(dir_ / "out", index["manifests"][0]["digest"]);
  json arm = blob(dir_ / "out", index["manifests"][1]["digest"]);
  EXPECT_EQ(blob(dir_ / "out", amd["config"]["digest"])["architecture"], "amd64");
  EXPECT_EQ(blob(dir_ / "out", arm["config"]["digest"])["architecture"], "arm64");
  // data (all) is one blob in both images; app and libc are not.
  EXPECT_FALSE(layer_of(amd, "data").empty());
  EXPECT_EQ(layer_of(amd, "data"), layer_of(arm, "data"));
  EXPECT_NE(layer_of(amd, "app"), layer_of(arm, "app"));
  EXPECT_NE(layer_of(amd, "libc"), layer_of(arm, "libc"));
  if (testing::tool("skopeo").empty()) return;
  CommandResult raw =
      testing::run_command({testing::tool("skopeo"), "inspect", "--raw", "oci:" + (dir_ / "out").string() + ":latest"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(json::parse(raw.out), index);
}

TEST_F(MultiArch, TheIndexIsReproducibleAndItsAmd64ImageIsTheSingleArchitectureImage) {
  std::string first = build_index();
  // Another store, the same lock: the same bytes.
  std::string other = (dir_ / "other-store").string();
  std::string second = build_index({"--locked"}, other);
  EXPECT_EQ(first, second);
  // sheaf fetch takes both sections at once: the shared data package once.
  CommandResult fetched =
      sheaf({"fetch", "-f", (dir_ / "project/sheaf.toml").string()}, (dir_ / "fetch-store").string());
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_TRUE(contains(fetched.err, "fetched 5 of 5 locked packages")) << fetched.err;
  // Locking again from scratch writes the same lock.
  CommandResult relock = sheaf({"lock", "--update", "-f", (dir_ / "project/sheaf.toml").string()});
  ASSERT_EQ(relock.exit_code, 0) << relock.err;
  EXPECT_TRUE(contains(relock.err, "unchanged")) << relock.err;

  // arch = "amd64" is the lock and image of before: format 1, one [[package]]
  // list, and the image the index holds for amd64, digest for digest.
  fs::path single = write_spec("\"amd64\"", "\"app\"", "", "single");
  CommandResult built = sheaf({"build", "-f", single.string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  std::string lock = read_file_bytes(dir_ / "single/sheaf.lock");
  EXPECT_TRUE(contains(lock, "version = 1\narch = \"amd64\"\n")) << lock;
  EXPECT_FALSE(contains(lock, "[[package.amd64]]"));
  CommandResult shown = sheaf({"image", "show", "--json", "--platform", "linux/amd64", first});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["digest"], last_line(built.out));
}

TEST_F(MultiArch, WhatOneArchitectureOrTheMirrorLacksIsAnErrorNamingBoth) {
  CommandResult missing = sheaf({"lock", "-f", write_spec("[\"amd64\", \"arm64\"]", "\"app\", \"amdonly\"").string()});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(contains(missing.err, "amdonly")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "while locking for arm64")) << missing.err;
  EXPECT_FALSE(fs::exists(dir_ / "project/sheaf.lock"));

  // Recipe outputs are built for the host: refused for another architecture
  // before anything is resolved or built.
  std::string other = host_debian_arch() == "arm64" ? "amd64" : "arm64";
  CommandResult recipes = sheaf({"lock", "-f",
                                 write_spec("[\"" + host_debian_arch() + "\", \"" + other + "\"]", "\"app\"",
                                            "\n[[recipes]]\npath = \"tool/tool.toml\"\n")
                                     .string()});
  EXPECT_EQ(recipes.exit_code, 3);
  EXPECT_TRUE(contains(recipes.err, "built for the host's architecture (" + host_debian_arch() +
                                        ") only in this version of sheaf, and its arch names " + other))
      << recipes.err;
  EXPECT_FALSE(fs::exists(dir_ / "project/sheaf.lock"));

  // A docker-archive holds one image: refused before anything is locked.
  CommandResult archive = sheaf(
      {"build", "-f", write_spec("[\"amd64\", \"arm64\"]").string(), "--docker-archive", (dir_ / "x.tar").string()});
  EXPECT_EQ(archive.exit_code, 2);
  EXPECT_TRUE(contains(archive.err, "a docker-archive holds one platform's image")) << archive.err;
  EXPECT_FALSE(fs::exists(dir_ / "project/sheaf.lock"));

  CommandResult lacking = sheaf({"lock", "-f", write_spec("[\"amd64\", \"s390x\"]").string()});
  EXPECT_EQ(lacking.exit_code, 3);
  EXPECT_TRUE(contains(lacking.err, "s390x")) << lacking.err;
  EXPECT_TRUE(contains(lacking.err, "stable")) << lacking.err;
  EXPECT_FALSE(fs::exists(dir_ / "project/sheaf.lock"));
}

TEST_F(MultiArch, FilesGoIntoEveryImageUnlessTheyNameAnArchAndAForeignElfIsAWarning) {
  if (host_debian_arch() != "amd64") GTEST_SKIP() << "the host's /bin/true is the ELF of this test's other machine";
  write_file(dir_ / "tool.conf", "setting = 1\n");
  fs::copy_file("/bin/true", dir_ / "tool");
  std::string files = "\n[[files]]\nsrc = \"" + (dir_ / "tool").string() +
                      "\"\ndest = \"/usr/local/bin/tool\"\n"
                      "\n[[files]]\nsrc = \"" +
                      (dir_ / "tool.conf").string() + "\"\ndest = \"/etc/tool.conf\"\n";
  CommandResult warned = sheaf({"build", "-f", write_spec("[\"amd64\", \"arm64\"]", "\"app\"", files).string()});
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_TRUE(contains(warned.err, "holds ELF files for another machine than arm64: tool (amd64)")) << warned.err;
  EXPECT_FALSE(contains(warned.err, "another machine than amd64")) << warned.err;

  // With arch, the binary is amd64's alone, and nothing warns.
  std::string only = files;
  only.replace(only.find("dest = \"/usr/local/bin/tool\"\n"), 29, "dest = \"/usr/local/bin/tool\"\narch = \"amd64\"\n");
  CommandResult built = sheaf({"build", "-f", write_spec("[\"amd64\", \"arm64\"]", "\"app\"", only).string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_FALSE(contains(built.err, "another machine")) << built.err;
  for (const auto& [platform, has_tool] : {std::pair{"linux/amd64", true}, {"linux/arm64", false}}) {
    fs::path root = dir_ / ("root-" + std::string(platform).substr(6));
    CommandResult exported = sheaf({"image", "export", "multi", "--platform", platform, "--rootfs", root.string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(fs::exists(root / "usr/local/bin/tool"), has_tool) << platform;
    EXPECT_TRUE(fs::exists(root / "etc/tool.conf")) << platform;
  }
}

TEST_F(MultiArch, EveryCommandThatNamesAnImageTakesTheIndex) {
  std::string digest = build_index();
  // image ls: the index on a line of its own, its images marked.
  CommandResult ls = sheaf({"image", "ls", "--json"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  json listed = json::parse(ls.out);
  ASSERT_EQ(listed.size(), 3u);
  std::string amd, arm;
  for (const auto& row : listed) {
    if (row["digest"] != digest) {
      EXPECT_EQ(row["indexes"], json::array({digest}));
      continue;
    }
    EXPECT_EQ(row["tags"], json::array({"multi:latest"}));
    ASSERT_EQ(row["index"].size(), 2u);
    EXPECT_EQ(row["index"][1]["platform"], "linux/arm64/v8");
    amd = row["index"][0]["digest"];
    arm = row["index"][1]["digest"];
  }
  // image show: every platform, or one.
  CommandResult all = sheaf({"image", "show", "multi"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(contains(all.out, "index:   " + digest)) << all.out;
  EXPECT_TRUE(contains(all.out, "platform: linux/amd64\n")) << all.out;
  EXPECT_TRUE(contains(all.out, "platform: linux/arm64/v8\n")) << all.out;
  CommandResult one = sheaf({"image", "show", "--json", "--platform", "linux/arm64", "multi"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(json::parse(one.out)["architecture"], "arm64");
  EXPECT_EQ(json::parse(one.out)["digest"], arm);
  CommandResult none = sheaf({"image", "show", "--platform", "linux/s390x", "multi"});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_TRUE(
      contains(none.err, "is an image index with no image for linux/s390x (it has: linux/amd64, linux/arm64/v8)"))
      << none.err;
  // which: each platform's image, named by the index's tag.
  CommandResult which = sheaf({"which", "app"});
  ASSERT_EQ(which.exit_code, 0) << which.err;
  EXPECT_TRUE(contains(which.out, "multi:latest (linux/amd64)")) << which.out;
  EXPECT_TRUE(contains(which.out, "multi:latest (linux/arm64/v8)")) << which.out;
  // sbom: one document per platform.
  CommandResult spdx = sheaf({"sbom", "multi", "--platform", "linux/arm64", "--format", "spdx"});
  ASSERT_EQ(spdx.exit_code, 0) << spdx.err;
  EXPECT_TRUE(contains(spdx.out, "pkg:deb/debian/app@1.0?arch=arm64")) << spdx.out.substr(0, 2000);
  EXPECT_FALSE(contains(spdx.out, "arch=amd64"));
  // image export: the platform's root.
  CommandResult exported =
      sheaf({"image", "export", "multi", "--platform", "linux/arm64", "--rootfs", (dir_ / "arm-root").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(read_file_bytes(dir_ / "arm-root/usr/bin/app"), "#!/bin/app arm64\n");
  EXPECT_TRUE(fs::exists(dir_ / "arm-root/usr/lib/aarch64-linux-gnu/libc.so.6"));
  // sheaf run of a platform the index lacks says which it has.
  CommandResult run = sheaf({"run", "--platform", "linux/s390x", "multi"});
  EXPECT_EQ(run.exit_code, 125);
  EXPECT_TRUE(contains(run.err, "no image for linux/s390x")) << run.err;
  // gc keeps the index and its images whole.
  ASSERT_EQ(sheaf({"store", "gc"}).exit_code, 0);
  CommandResult verify = sheaf({"store", "verify", "--json"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(json::parse(verify.out)["images"], 3);
  EXPECT_TRUE(json::parse(verify.out)["damage"].empty());
  // image rm: an image of the index goes with it, not alone.
  CommandResult refused = sheaf({"image", "rm", arm});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "is an image of the index " + digest + " (multi:latest)")) << refused.err;
  CommandResult removed = sheaf({"image", "rm", "multi"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(testing::lines_of(removed.out), (std::vector<std::string>{digest, amd, arm}));
  EXPECT_EQ(last_line(sheaf({"image", "ls"}).out), "");
}

TEST_F(MultiArch, UpdatingAnArchitectureAllPackageChangesOneSharedLayerInBothImages) {
  std::string before = build_index({"-o", (dir_ / "before").string()});
  CommandResult updated = sheaf({"image", "update", "multi", "--set", "data=1.0", "-o", (dir_ / "after").string()});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_TRUE(contains(updated.out, "linux/amd64: data: 1.1 -> 1.0\n")) << updated.out;
  EXPECT_TRUE(contains(updated.out, "linux/arm64/v8: data: 1.1 -> 1.0\n")) << updated.out;
  std::string after = last_line(updated.out);
  EXPECT_NE(after, before);
  json old_index = blob(dir_ / "before", before), new_index = blob(dir_ / "after", after);
  std::set<std::string> new_data;
  for (std::size_t i = 0; i < 2; ++i) {
    json was = blob(dir_ / "before", old_index["manifests"][i]["digest"]);
    json now = blob(dir_ / "after", new_index["manifests"][i]["digest"]);
    ASSERT_EQ(was["layers"].size(), now["layers"].size());
    std::vector<std::string> changed;
    for (std::size_t l = 0; l < was["layers"].size(); ++l) {
      if (was["layers"][l]["digest"] != now["layers"][l]["digest"]) {
        changed.push_back(now["layers"][l]["annotations"].value("dev.sheaf.package.name", ""));
      }
    }
    EXPECT_EQ(changed, std::vector<std::string>{"data"}) << i;
    new_data.insert(layer_of(now, "data"));
  }
  EXPECT_EQ(new_data.size(), 1u);  // the same new blob in both
  // The tag moved to the new index; the diff says so per platform.
  CommandResult diff = sheaf({"image", "diff", before, "multi"});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_TRUE(contains(diff.out, "platform linux/arm64/v8:\n")) << diff.out;
  EXPECT_TRUE(contains(diff.out, "~ data 1.1 -> 1.0\n")) << diff.out;
  // --from-lock with the index's lock: each image takes its own section,
  // which brings data 1.1 back, and so the index built first.
  CommandResult relocked = sheaf({"image", "update", "multi", "--from-lock", (dir_ / "project/sheaf.lock").string()});
  ASSERT_EQ(relocked.exit_code, 0) << relocked.err;
  EXPECT_TRUE(contains(relocked.out, "linux/arm64/v8: data: 1.0 -> 1.1\n")) << relocked.out;
  EXPECT_EQ(last_line(relocked.out), before);
  // A version one platform cannot have stops the update before anything is made.
  CommandResult refused = sheaf({"image", "update", "multi", "--add", "amdonly"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "while updating the image for linux/arm64/v8")) << refused.err;
  EXPECT_EQ(json::parse(sheaf({"image", "ls", "--json"}).out).size(), 6u);
}

TEST_F(MultiArch, PushAndPullTakeTheWholeIndexOrOnePlatform) {
  if (testing::tool("docker-registry").empty()) GTEST_SKIP() << "docker-registry is not installed";
  testing::TestRegistry registry(dir_ / "registry");
  std::string digest = build_index();
  CommandResult pushed = sheaf({"push", "multi", registry.ref("team/multi:1")});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(last_line(pushed.out), digest);
  EXPECT_TRUE(contains(pushed.err, "pushed the index's 2 images and the index")) << pushed.err;

  std::string there = (dir_ / "there").string();
  CommandResult pulled = sheaf({"pull", registry.ref("team/multi:1")}, there);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(last_line(pulled.out), digest);
  json listed = json::parse(sheaf({"image", "ls", "--json"}, there).out);
  ASSERT_EQ(listed.size(), 3u);
  CommandResult shown = sheaf({"image", "show", "--json", "--platform", "linux/arm64", digest}, there);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["architecture"], "arm64");

  // One platform: the image alone, under its own tag.
  std::string single = (dir_ / "single").string();
  CommandResult arm = sheaf({"pull", "--platform", "linux/arm64", registry.ref("team/multi:1")}, single);
  ASSERT_EQ(arm.exit_code, 0) << arm.err;
  EXPECT_EQ(last_line(arm.out), json::parse(shown.out)["digest"]);
  // And pushing one platform of the index puts that image under the tag.
  CommandResult one = sheaf({"push", "--platform", "linux/arm64", "multi", registry.ref("team/multi:arm")});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(last_line(one.out), json::parse(shown.out)["digest"]);

  // A whole pull that fails after its first image (amd64: the index lists
  // it first) leaves none of the images it stored: the arm64 image's config
  // is gone from the registry.
  std::string arm_image = json::parse(shown.out)["digest"];
  std::string arm_config = json::parse(read_file_bytes(registry.blob_file(arm_image)))["config"]["digest"];
  ASSERT_TRUE(fs::remove(registry.blob_file(arm_config)));
  std::string broken = (dir_ / "broken").string();
  CommandResult failed = sheaf({"pull", registry.ref("team/multi:1")}, broken);
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_TRUE(contains(failed.err, "while pulling the image for linux/arm64/v8")) << failed.err;
  EXPECT_EQ(json::parse(sheaf({"image", "ls", "--json"}, broken).out).size(), 0u);
  CommandResult verified = sheaf({"store", "verify"}, broken);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  // An image the store had before stays, with its tag.
  CommandResult amd = sheaf({"pull", "--platform", "linux/amd64", registry.ref("team/multi:1")}, broken);
  ASSERT_EQ(amd.exit_code, 0) << amd.err;
  failed = sheaf({"pull", registry.ref("team/multi:1")}, broken);
  EXPECT_NE(failed.exit_code, 0);
  json left = json::parse(sheaf({"image", "ls", "--json"}, broken).out);
  ASSERT_EQ(left.size(), 1u) << left.dump();
  EXPECT_EQ(left[0]["digest"], last_line(amd.out));
}

}  // namespace
}  // namespace sheaf
