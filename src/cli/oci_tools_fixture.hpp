// The fixture of the tests of sheaf's images against the ecosystem's tools
// (oci_tools_test.cpp: skopeo, umoci, podman, registries, signatures, SBOM
// validators) and of `sheaf run` on the same images (sheaf_run_tools_test.cpp):
// the examples built once from the host's mirror into a store kept in the
// build tree. One binary, so that ctest's resource lock covers both.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/command.hpp"
#include "testing/oci_tools.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::cli_tests {

namespace fs = std::filesystem;

class OciToolsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    skip_ = testing::mirror_test_skip_reason({"skopeo", "umoci", "runc", "podman"});
    if (!skip_.empty()) return;
    // Each example's spec, locked afresh (a committed lock may name versions
    // the mirror has since dropped), in a work directory kept in the build
    // tree: ctest runs each test in a process of its own, and building the
    // examples from the mirror takes a minute or more under the sanitizers, so later processes build from the first
    // one's store and locks, offline. The suite holds a ctest resource lock, so no two of its processes share the
    // directory at once.
    fs::path work = fs::path(testing::sheaf_binary()).parent_path() / "oci-tools-work";
    bool ready = fs::exists(work / "ready");
    if (!ready) {
      fs::remove_all(work);
      fs::create_directories(work);
    }
    store_ = (work / "store").string();
    for (const char* example : {"python3", "nginx", "busybox", "multiarch-python"}) {
      fs::path spec_dir = work / example;
      if (!ready) {
        fs::copy(fs::path(SHEAF_SOURCE_DIR) / "examples" / example, spec_dir, fs::copy_options::recursive);
        fs::remove(spec_dir / "sheaf.lock");
      }
      std::vector<std::string> args{"build", "-f", (spec_dir / "sheaf.toml").string(), "-o",
                                    (dir_->path() / (std::string(example) + "-oci")).string()};
      if (ready) args.push_back("--locked");
      testing::CommandResult r = testing::run_sheaf(store(), args);
      if (r.exit_code != 0) {
        if (testing::contains(r.err, "cannot reach") || testing::contains(r.err, "Could not resolve")) {
          skip_ = "the mirror cannot be reached: " + r.err;
          return;
        }
        failure_ = std::string("sheaf build of ") + example + " failed:\n" + r.err;
        return;
      }
      digests_[example] = testing::last_line(r.out);
    }
    if (!ready) testing::write_file(work / "ready", "");
  }
  static void TearDownTestSuite() {
    for (const auto& name : loaded_) testing::run_command(testing::podman({"rmi", "-f", name}));
    delete dir_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(failure_.empty()) << failure_;
  }

  static std::string store() { return store_; }
  static fs::path layout(const std::string& example) { return dir_->path() / (example + "-oci"); }
  static nlohmann::json manifest(const std::string& example) {
    return nlohmann::json::parse(
        testing::read_file_bytes(layout(example) / "blobs/sha256" / digests_[example].substr(7)));
  }
  // skopeo copy into containers-storage under a name of our own.
  static std::string load(const std::string& example) {
    std::string name = "localhost/sheaf-test-" + example + ":latest";
    testing::CommandResult r = testing::run_command(
        {testing::tool("skopeo"), "copy", "oci:" + layout(example).string() + ":latest", "containers-storage:" + name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    loaded_.push_back(name);
    return name;
  }

  inline static testing::TempDir* dir_ = nullptr;
  inline static std::string store_;
  inline static std::string skip_;
  inline static std::string failure_;
  inline static std::map<std::string, std::string> digests_;
  inline static std::vector<std::string> loaded_;
};

}  // namespace sheaf::cli_tests
