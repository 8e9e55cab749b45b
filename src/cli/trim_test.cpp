// Issue 25's acceptance: images trimmed to what their workloads use, from
// the host's mirror, run under sheaf run and podman.
//
// The suite builds two images once, into a store kept in the build tree
// (each test is a process of its own; later ones use what the first one
// built, and the digests it saved): examples/trimmed-python, whose [trim]
// section makes `sheaf build` trace its script and give the trimmed image,
// and examples/nginx, trimmed here with a server workload. It shares the
// oci-tools-work resource lock with oci_tools_test: both serve nginx on
// 127.0.0.1:8080.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "testing/command.hpp"
#include "testing/oci_tools.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::last_line;
using testing::podman;
using testing::podman_run;
using testing::read_file_bytes;
using testing::run_command;
using testing::run_sheaf;
using testing::tool;

constexpr std::string_view kCheckOutput = "{\"ca_certificates\": true, \"total\": \"3.30\"}\n";

constexpr std::string_view kServerWorkload = R"([[workload]]
name = "serve the page"
ready = ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/"]
probes = [["curl", "-fsS", "http://127.0.0.1:8080/"]]
)";

// The bytes of every regular file under `root`: an image's uncompressed size.
std::uint64_t tree_bytes(const fs::path& root) {
  std::uint64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && !e.is_symlink()) bytes += e.file_size();
  }
  return bytes;
}

class TrimImages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    skip_ = testing::mirror_test_skip_reason({"skopeo", "podman", "runc", "curl"});
    if (!skip_.empty()) return;
    if (::geteuid() != 0 || !fs::exists("/dev/fuse")) {
      skip_ = "tracing needs root and /dev/fuse";
      return;
    }
    fs::path work = fs::path(testing::sheaf_binary()).parent_path() / "trim-work";
    bool ready = fs::exists(work / "ready");
    if (!ready) {
      fs::remove_all(work);
      fs::create_directories(work);
      for (const char* example : {"trimmed-python", "nginx"}) {
        fs::copy(fs::path(SHEAF_SOURCE_DIR) / "examples" / example, work / example, fs::copy_options::recursive);
        fs::remove(work / example / "sheaf.lock");
      }
      testing::write_file(work / "nginx/workloads.toml", kServerWorkload);
    }
    work_ = work;
    store_ = (work / "store").string();
    // The first process builds; the others read what it built.
    if (ready) {
      std::istringstream saved(read_file_bytes(work / "ready"));
      for (std::string example, digest; saved >> example >> digest;) digests_[example] = digest;
    } else {
      for (const char* example : {"trimmed-python", "nginx"}) {
        CommandResult r = run_sheaf(store_, {"build", "-f", (work / example / "sheaf.toml").string(), "-o",
                                             (work / ("layout-" + std::string(example))).string()});
        if (r.exit_code != 0) {
          if (contains(r.err, "cannot reach") || contains(r.err, "Could not resolve")) {
            skip_ = "the mirror cannot be reached: " + r.err;
            return;
          }
          failure_ = std::string("sheaf build of ") + example + " failed:\n" + r.err;
          return;
        }
        digests_[example] = last_line(r.out);
      }
    }
    // The image the python trim was traced on, as the trimmed manifest names it.
    json manifest =
        json::parse(read_file_bytes(layout("trimmed-python") / "blobs/sha256" / digests_["trimmed-python"].substr(7)));
    untrimmed_python_ = manifest["annotations"]["dev.sheaf.trimmed-from"].get<std::string>();
    if (!ready) {
      std::string saved;
      for (const auto& [example, digest] : digests_) saved += example + " " + digest + "\n";
      testing::write_file(work / "ready", saved);
    }
  }
  static void TearDownTestSuite() {
    for (const auto& name : loaded_) run_command(podman({"rmi", "-f", name}));
    delete dir_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(failure_.empty()) << failure_;
  }

  static CommandResult sheaf(const std::vector<std::string>& args) { return run_sheaf(store_, args); }
  static fs::path layout(const std::string& example) { return work_ / ("layout-" + example); }

  static std::uint64_t uncompressed(const std::string& image) {
    fs::path root = dir_->path() / ("root-" + image.substr(image.size() - 12));
    fs::remove_all(root);
    CommandResult r = sheaf({"image", "export", image, "--rootfs", root.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return tree_bytes(root);
  }

  // A layout written by the suite, copied into containers-storage.
  static std::string load(const fs::path& layout, const std::string& name, const std::string& ref = "latest") {
    CommandResult r =
        run_command({tool("skopeo"), "copy", "oci:" + layout.string() + ":" + ref, "containers-storage:" + name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    loaded_.push_back(name);
    return name;
  }

  static json manifest_of(const std::string& digest) {
    CommandResult r = sheaf({"image", "show", digest, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  // Both SBOMs of `image`, checked by the official validators; returns
  // them (SPDX, CycloneDX).
  static std::pair<json, json> validated_sboms(const std::string& image, const std::string& name) {
    fs::path spdx = dir_->path() / (name + ".spdx.json"), cdx = dir_->path() / (name + ".cdx.json");
    EXPECT_EQ(sheaf({"sbom", image, "--format", "spdx", "-o", spdx.string()}).exit_code, 0);
    EXPECT_EQ(sheaf({"sbom", image, "--format", "cyclonedx", "-o", cdx.string()}).exit_code, 0);
    const std::string tools = std::string(SHEAF_SOURCE_DIR) + "/tools/sbom/";
    CommandResult v = run_command(
        {"/usr/bin/env", "python3", tools + "validate_spdx.py", tools + "spdx-2.3.schema.json", spdx.string()});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    // CycloneDX's strict validator comes from the npm registry, installed
    // once into the build tree; without node and npm it is not checked.
    if (!tool("npm").empty() && !tool("node").empty()) {
      fs::path validator = fs::path(testing::sheaf_binary()).parent_path() / "cyclonedx-validator";
      CommandResult install = run_command({"/bin/bash", tools + "install_cyclonedx_validator.sh", validator.string()});
      EXPECT_EQ(install.exit_code, 0) << install.err;
      v = run_command({tool("node"), (validator / "validate_cyclonedx.cjs").string(), cdx.string()});
      EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    }
    return {json::parse(read_file_bytes(spdx)), json::parse(read_file_bytes(cdx))};
  }

  static testing::TempDir* dir_;
  static fs::path work_;
  static std::string store_;
  static std::string skip_;
  static std::string failure_;
  static std::map<std::string, std::string> digests_;
  static std::string untrimmed_python_;
  static std::vector<std::string> loaded_;
};
testing::TempDir* TrimImages::dir_ = nullptr;
fs::path TrimImages::work_;
std::string TrimImages::store_;
std::string TrimImages::skip_;
std::string TrimImages::failure_;
std::map<std::string, std::string> TrimImages::digests_;
std::string TrimImages::untrimmed_python_;
std::vector<std::string> TrimImages::loaded_;

TEST_F(TrimImages, ThePython3ImageTrimmedForItsScriptRunsTheSameUnderSheafAndPodmanAndIsAThirdOfTheSize) {
  const std::string trimmed = digests_["trimmed-python"];
  CommandResult r = sheaf({"run", trimmed});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kCheckOutput);
  r = sheaf({"run", untrimmed_python_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kCheckOutput);
  std::string name = load(layout("trimmed-python"), "localhost/sheaf-test-trimmed-python:latest");
  r = run_command(podman_run(name, {"--network", "none"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kCheckOutput);

  std::uint64_t before = uncompressed(untrimmed_python_), after = uncompressed(trimmed);
  RecordProperty("untrimmed_bytes", std::to_string(before));
  RecordProperty("trimmed_bytes", std::to_string(after));
  EXPECT_GE(before, 3 * after) << before << " bytes untrimmed, " << after << " trimmed";
}

TEST_F(TrimImages, ModulesTheScriptDidNotUseAreGoneAndTrimCheckNamesTheirPaths) {
  const std::string trimmed = digests_["trimmed-python"];
  const std::string script = "import unittest, xml.dom.minidom; print('imported')";
  CommandResult r = sheaf({"run", untrimmed_python_, "--", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // the untrimmed image has them
  r = sheaf({"run", trimmed, "--", "-c", script});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "No module named 'unittest'")) << r.err;
  r = sheaf({"run", trimmed, "--", "-c", "import xml.dom.minidom"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "No module named 'xml'")) << r.err;

  r = sheaf({"trim", "--check", trimmed, "--", "-c", script});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::set<std::string> removed;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) removed.insert(line);
  for (const char* path : {"/usr/lib/python3.11/unittest/__init__.py", "/usr/lib/python3.11/unittest/case.py",
                           "/usr/lib/python3.11/xml/dom/minidom.py"}) {
    EXPECT_TRUE(removed.count(path)) << path << " in\n" << r.out;
  }
  // What the trim kept for the script is never named.
  EXPECT_FALSE(removed.count("/usr/lib/python3.11/json/__init__.py")) << r.out;
  // The script it was trimmed for wants nothing removed.
  r = sheaf({"trim", "--check", trimmed});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(TrimImages, TheTrimmedNginxImageStillServesItsPageAndIsHalfTheSize) {
  const std::string untrimmed = digests_["nginx"];
  fs::path layout = dir_->path() / "nginx-trimmed";
  CommandResult r = sheaf({"trim", untrimmed, "--workloads", (work_ / "nginx/workloads.toml").string(), "--tag",
                           "hello-nginx:trimmed", "-o", layout.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "hello from sheaf")) << r.err;  // the probe's page
  const std::string trimmed = last_line(r.out);

  auto fetch_page = [] {
    CommandResult page;
    for (int attempt = 0; attempt < 80; ++attempt) {
      page = run_command({"/usr/bin/curl", "-sf", "--max-time", "2", "http://127.0.0.1:8080/"});
      if (page.exit_code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return page;
  };
  {
    auto server = testing::start_sheaf(store_, {"run", "--network", "host", trimmed});
    CommandResult page = fetch_page();
    server->kill(SIGQUIT);
    server->wait();
    EXPECT_EQ(page.exit_code, 0) << page.err << server->err_so_far();
    EXPECT_TRUE(contains(page.out, "hello from sheaf")) << page.out;
  }
  std::string name = load(layout, "localhost/sheaf-test-nginx-trimmed:latest", "trimmed");
  std::string container = "sheaf-test-nginx-trimmed";
  run_command(podman({"rm", "-f", container}));
  r = run_command(podman_run(name, {"-d", "--name", container, "--network", "host"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult page = fetch_page();
  run_command(podman({"stop", "-t", "2", container}));
  run_command(podman({"rm", "-f", container}));
  EXPECT_EQ(page.exit_code, 0) << page.err;
  EXPECT_TRUE(contains(page.out, "hello from sheaf")) << page.out;

  std::uint64_t before = uncompressed(untrimmed), after = uncompressed(trimmed);
  EXPECT_GE(before, 2 * after) << before << " bytes untrimmed, " << after << " trimmed";

  // A layer per kept package, SBOMs that validate, and the same digest from
  // a second trace.
  json shown = manifest_of(trimmed);
  EXPECT_EQ(shown["layers"].size(), shown["trim"]["packages"].size());
  for (const auto& layer : shown["layers"]) EXPECT_EQ(layer["packages"].size(), 1u);
  validated_sboms(trimmed, "nginx-trimmed");
  r = sheaf({"trim", untrimmed, "--workloads", (work_ / "nginx/workloads.toml").string(), "--tag",
             "hello-nginx:trimmed-again"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), trimmed);
}

// An update of a trimmed image changes the set it was trimmed from (the
// closure checked there) and trims the result with the recorded profile;
// a path the workload used that the new set lacks is named. Removing
// ca-certificates takes the CA bundle out of the assembly.
TEST_F(TrimImages, AnUpdateTrimsTheNewSetAgainAndNamesTheUsedPathsItLost) {
  CommandResult r =
      sheaf({"image", "update", digests_["trimmed-python"], "--remove", "ca-certificates", "--tag", "updated:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "the update no longer has:")) << r.err;
  EXPECT_TRUE(contains(r.err, "/etc/ssl/certs/ca-certificates.crt")) << r.err;
  const std::string updated = last_line(r.out);
  json shown = manifest_of(updated);
  ASSERT_TRUE(shown.contains("trim"));
  for (const auto& p : shown["trim"]["packages"]) EXPECT_NE(p["name"], "ca-certificates");
  r = sheaf({"run", updated});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ca_certificates\": false, \"total\": \"3.30\"}\n");
}

TEST_F(TrimImages, TrimmedImagesKeepALayerPerPackageWithItsStanzaAndTheirSbomsValidate) {
  const std::string trimmed = digests_["trimmed-python"];
  json shown = manifest_of(trimmed);
  ASSERT_TRUE(shown.contains("trim"));
  const json& profile = shown["trim"];
  EXPECT_EQ(profile["source"], untrimmed_python_);
  EXPECT_EQ(profile["closure_checked"], false);
  // One layer per kept package, each named once; the dropped ones absent.
  std::set<std::string> layer_names;
  for (const auto& layer : shown["layers"]) {
    ASSERT_EQ(layer["packages"].size(), 1u);
    EXPECT_TRUE(layer_names.insert(layer["packages"][0]["name"].get<std::string>()).second);
  }
  std::set<std::string> kept;
  for (const auto& p : profile["packages"]) kept.insert(p["name"].get<std::string>());
  EXPECT_EQ(layer_names, kept);
  EXPECT_TRUE(kept.count("python3.11-minimal"));
  for (const auto& d : profile["dropped"]) EXPECT_FALSE(layer_names.count(d["name"].get<std::string>()));
  EXPECT_FALSE(profile["dropped"].empty());
  // Each kept Debian package still has its status stanza, so scanners see it.
  fs::path root = dir_->path() / "root-stanzas";
  fs::remove_all(root);
  ASSERT_EQ(sheaf({"image", "export", trimmed, "--rootfs", root.string()}).exit_code, 0);
  for (const char* name : {"python3.11-minimal", "libssl3", "libsqlite3-0", "libc6"}) {
    EXPECT_TRUE(fs::exists(root / "var/lib/dpkg/status.d" / name)) << name;
  }
  CommandResult text = sheaf({"image", "show", trimmed});
  EXPECT_TRUE(contains(text.out, "trimmed: traced on " + untrimmed_python_)) << text.out;
  EXPECT_TRUE(contains(text.out, "closure not checked")) << text.out;

  auto [spdx_doc, cdx_doc] = validated_sboms(trimmed, "trimmed-python");
  std::set<std::string> in_spdx;
  for (const auto& p : spdx_doc["packages"]) in_spdx.insert(p["name"]);
  for (const auto& name : kept) EXPECT_TRUE(in_spdx.count(name)) << name;
  EXPECT_TRUE(contains(spdx_doc.dump(), "trimmed by sheaf")) << "the SPDX document says nothing of the trim";
  EXPECT_TRUE(contains(cdx_doc.dump(), "sheaf:trimmed-from"));
}

TEST_F(TrimImages, TwoTrimsWithTheSameWorkloadsGiveTheSameDigest) {
  // The build's [trim], done again by `sheaf trim` on the image it traced.
  fs::path workloads = dir_->path() / "check.toml";
  testing::write_file(workloads, "[[workload]]\nname = \"check\"\ntimeout = 120\n");
  CommandResult r = sheaf({"trim", untrimmed_python_, "--workloads", workloads.string(), "--tag", "again:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), digests_["trimmed-python"]);
  r = sheaf({"trim", untrimmed_python_, "--workloads", workloads.string(), "--tag", "again:2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), digests_["trimmed-python"]);
}

TEST_F(TrimImages, BadWorkloadsAreRefusedClearlyAndAddNoImage) {
  auto images = [] { return sheaf({"image", "ls"}).out; };
  const std::string before = images();
  CommandResult r = sheaf({"trim", untrimmed_python_, "--timeout", "2", "--", "-c", "import time; time.sleep(60)"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "did not finish within its timeout of 2 s")) << r.err;
  r = sheaf({"trim", untrimmed_python_, "--", "-c", "raise SystemExit(3)"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "exited with 3")) << r.err;
  EXPECT_TRUE(contains(r.err, "--allow-failure")) << r.err;
  r = sheaf({"trim", "no-such-image:1", "--", "-c", "pass"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "no-such-image")) << r.err;
  r = sheaf({"trim", digests_["trimmed-python"]});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "is a trimmed image already")) << r.err;
  r = sheaf({"trim", untrimmed_python_, "--workloads", "/nonexistent/w.toml"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "/nonexistent/w.toml")) << r.err;
  EXPECT_EQ(images(), before);

  // Allowed failure, and a keep glob that matches nothing: a warning.
  r = sheaf({"trim", untrimmed_python_, "--allow-failure", "--keep", "/opt/nothing/**", "--tag", "failing:1", "--",
             "-c", "import json; raise SystemExit(3)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "--keep 'opt/nothing/**' matches no path of the image")) << r.err;
}

}  // namespace
}  // namespace sheaf
