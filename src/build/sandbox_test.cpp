// The sandbox's promises, checked from inside it with the host's own root
// as the environment (read-only, as a recipe's is): no network, no writes
// outside /build and /tmp, a fixed environment, a time limit that kills
// everything a step started. Needs root and bwrap; skips without them.
#include "build/sandbox.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "base/error.hpp"
#include "base/process.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::build {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the sandbox tests need root";
    if (!find_system_program("bwrap")) GTEST_SKIP() << "bwrap is not installed (tools/dev test installs it)";
    for (const char* d : {"src", "dest", "home", "tmp"}) fs::create_directories(dir_.path() / d);
    request_.root = "/";
    request_.source_dir = dir_.path() / "src";
    request_.dest_dir = dir_.path() / "dest";
    request_.home_dir = dir_.path() / "home";
    request_.tmp_dir = dir_.path() / "tmp";
    request_.log = dir_.path() / "log";
    request_.source_date_epoch = 1700000000;
    request_.timeout = std::chrono::seconds(60);
  }

  // Runs `steps`; "" when they all pass, else the error.
  std::string run(std::vector<std::string> steps) {
    request_.steps = std::move(steps);
    return testing::error_message_of([&] { run_steps(request_); });
  }

  testing::TempDir dir_;
  SandboxRequest request_;
};

TEST_F(SandboxTest, TheEnvironmentIsFixed) {
  request_.env = {{"CFLAGS", "-O2"}};
  ASSERT_EQ(run({"env | sort > /build/dest/env; umask > /build/dest/umask; id -u > /build/dest/uid; "
                 "hostname > /build/dest/hostname; pwd > /build/dest/pwd"}),
            "");
  EXPECT_EQ(read_text(dir_.path() / "dest/env"),
            "CFLAGS=-O2\nDESTDIR=/build/dest\nHOME=/build/home\nHOSTNAME=sheaf-build\nLANG=C.UTF-8\n"
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/build/src\n"
            "SOURCE_DATE_EPOCH=1700000000\nTZ=UTC\n");
  EXPECT_EQ(read_text(dir_.path() / "dest/umask"), "0022\n");
  EXPECT_EQ(read_text(dir_.path() / "dest/uid"), "0\n");
  EXPECT_EQ(read_text(dir_.path() / "dest/hostname"), "sheaf-build\n");
  EXPECT_EQ(read_text(dir_.path() / "dest/pwd"), "/build/src\n");
}

TEST_F(SandboxTest, AStepThatTriesTheNetworkFailsAndTheErrorSaysThereIsNone) {
  // A server on the host's loopback: the sandbox's loopback is its own.
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(server, 1), 0);
  socklen_t size = sizeof address;
  ::getsockname(server, reinterpret_cast<sockaddr*>(&address), &size);
  int port = ntohs(address.sin_port);
  ASSERT_EQ(run({"grep : /proc/net/dev | cut -d: -f1 | tr -d ' ' > /build/dest/interfaces"}), "");
  EXPECT_EQ(read_text(dir_.path() / "dest/interfaces"), "lo\n");  // loopback alone
  std::string message = run({"echo fetching; python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " +
                             std::to_string(port) + "), 5)'"});
  ::close(server);
  EXPECT_NE(message.find("step 1 of 1 ('echo fetching; python3 -c"), std::string::npos) << message;
  EXPECT_NE(message.find("exited with status 1; the build has no network"), std::string::npos) << message;
  EXPECT_NE(message.find("  | ConnectionRefusedError"), std::string::npos) << message;
  EXPECT_NE(message.find("  | fetching"), std::string::npos) << message;
}

TEST_F(SandboxTest, NothingOutsideTheBuildDirectoriesCanBeWritten) {
  fs::path outside = dir_.path() / "outside";
  fs::create_directories(outside);
  std::vector<std::string> targets{"/usr/sheaf-x",     "/etc/sheaf-x",           "/sheaf-x",      "/root/sheaf-x",
                                   "/var/tmp/sheaf-x", (outside / "x").string(), "/build/sheaf-x"};
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    std::string message = run({"echo x > " + target});
    EXPECT_NE(message.find("exited with status 2"), std::string::npos) << message;
  }
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_FALSE(fs::exists("/usr/sheaf-x"));
  EXPECT_FALSE(fs::exists("/sheaf-x"));
  // The build directories take writes, and /tmp keeps them from step to step.
  ASSERT_EQ(run({"echo a > /tmp/a; echo s > s; echo h > $HOME/h", "cp /tmp/a $DESTDIR/a"}), "");
  EXPECT_EQ(read_text(dir_.path() / "dest/a"), "a\n");
  EXPECT_EQ(read_text(dir_.path() / "src/s"), "s\n");
  EXPECT_EQ(read_text(dir_.path() / "home/h"), "h\n");
}

TEST_F(SandboxTest, AStepPastTheTimeLimitIsKilledWithWhatItStarted) {
  request_.timeout = std::chrono::milliseconds(1500);
  auto start = std::chrono::steady_clock::now();
  std::string message = run({"true", "(sleep 1000; echo late > $DESTDIR/late) & echo waiting; sleep 1000"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(message.find("step 2 of 2 ('(sleep 1000; echo late > $DESTDIR/late) & echo waiting; sleep 1000') was "
                         "still running when the build's time limit of 1 s ran out; it was killed"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("  | waiting"), std::string::npos) << message;
  EXPECT_LT(took, std::chrono::seconds(20));
  // Nothing of the step outlives it.
  auto pgrep = run_capture({"pgrep", "-f", "sleep 1000"});
  ASSERT_TRUE(pgrep);
  EXPECT_EQ(pgrep->out, "");
}

TEST_F(SandboxTest, AKilledStepIsGoneWhenTheBuildFails) {
  // The failure is reported only after the last process of the step has
  // ended, so none of them can still write into /build while sheaf cleans
  // up. Many processes at the lowest priority, all on one CPU with us, make
  // the namespace slow to die: waiting for bwrap alone fails this every time.
  cpu_set_t before;
  ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (std::size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &before)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
  struct Restore {
    cpu_set_t set;
    ~Restore() { ::sched_setaffinity(0, sizeof set, &set); }
  } restore{before};
  request_.timeout = std::chrono::milliseconds(1500);
  std::string message =
      run({"renice -n 19 -p 1 $$ >/dev/null; for i in $(seq 400); do sleep 1001 & done; echo started; "
           "while :; do date > $DESTDIR/ticks; done"});
  EXPECT_NE(message.find("was still running when the build's time limit"), std::string::npos) << message;
  auto pgrep = run_capture({"pgrep", "-f", "sleep 1001"});
  ASSERT_TRUE(pgrep);
  EXPECT_EQ(pgrep->out, "");
  fs::remove(dir_.path() / "dest/ticks");
  ::usleep(200 * 1000);
  EXPECT_FALSE(fs::exists(dir_.path() / "dest/ticks"));
}

TEST_F(SandboxTest, StepsRunInOrderAndTheFirstFailureStopsTheBuild) {
  std::vector<std::string> seen;
  request_.on_step = [&](std::size_t i, const std::string& step) { seen.push_back(std::to_string(i) + step); };
  std::string message = run({"echo one >> $DESTDIR/log", "false\necho not reached >> $DESTDIR/log", "echo three"});
  EXPECT_NE(message.find("step 2 of 3 ('false ...') exited with status 1"), std::string::npos) << message;
  EXPECT_EQ(read_text(dir_.path() / "dest/log"), "one\n");
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_NE(read_text(request_.log).find("+ [step 1/3] echo one >> $DESTDIR/log\n"), std::string::npos);
}

TEST(Sandbox, TheCommandLineBindsTheRootEntryByEntryAndKeepsItsSymlinks) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "root/usr/bin");
  fs::create_directories(dir.path() / "root/etc");
  fs::create_directories(dir.path() / "root/tmp");
  fs::create_symlink("usr/bin", dir.path() / "root/bin");
  SandboxRequest request;
  request.root = dir.path() / "root";
  request.source_dir = "/w/src";
  request.dest_dir = "/w/dest";
  request.home_dir = "/w/home";
  request.tmp_dir = "/w/tmp";
  auto argv = sandbox_argv("/usr/bin/bwrap", request, "make");
  std::string line;
  for (const auto& a : argv) line += a + " ";
  EXPECT_NE(line.find("--symlink usr/bin /bin --ro-bind " + (dir.path() / "root/etc").string() + " /etc --ro-bind " +
                      (dir.path() / "root/usr").string() + " /usr --proc /proc"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find("root/tmp"), std::string::npos) << line;  // the sandbox's own /tmp
  EXPECT_NE(line.find("--bind /w/src /build/src --bind /w/dest /build/dest"), std::string::npos) << line;
  EXPECT_NE(line.find("--unshare-net"), std::string::npos);
  EXPECT_EQ(argv.back(), "make");
}

}  // namespace
}  // namespace sheaf::build
