// End-to-end tests of the sheaf binary: exit codes, output contracts, bad
// input, and running without root.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::contains;
using testing::last_line;
using testing::lines_of;
using testing::make_dirs;
using testing::run_command;
using testing::run_sheaf;
using testing::TempDir;
using testing::write_file;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    make_dirs(tree_ / "usr/bin");
    write_file(tree_ / "usr/bin/hello", "#!/bin/sh\necho hello\n", 0755);
    write_file(tree_ / "README", "hello\n");
  }
  std::string store() const { return (dir_ / "store").string(); }
  CommandResult sheaf(const std::vector<std::string>& args, const testing::CommandOptions& options = {}) {
    return run_sheaf(store(), args, options);
  }
  std::string add(const fs::path& tree, const std::string& name, const std::string& version) {
    CommandResult r = sheaf({"pkg", "add", tree.string(), "--name", name, "--version", version});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  TempDir dir_;
  TempDir tree_;
};

TEST_F(Cli, EveryCommandHasHelp) {
  std::vector<std::vector<std::string>> commands = {{},
                                                    {"pkg"},
                                                    {"pkg", "add"},
                                                    {"pkg", "import"},
                                                    {"pkg", "ls"},
                                                    {"pkg", "show"},
                                                    {"pkg", "files"},
                                                    {"pkg", "rm"},
                                                    {"pkg", "push"},
                                                    {"pkg", "pull"},
                                                    {"pkg", "sign"},
                                                    {"key"},
                                                    {"key", "generate"},
                                                    {"lock"},
                                                    {"fetch"},
                                                    {"build"},
                                                    {"recipe"},
                                                    {"recipe", "build"},
                                                    {"recipe", "lock"},
                                                    {"recipe", "hash"},
                                                    {"rebuild"},
                                                    {"run"},
                                                    {"trim"},
                                                    {"push"},
                                                    {"pull"},
                                                    {"sign"},
                                                    {"verify"},
                                                    {"image"},
                                                    {"image", "rm"},
                                                    {"image", "export"},
                                                    {"image", "ls"},
                                                    {"image", "show"},
                                                    {"store"},
                                                    {"store", "verify"},
                                                    {"store", "gc"},
                                                    {"store", "du"}};
  for (auto args : commands) {
    args.push_back("--help");
    CommandResult r = sheaf(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_TRUE(contains(r.out, "Usage:")) << r.out;
    EXPECT_TRUE(contains(r.out, "--help")) << r.out;
  }
  EXPECT_TRUE(contains(sheaf({"--help"}).out, "Exit codes:"));
}

// sheaf trim's own mistakes are refused before anything is traced: a
// workloads file with a typo (at its position, before the image is even
// looked for), options --check does not take, flags out of range, and no
// root.
TEST_F(Cli, TrimRefusesBadWorkloadsAndOptionsBeforeTracing) {
  testing::write_file(tree_.path() / "w.toml", "[[workload]]\nargz = [\"x\"]\n");
  CommandResult r = sheaf({"trim", "some-image", "--workloads", (tree_.path() / "w.toml").string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "w.toml:2:1: unknown key 'argz' in [[workload]]; did you mean 'args'?")) << r.err;
  r = sheaf({"trim", "--check", "some-image", "--keep", "etc/**"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--check runs one workload")) << r.err;
  r = sheaf({"trim", "some-image", "--timeout", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = sheaf({"trim", "some-image", "--network", "bridge"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--network must be none or host")) << r.err;
  r = sheaf({"trim"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Without root, before the store is read.
  char scratch[] = "/tmp/sheaf-trim-nobody-XXXXXX";
  ASSERT_NE(::mkdtemp(scratch), nullptr);
  ASSERT_EQ(::chown(scratch, 65534, 65534), 0);
  r = testing::run_command({testing::sheaf_binary(), "--store", std::string(scratch) + "/store", "trim", "some-image"},
                           {.uid = 65534, .gid = 65534});
  fs::remove_all(scratch);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "tracing a workload needs root")) << r.err;
}

// sheaf rebuild needs the record a recipe build keeps; a package added any
// other way has none, and --attest needs a key. Nothing is built either way.
TEST_F(Cli, RebuildRefusesAPackageWithoutABuildRecord) {
  std::string id = add(tree_.path(), "hello", "1.0");
  CommandResult r = sheaf({"rebuild", "hello"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "hello 1.0 (" + id + ") has no build record in this store")) << r.err;
  r = sheaf({"rebuild", "hello", "--attest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--attest needs --key KEY")) << r.err;
  r = sheaf({"rebuild", "nosuch"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "nosuch")) << r.err;
}

TEST_F(Cli, UsageErrorsExitWithTwo) {
  CommandResult missing = sheaf({"pkg", "add", tree_.path().string(), "--version", "1.0"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "--name is required")) << missing.err;

  CommandResult unknown = sheaf({"pkg", "ls", "--colour"});
  EXPECT_EQ(unknown.exit_code, 2);

  CommandResult bad_name = sheaf({"pkg", "add", tree_.path().string(), "--name", "Hello", "--version", "1.0"});
  EXPECT_EQ(bad_name.exit_code, 2);
  EXPECT_TRUE(contains(bad_name.err, "'Hello' is not a valid package name")) << bad_name.err;

  CommandResult bad_depends =
      sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0", "--depends", "libc6 (>= 2"});
  EXPECT_EQ(bad_depends.exit_code, 2);
  EXPECT_TRUE(contains(bad_depends.err, "--depends column")) << bad_depends.err;

  EXPECT_EQ(sheaf({}).exit_code, 2);
}

TEST_F(Cli, AddPrintsTheIdAsTheLastLineAndJsonOnRequest) {
  CommandResult r = sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0", "--arch",
                           "amd64", "--depends", "libc6 (>= 2.34)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = last_line(r.out);
  EXPECT_EQ(id.size(), 7u + 64u);
  EXPECT_TRUE(id.starts_with("sha256:"));

  CommandResult as_json = sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0", "--arch",
                                 "amd64", "--depends", "libc6 (>= 2.34)", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_TRUE(contains(as_json.out, "\"id\": \"" + id + "\""));
  EXPECT_TRUE(contains(as_json.out, "\"depends\": \"libc6 (>= 2.34)\""));
}

TEST_F(Cli, OwnerSetsEveryOwnerAndRejectsMalformedValues) {
  CommandResult r =
      sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0", "--owner", "0:0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& line : lines_of(sheaf({"pkg", "files", "hello"}).out)) EXPECT_TRUE(contains(line, " 0/0 ")) << line;
  for (const char* bad : {"0", "a:b", "0:", "-1:0", "1:99999999999"}) {
    CommandResult refused =
        sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "2.0", "--owner", bad});
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_TRUE(contains(refused.err, "must be UID:GID")) << refused.err;
  }
}

TEST_F(Cli, ReAddingAnUnchangedTreeReadsOnlyWhatChanged) {
  // Files changed within 2 s of a read are never remembered; let them age.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  std::string first = add(tree_.path(), "hello", "1.0");
  CommandResult again = sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(last_line(again.out), first);
  CommandResult rehash =
      sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.1", "--rehash"});
  EXPECT_TRUE(contains(rehash.err, "; 0 files unchanged since an earlier add")) << rehash.err;

  write_file(tree_ / "README", "HELLO\n");  // same size, new content
  CommandResult changed = sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.2"});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_TRUE(contains(changed.err, "1 new objects (6 B); 1 files unchanged since an earlier add")) << changed.err;
  CommandResult files = sheaf({"pkg", "show", "hello@1.2", "--json"});
  EXPECT_NE(files.out, sheaf({"pkg", "show", "hello@1.0", "--json"}).out);
}

TEST_F(Cli, AMistypedOptionCreatesNoStore) {
  CommandResult r = sheaf({"pkg", "add", tree_.path().string(), "--name", "Bad", "--version", "1.0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(store()));
}

TEST_F(Cli, ArchDefaultsToTheHostsDebianArchitecture) {
  CommandResult arch = run_command({"/usr/bin/dpkg", "--print-architecture"});
  if (arch.exit_code != 0) GTEST_SKIP() << "dpkg is not installed";
  add(tree_.path(), "hello", "1.0");
  EXPECT_TRUE(contains(sheaf({"pkg", "show", "hello"}).out, "arch:        " + last_line(arch.out)));
}

TEST_F(Cli, LsPrintsOneLinePerPackageAndNoHeaderIntoAPipe) {
  add(tree_.path(), "hello", "1.0");
  add(tree_.path(), "hello", "1.10");
  add(tree_.path(), "hello", "1.9");
  CommandResult r = sheaf({"pkg", "ls"});
  ASSERT_EQ(r.exit_code, 0);
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with("hello  1.0 "));
  EXPECT_TRUE(lines[1].starts_with("hello  1.9 "));  // Debian order, not text order
  EXPECT_TRUE(lines[2].starts_with("hello  1.10 "));
  CommandResult as_json = sheaf({"pkg", "ls", "--json"});
  EXPECT_TRUE(contains(as_json.out, "\"version\": \"1.10\""));
}

TEST_F(Cli, ShowOfABareNameSaysWhichVersionItChose) {
  add(tree_.path(), "hello", "1.0");
  std::string newest = add(tree_.path(), "hello", "2.0~rc1");
  CommandResult r = sheaf({"pkg", "show", "hello"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "using the highest version, 2.0~rc1 (of 2 in the store)")) << r.err;
  EXPECT_TRUE(contains(r.out, "id:          " + newest));
  EXPECT_TRUE(contains(r.out, "version:     2.0~rc1"));

  CommandResult by_prefix = sheaf({"pkg", "show", newest.substr(7, 12)});
  EXPECT_EQ(by_prefix.exit_code, 0);
  EXPECT_TRUE(contains(by_prefix.out, newest));

  CommandResult missing = sheaf({"pkg", "show", "absent"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(contains(missing.err, "no package named 'absent'")) << missing.err;
}

TEST_F(Cli, FilesListsModesOwnersSizesAndPaths) {
  add(tree_.path(), "hello", "1.0");
  CommandResult r = sheaf({"pkg", "files", "hello"});
  ASSERT_EQ(r.exit_code, 0);
  std::string owner = std::to_string(::getuid()) + "/" + std::to_string(::getgid());
  EXPECT_EQ(r.out, "-rw-r--r-- " + owner + "          6 README\n" + "drwxr-xr-x " + owner + "          0 usr/\n" +
                       "drwxr-xr-x " + owner + "          0 usr/bin/\n" + "-rwxr-xr-x " + owner +
                       "         21 usr/bin/hello\n");
}

TEST_F(Cli, VerifyNamesAFlippedObjectAndExitsOne) {
  add(tree_.path(), "hello", "1.0");
  EXPECT_EQ(sheaf({"store", "verify"}).exit_code, 0);

  std::string hex = testing::sha256_hex_of_file(tree_ / "usr/bin/hello");
  fs::path object = fs::path(store()) / "objects/sha256" / hex.substr(0, 2) / hex;
  ASSERT_TRUE(fs::exists(object));
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = testing::read_file_bytes(object);
  bytes[3] ^= 1;
  write_file(object, bytes, 0444);

  CommandResult r = sheaf({"store", "verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "damaged: objects/sha256/" + hex.substr(0, 2) + "/" + hex + ": content does not match"))
      << r.out;
}

TEST_F(Cli, RmThenGcFreesWhatOnlyThatPackageUsed) {
  std::string id = add(tree_.path(), "hello", "1.0");
  CommandResult rm = sheaf({"pkg", "rm", "hello"});
  ASSERT_EQ(rm.exit_code, 0);
  EXPECT_EQ(last_line(rm.out), id);
  EXPECT_TRUE(sheaf({"pkg", "ls"}).out.empty());
  CommandResult gc = sheaf({"store", "gc"});
  ASSERT_EQ(gc.exit_code, 0);
  EXPECT_TRUE(contains(gc.out, "removed 2 objects and 2 blobs")) << gc.out;
  EXPECT_EQ(sheaf({"store", "verify"}).exit_code, 0);
}

TEST_F(Cli, DuShowsSharedFilesStoredOnce) {
  TempDir second;
  make_dirs(second / "usr/bin");
  write_file(second / "usr/bin/hello", "#!/bin/sh\necho hello\n", 0755);
  add(tree_.path(), "hello", "1.0");
  add(second.path(), "hello-copy", "1.0");
  CommandResult r = sheaf({"store", "du", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "\"logical_bytes\": 48")) << r.out;  // 6 + 21 + 21
  EXPECT_TRUE(contains(r.out, "\"object_bytes\": 27")) << r.out;   // 6 + 21
  EXPECT_TRUE(contains(sheaf({"store", "du"}).out, "dedup ratio:  1.78"));
}

TEST_F(Cli, FindsTheStoreThroughTheEnvironment) {
  TempDir home;
  CommandResult via_sheaf_store =
      run_command({testing::sheaf_binary(), "pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0"},
                  {.env = {{"SHEAF_STORE", (home / "explicit").string()}}});
  ASSERT_EQ(via_sheaf_store.exit_code, 0) << via_sheaf_store.err;
  EXPECT_TRUE(fs::exists(home / "explicit/format"));

  CommandResult via_xdg = run_command({testing::sheaf_binary(), "pkg", "ls"},
                                      {.env = {{"SHEAF_STORE", ""}, {"XDG_DATA_HOME", (home / "xdg").string()}}});
  ASSERT_EQ(via_xdg.exit_code, 0) << via_xdg.err;
  EXPECT_TRUE(fs::exists(home / "xdg/sheaf/format"));

  CommandResult via_home =
      run_command({testing::sheaf_binary(), "pkg", "ls"},
                  {.env = {{"SHEAF_STORE", ""}, {"XDG_DATA_HOME", ""}, {"HOME", (home / "h").string()}}});
  ASSERT_EQ(via_home.exit_code, 0) << via_home.err;
  EXPECT_TRUE(fs::exists(home / "h/.local/share/sheaf/format"));
}

TEST_F(Cli, RefusesAStoreFromANewerSheaf) {
  add(tree_.path(), "hello", "1.0");
  write_file(fs::path(store()) / "format", "sheaf-store 2\n");
  CommandResult r = sheaf({"pkg", "ls"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "has format 2, but this sheaf understands only up to format 1")) << r.err;
}

TEST_F(Cli, RefusesAFifoASocketAndADeviceLeavingTheStoreUnchanged) {
  add(tree_.path(), "hello", "1.0");
  auto objects_before = sheaf({"store", "du", "--json"}).out;

  TempDir fifo_tree;
  ASSERT_EQ(::mkfifo((fifo_tree / "queue").c_str(), 0644), 0);
  CommandResult fifo = sheaf({"pkg", "add", fifo_tree.path().string(), "--name", "bad", "--version", "1"});
  EXPECT_EQ(fifo.exit_code, 3);
  EXPECT_TRUE(contains(fifo.err, "'queue' is a fifo")) << fifo.err;

  TempDir socket_tree;
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = (socket_tree / "s").string();
  std::copy(path.begin(), path.end(), address.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
  CommandResult socket = sheaf({"pkg", "add", socket_tree.path().string(), "--name", "bad", "--version", "1"});
  EXPECT_EQ(socket.exit_code, 3);
  EXPECT_TRUE(contains(socket.err, "'s' is a socket")) << socket.err;

  TempDir device_tree;
  if (::mknod((device_tree / "zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0) {
    CommandResult device = sheaf({"pkg", "add", device_tree.path().string(), "--name", "bad", "--version", "1"});
    EXPECT_EQ(device.exit_code, 3);
    EXPECT_TRUE(contains(device.err, "'zero' is a character device")) << device.err;
  }
  EXPECT_EQ(sheaf({"store", "du", "--json"}).out, objects_before);
  EXPECT_TRUE(fs::is_empty(fs::path(store()) / "tmp"));
}

// Runs as an unprivileged user: as root, drop to nobody; otherwise the whole
// suite already proves it.
class CliWithoutRoot : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "not root: every other test already runs unprivileged";
    for (const auto& dir : {dir_.path(), tree_.path()}) {
      ::chmod(dir.c_str(), 0777);
      for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_directory()) ::chmod(e.path().c_str(), 0777);
      }
    }
  }
  testing::CommandOptions as_nobody() const { return {.uid = 65534, .gid = 65534}; }
};

TEST_F(CliWithoutRoot, EveryCommandWorksWithoutRoot) {
  CommandResult add = sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0"}, as_nobody());
  ASSERT_EQ(add.exit_code, 0) << add.err;
  for (std::vector<std::string> args : {std::vector<std::string>{"pkg", "ls"},
                                        {"pkg", "show", "hello"},
                                        {"pkg", "files", "hello"},
                                        {"store", "verify"},
                                        {"store", "du"},
                                        {"pkg", "rm", "hello"},
                                        {"store", "gc"}}) {
    CommandResult r = sheaf(args, as_nobody());
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << ": " << r.err;
  }
}

TEST_F(CliWithoutRoot, AnUnreadableFileIsRefusedAndNothingIsAdded) {
  write_file(tree_ / "usr/bin/secret", "root only", 0600);
  CommandResult r = sheaf({"pkg", "add", tree_.path().string(), "--name", "hello", "--version", "1.0"}, as_nobody());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "cannot read 'usr/bin/secret': Permission denied")) << r.err;
  EXPECT_TRUE(sheaf({"pkg", "ls"}, as_nobody()).out.empty());
  EXPECT_TRUE(fs::is_empty(fs::path(store()) / "tmp"));
}

TEST_F(Cli, AddingALargeFileDoesNotRaisePeakMemory) {
  // A 512 MiB file streams through a 1 MiB buffer; reading it whole would
  // show in the child's peak RSS. Compared with adding a small file, so that
  // the sanitizers' own memory (which grows with the binary) cancels out;
  // the allowance stays far below the file's size.
  TempDir small, big;
  write_file(small / "blob", "x");
  {
    std::ofstream out(big / "blob", std::ios::binary);
    out.seekp((512ll << 20) - 1);
    out.put('x');
  }
  CommandResult base = sheaf({"pkg", "add", small.path().string(), "--name", "small", "--version", "1"});
  ASSERT_EQ(base.exit_code, 0) << base.err;
  CommandResult r = sheaf({"pkg", "add", big.path().string(), "--name", "big", "--version", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.max_rss_kib, base.max_rss_kib + 96 * 1024)
      << "peak RSS " << r.max_rss_kib << " KiB, against " << base.max_rss_kib << " KiB for a one-byte file";
}

TEST_F(Cli, ConcurrentWritersAndGcKeepTheStoreConsistent) {
  std::vector<TempDir> trees(4);
  for (std::size_t i = 0; i < trees.size(); ++i) {
    make_dirs(trees[i] / "data");
    for (int f = 0; f < 40; ++f) {
      // Half the files are shared by every tree, half are unique.
      std::string content =
          f % 2 == 0 ? "shared " + std::to_string(f) : "tree " + std::to_string(i) + " " + std::to_string(f);
      write_file(trees[i] / ("data/f" + std::to_string(f)), std::string(20000, 'x') + content);
    }
  }
  add(tree_.path(), "victim", "1.0");
  ASSERT_EQ(sheaf({"pkg", "rm", "victim"}).exit_code, 0);

  std::vector<std::thread> threads;
  std::vector<CommandResult> results(trees.size() * 2);
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      const TempDir& t = trees[i % trees.size()];
      results[i] = sheaf(
          {"pkg", "add", t.path().string(), "--name", "pkg" + std::to_string(i % trees.size()), "--version", "1.0"});
    });
  }
  threads.emplace_back([&] {
    for (int k = 0; k < 5; ++k) EXPECT_EQ(sheaf({"store", "gc"}).exit_code, 0);
  });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(sheaf({"pkg", "ls"}).out).size(), trees.size());
  CommandResult verify = sheaf({"store", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

}  // namespace
}  // namespace sheaf
