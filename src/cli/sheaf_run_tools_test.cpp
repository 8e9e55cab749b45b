// `sheaf run` on the examples the ecosystem's tools also check (the fixture
// of oci_tools_fixture.hpp): arguments, exit codes, users, the store's trees
// shared read-only under one overlay, gc and interruption while a container
// runs, a server on the host's network.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/oci_tools_fixture.hpp"
#include "testing/command.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using cli_tests::OciToolsTest;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::run_command;
using testing::run_sheaf;
using testing::tool;

// Starts `sheaf --store STORE ARGS...` in the background, its output thrown
// away; the caller signals and reaps it.
pid_t spawn_sheaf(const std::string& store, const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int null = ::open("/dev/null", O_WRONLY);
  ::dup2(null, 1);
  ::dup2(null, 2);
  std::vector<std::string> argv{testing::sheaf_binary(), "--store", store};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  ::execv(raw[0], raw.data());
  ::_exit(127);
}

TEST_F(OciToolsTest, SheafRunPrintsThePython3Greeting) {
  CommandResult r = run_sheaf(store(), {"run", digests_["python3"]});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from sheaf\n");
  // By name and by layout path too.
  r = run_sheaf(store(), {"run", "hello-python"});
  EXPECT_EQ(r.out, "hello from sheaf\n") << r.err;
  r = run_sheaf(store(), {"run", layout("python3").string()});
  EXPECT_EQ(r.out, "hello from sheaf\n") << r.err;
}

TEST_F(OciToolsTest, SheafRunPassesOnTheExitCodeAndSaysWhenTheCommandCannotRun) {
  CommandResult r = run_sheaf(
      store(), {"run", "--entrypoint", "/usr/bin/python3", "hello-python", "--", "-c", "import sys; sys.exit(7)"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  r = run_sheaf(store(), {"run", "--entrypoint", "/usr/bin/no-such-program", "hello-python"});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_TRUE(contains(r.err, "not found in the image")) << r.err;
  r = run_sheaf(store(), {"run", "--entrypoint", "/etc/passwd", "hello-python"});
  EXPECT_EQ(r.exit_code, 126) << r.err;
  r = run_sheaf(store(), {"run", "no-such-image"});
  EXPECT_EQ(r.exit_code, 125) << r.err;
  // A command after the image keeps the entrypoint (python3) and replaces the cmd.
  r = run_sheaf(store(), {"run", "hello-python", "--", "-c", "print(6 * 7)"});
  EXPECT_EQ(r.out, "42\n") << r.err;
}

TEST_F(OciToolsTest, SheafRunTakesTheUserWorkdirAndEnvironmentGiven) {
  CommandResult r = run_sheaf(
      store(), {"run", "--user", "nobody", "--workdir", "/tmp", "-e", "GREETING=hi", "hello-python", "--", "-c",
                "import os; print(os.getuid(), os.getgid(), os.getcwd(), "
                "os.environ['GREETING'], os.environ['LANG'], os.environ['HOME'])"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "65534 65534 /tmp hi C.UTF-8 /nonexistent\n");
  r = run_sheaf(store(), {"run", "--user", "nosuchuser", "hello-python"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_TRUE(contains(r.err, "user 'nosuchuser' is not in the image's /etc/passwd")) << r.err;
  r = run_sheaf(store(), {"run", "--network", "bridge", "hello-python"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_TRUE(contains(r.err, "--network must be none or host")) << r.err;
}

// store gc while a container runs: gc does not wait for it (sheaf run lets
// the store lock go once the container's root is mounted), and it keeps the
// container's directory, which the run's own lock marks as live.
TEST_F(OciToolsTest, StoreGcWhileAContainerRunsKeepsItsDirectory) {
  fs::path run_dir = fs::path(store()) / "run";
  std::set<std::string> before;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run_dir, ec)) before.insert(e.path().filename().string());
  auto run = testing::start_sheaf(store(), {"run", "hello-busybox", "--", "sh", "-c", "sleep 3; ls /usr/bin/busybox"});
  fs::path live;
  for (int i = 0; i < 300 && live.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& e : fs::directory_iterator(run_dir, ec)) {
      if (!before.contains(e.path().filename().string()) && fs::exists(e.path() / "bundle/config.json")) {
        live = e.path();
      }
    }
  }
  ASSERT_FALSE(live.empty()) << "the container did not start:\n" << run->err_so_far();
  auto started = std::chrono::steady_clock::now();
  CommandResult gc = run_sheaf(store(), {"store", "gc", "--wait", "10"});
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3)) << "gc waited for the container";
  EXPECT_TRUE(fs::exists(live / "trees")) << "gc removed the directory of a running container";
  CommandResult r = run->wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "/usr/bin/busybox")) << r.out;
  EXPECT_FALSE(fs::exists(live)) << "the run left its directory";
}

TEST_F(OciToolsTest, TwoImagesSeeOneInodeForTheirCommonLibc) {
  const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  CommandResult python =
      run_sheaf(store(), {"run", "hello-python", "--", "-c", "import os; print(os.stat('" + libc + "').st_ino)"});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  // The nginx image has no shell; busybox from the busybox image's own tree
  // is bound in to look.
  ASSERT_EQ(run_sheaf(store(), {"run", "hello-busybox"}).exit_code, 0);
  CommandResult show = run_sheaf(store(), {"pkg", "show", "busybox-static", "--json"});
  std::string id = json::parse(show.out)["id"];
  fs::path busybox = fs::path(store()) / "trees" / id.substr(7) / "usr/bin/busybox";
  ASSERT_TRUE(fs::exists(busybox)) << busybox;
  CommandResult nginx = run_sheaf(store(), {"run", "-v", busybox.string() + ":/busybox:ro", "--entrypoint", "/busybox",
                                            "hello-nginx", "--", "stat", "-c", "%i", libc});
  ASSERT_EQ(nginx.exit_code, 0) << nginx.err;
  EXPECT_EQ(python.out, nginx.out) << "libc6's file should be one inode, shared by both images";
}

TEST_F(OciToolsTest, WritingIntoUsrLeavesTheStoreAsItWas) {
  CommandResult r = run_sheaf(store(), {"run", "hello-python", "--", "-c",
                                        "open('/usr/lib/python3.11/os.py', 'a').write('# changed'); "
                                        "open('/usr/bin/new-file', 'w').write('x'); print('wrote')"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote\n");
  r = run_sheaf(store(), {"store", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // And the next container sees the image as it was.
  r = run_sheaf(store(), {"run", "hello-python", "--", "-c",
                          "import os; print(os.path.exists('/usr/bin/new-file'), "
                          "open('/usr/lib/python3.11/os.py').read().endswith('# changed'))"});
  EXPECT_EQ(r.out, "False False\n") << r.err;
  r = run_sheaf(store(), {"run", "--read-only", "hello-python", "--", "-c", "open('/usr/x', 'w')"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "Read-only file system")) << r.err;
}

TEST_F(OciToolsTest, InterruptingSheafRunLeavesNoMountAndNoBundle) {
  fs::path run_dir = fs::path(store()) / "run";
  // What this run adds: mounts and directories below run/, against what was
  // there before (a crashed run elsewhere must not decide this test).
  auto mounts = [&] {
    std::set<std::string> out;
    std::ifstream in("/proc/mounts");
    std::string line;
    while (std::getline(in, line)) {
      if (contains(line, run_dir.string())) out.insert(line);
    }
    return out;
  };
  auto bundles = [&] {
    std::set<std::string> out;
    std::error_code ec;
    if (fs::is_directory(run_dir, ec)) {
      for (const auto& e : fs::directory_iterator(run_dir)) out.insert(e.path().filename().string());
    }
    return out;
  };
  auto mounts_before = mounts();
  auto bundles_before = bundles();
  auto mounted = [&] { return mounts() != mounts_before; };
  pid_t pid = spawn_sheaf(store(), {"run", "hello-python", "--", "-c", "import time; time.sleep(60)"});
  ASSERT_GT(pid, 0);
  bool started = false;
  for (int i = 0; i < 300 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // The container's python3 itself, not sheaf or runc, whose command lines name it too.
    started = mounted() && run_command({tool("pgrep"), "-f", "^/usr/bin/python3 -c import time"}).exit_code == 0;
  }
  ASSERT_TRUE(started) << "the container did not start";
  // python3 is the container's pid 1, which ignores SIGINT until python has
  // installed its handler, a moment after the exec that pgrep sees.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << "sheaf itself died of a signal";
  EXPECT_EQ(mounts(), mounts_before) << "a mount is left behind";
  EXPECT_EQ(bundles(), bundles_before) << "a bundle is left behind";
}

TEST_F(OciToolsTest, SheafRunStacksMoreThanTwoHundredPackageTrees) {
  // busybox plus 210 [[files]] packages: 211 trees under one overlay (the
  // image itself groups them into 100 layers).
  fs::path project = dir_->path() / "many";
  fs::create_directories(project / "files");
  fs::path work = fs::path(store()).parent_path();
  std::string spec = testing::read_file_bytes(work / "busybox/sheaf.toml");
  spec.replace(spec.find("name = \"hello-busybox\""), 22, "name = \"sheaf-test-many\"");
  for (int i = 0; i < 210; ++i) {
    testing::write_file(project / "files" / fmt::format("f{}", i), fmt::format("file {}\n", i));
    spec += fmt::format("\n[[files]]\nsrc = \"files/f{}\"\ndest = \"/data/f{}\"\n", i, i);
  }
  testing::write_file(project / "sheaf.toml", spec);
  fs::copy_file(work / "busybox/sheaf.lock", project / "sheaf.lock");
  CommandResult r = run_sheaf(store(), {"build", "-f", (project / "sheaf.toml").string(), "--locked"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "share one layer")) << r.err;
  r = run_sheaf(store(), {"run", "sheaf-test-many", "--", "cat", "/data/f0", "/data/f209"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "file 0\nfile 209\n");
}

TEST_F(OciToolsTest, SheafRunServesTheNginxPageWithTheHostNetwork) {
  pid_t pid = spawn_sheaf(store(), {"run", "--network", "host", "hello-nginx"});
  ASSERT_GT(pid, 0);
  CommandResult page;
  for (int attempt = 0; attempt < 100; ++attempt) {
    page = run_command({"/usr/bin/curl", "-sf", "--max-time", "2", "http://127.0.0.1:8080/"});
    if (page.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(page.exit_code, 0) << page.err;
  EXPECT_TRUE(contains(page.out, "hello from sheaf")) << page.out;
}

}  // namespace
}  // namespace sheaf
