// Acceptance of sheaf's images by the ecosystem's own tools: skopeo, umoci,
// runc and podman, on the examples built from bookworm through the host's apt
// configuration. Labelled "mirror" in ctest; each test skips, with a message,
// when the mirror or a tool is missing.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::last_line;
using testing::read_file_bytes;
using testing::run_command;
using testing::run_sheaf;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The absolute path of a tool on $PATH ("" when absent): run_command execs
// paths, not names.
std::string tool(const std::string& name) {
  CommandResult r = run_command({"/bin/sh", "-c", "command -v " + name});
  return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
}

// podman with the flags these machines need (machine-notes: runc, cgroupfs,
// and rlimits the caller can grant).
std::vector<std::string> podman(std::vector<std::string> args) {
  std::vector<std::string> argv{tool("podman"), "--runtime",        "runc", "--cgroup-manager",
                                "cgroupfs",     "--events-backend", "file"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}
std::vector<std::string> podman_run(const std::string& image, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run",      "--rm",           "--pull=never", "--ulimit", "nofile=1024:20000",
                                "--ulimit", "nproc=4096:4096"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(image);
  return podman(args);
}

class OciToolsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    auto probe = run_command({"/usr/bin/apt-get", "-qq", "--print-uris", "download", "base-files"});
    if (probe.exit_code != 0 || probe.out.empty()) {
      skip_ = "the host's apt configuration names no reachable mirror";
      return;
    }
    for (const char* tool : {"skopeo", "umoci", "runc", "podman"}) {
      if (sheaf::tool(tool).empty()) {
        skip_ = std::string(tool) + " is not installed (tools/dev test installs it)";
        return;
      }
    }
    // Each example's spec, locked afresh (a committed lock may name versions
    // the mirror has since dropped), in a work directory kept in the build
    // tree: ctest runs each test in a process of its own, and building the
    // three examples from the mirror takes most of a minute under the
    // sanitizers, so later processes build from the first one's store and
    // locks, offline. The test is SERIAL, so no two processes share it at once.
    fs::path work = fs::path(testing::sheaf_binary()).parent_path() / "oci-tools-work";
    bool ready = fs::exists(work / "ready");
    if (!ready) {
      fs::remove_all(work);
      fs::create_directories(work);
    }
    store_ = (work / "store").string();
    for (const char* example : {"python3", "nginx", "busybox"}) {
      fs::path spec_dir = work / example;
      if (!ready) {
        fs::copy(fs::path(SHEAF_SOURCE_DIR) / "examples" / example, spec_dir, fs::copy_options::recursive);
        fs::remove(spec_dir / "sheaf.lock");
      }
      std::vector<std::string> args{"build", "-f", (spec_dir / "sheaf.toml").string(), "-o",
                                    (dir_->path() / (std::string(example) + "-oci")).string()};
      if (ready) args.push_back("--locked");
      CommandResult r = run_sheaf(store(), args);
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
    if (!ready) testing::write_file(work / "ready", "");
  }
  static void TearDownTestSuite() {
    for (const auto& name : loaded_) run_command(podman({"rmi", "-f", name}));
    delete dir_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(failure_.empty()) << failure_;
  }

  static std::string store() { return store_; }
  static fs::path layout(const std::string& example) { return dir_->path() / (example + "-oci"); }
  static json manifest(const std::string& example) {
    return json::parse(read_file_bytes(layout(example) / "blobs/sha256" / digests_[example].substr(7)));
  }
  // skopeo copy into containers-storage under a name of our own.
  static std::string load(const std::string& example) {
    std::string name = "localhost/sheaf-test-" + example + ":latest";
    CommandResult r = run_command(
        {tool("skopeo"), "copy", "oci:" + layout(example).string() + ":latest", "containers-storage:" + name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    loaded_.push_back(name);
    return name;
  }

  static testing::TempDir* dir_;
  static std::string store_;
  static std::string skip_;
  static std::string failure_;
  static std::map<std::string, std::string> digests_;
  static std::vector<std::string> loaded_;
};
testing::TempDir* OciToolsTest::dir_ = nullptr;
std::string OciToolsTest::store_;
std::string OciToolsTest::skip_;
std::string OciToolsTest::failure_;
std::map<std::string, std::string> OciToolsTest::digests_;
std::vector<std::string> OciToolsTest::loaded_;

TEST_F(OciToolsTest, SkopeoInspectsTheLayout) {
  CommandResult r = run_command({tool("skopeo"), "inspect", "oci:" + layout("python3").string() + ":latest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json inspected = json::parse(r.out);
  EXPECT_EQ(inspected["Digest"], digests_["python3"]);
  EXPECT_EQ(inspected["Layers"].size(), manifest("python3")["layers"].size());
}

TEST_F(OciToolsTest, UmociUnpacksAndRuncRunsThePython3Image) {
  fs::path bundle = dir_->path() / "bundle";
  CommandResult r =
      run_command({tool("umoci"), "unpack", "--image", layout("python3").string() + ":latest", bundle.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json config = json::parse(read_file_bytes(bundle / "config.json"));
  config["process"]["terminal"] = false;  // no tty in a test
  testing::write_file(bundle / "config.json", config.dump());
  r = run_command({tool("runc"), "run", "-b", bundle.string(), "sheaf-test-python3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from sheaf\n");
  // A program that is not there: the rootfs holds no shell.
  EXPECT_FALSE(fs::exists(bundle / "rootfs/usr/bin/sh"));
}

TEST_F(OciToolsTest, PodmanRunsThePython3ImageFromContainersStorage) {
  std::string name = load("python3");
  CommandResult r = run_command(podman_run(name, {"--network", "none"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from sheaf\n");
}

TEST_F(OciToolsTest, PodmanLoadsTheDockerArchive) {
  fs::path archive = dir_->path() / "busybox.tar";
  fs::path spec = fs::path(store()).parent_path() / "busybox/sheaf.toml";
  CommandResult r = run_sheaf(store(), {"build", "-f", spec.string(), "--locked",
                                        "--tag", "sheaf-test-archive:v1", "--docker-archive", archive.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command(podman({"load", "-i", archive.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  loaded_.push_back("localhost/sheaf-test-archive:v1");
  r = run_command(podman_run("localhost/sheaf-test-archive:v1", {"--network", "none"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from busybox\n");
}

TEST_F(OciToolsTest, TheNginxImageServesItsPageOnLoopback) {
  std::string name = load("nginx");
  std::string container = "sheaf-test-nginx";
  run_command(podman({"rm", "-f", container}));
  CommandResult r = run_command(podman_run(name, {"-d", "--name", container, "--network", "host"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult page;
  for (int attempt = 0; attempt < 50; ++attempt) {
    page = run_command({"/usr/bin/curl", "-sf", "--max-time", "2", "http://127.0.0.1:8080/"});
    if (page.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  run_command(podman({"stop", "-t", "2", container}));
  EXPECT_EQ(page.exit_code, 0) << page.err;
  EXPECT_TRUE(contains(page.out, "hello from sheaf")) << page.out;
}

TEST_F(OciToolsTest, Python3AndNginxShareTheLayersOfTheirCommonPackages) {
  std::map<std::string, std::string> python_layers;  // package name -> blob
  json python = manifest("python3");
  json nginx = manifest("nginx");
  for (const auto& layer : python["layers"]) {
    python_layers[layer["annotations"]["dev.sheaf.package.name"]] = layer["digest"];
  }
  std::size_t shared = 0;
  for (const auto& layer : nginx["layers"]) {
    std::string package = layer["annotations"]["dev.sheaf.package.name"];
    auto it = python_layers.find(package);
    if (it == python_layers.end() || package == "sheaf-assembly") continue;
    EXPECT_EQ(it->second, layer["digest"]) << package << " has two different layers";
    shared += 1;
  }
  EXPECT_TRUE(python_layers.contains("libc6"));
  EXPECT_GE(shared, 5u) << "libc6, libgcc-s1, gcc-12-base, libssl3, zlib1g at least";
}

}  // namespace
}  // namespace sheaf
