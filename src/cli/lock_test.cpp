// End-to-end tests of `sheaf lock` and `sheaf fetch` against real signed apt
// repositories (dpkg-deb, apt-ftparchive, gpg), served from disk and by an
// HTTP server on 127.0.0.1, including broken and hostile ones.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::contains;
using testing::lines_of;
using testing::read_file_bytes;
using testing::run_sheaf;
using testing::write_file;

class LockTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new testing::TempDir;
    key_ = new testing::GpgKey(shared_->path() / "key");
  }
  static void TearDownTestSuite() {
    delete key_;
    delete shared_;
  }

  // A repository of this test's own, so that tests may damage it:
  //   stable:  libc 1.0, libbar 1.0 (Depends: libc), app 1.0 (Depends: libbar, libc (>= 1.0))
  //   updates: empty until a test adds to it
  void SetUp() override {
    repo_ = std::make_unique<testing::AptRepo>(dir_ / "repo");
    repo_->add("stable", "libc", "1.0");
    repo_->add("stable", "libbar", "1.0", "Depends: libc\n");
    repo_->add("stable", "app", "1.0", "Depends: libbar, libc (>= 1.0)\n");
    publish();
    store_ = (dir_ / "store").string();
    write_spec(repo_->file_url(), "\"app\"");
  }

  void publish(const testing::PublishOptions& options = {}) {
    testing::PublishOptions with_key = options;
    if (!with_key.key) with_key.key = key_;
    repo_->publish("stable", with_key);
    repo_->publish("updates", with_key);
  }

  void write_spec(const std::string& mirror, const std::string& include, const std::string& extra = "") {
    mirror_ = mirror;
    write_file(spec(), "[source.debian]\nsuites = [\"stable\", \"updates\"]\narch = \"amd64\"\nmirror = \"" + mirror +
                           "\"\nkeyring = \"" + key_->keyring().string() + "\"\n" + extra +
                           "\n[packages]\ninclude = [" + include + "]\n");
  }

  fs::path spec() const { return dir_ / "sheaf.toml"; }
  fs::path lock() const { return dir_ / "sheaf.lock"; }

  CommandResult sheaf(std::vector<std::string> args, const testing::CommandOptions& options = {}) {
    return run_sheaf(store_, args, options);
  }
  CommandResult lock_cmd(std::vector<std::string> extra = {}, const testing::CommandOptions& options = {}) {
    std::vector<std::string> args{"lock", "-f", spec().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return sheaf(args, options);
  }
  CommandResult fetch_cmd(const testing::CommandOptions& options = {}) {
    return sheaf({"fetch", "-f", spec().string()}, options);
  }
  std::vector<std::string> packages() {
    auto r = sheaf({"pkg", "ls"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return lines_of(r.out);
  }
  std::string lock_bytes() const { return fs::exists(lock()) ? read_file_bytes(lock()) : std::string("<none>"); }

  // Runs a command that must fail with `message`, and checks that neither the
  // lock nor the store's packages changed.
  void expect_refused(const std::function<CommandResult()>& command, std::string_view message) {
    std::string lock_before = lock_bytes();
    auto packages_before = packages();
    CommandResult r = command();
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, message)) << "expected '" << message << "' in:\n" << r.err;
    EXPECT_EQ(lock_bytes(), lock_before) << "the lock changed";
    EXPECT_EQ(packages(), packages_before) << "the store changed";
  }

  static testing::TempDir* shared_;
  static testing::GpgKey* key_;
  testing::TempDir dir_;
  std::unique_ptr<testing::AptRepo> repo_;
  std::string store_;
  std::string mirror_;
};
testing::TempDir* LockTest::shared_ = nullptr;
testing::GpgKey* LockTest::key_ = nullptr;

TEST_F(LockTest, LockWritesTheClosureAndFetchImportsIt) {
  CommandResult r = lock_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"+ app 1.0", "+ libbar 1.0", "+ libc 1.0"}));
  EXPECT_TRUE(contains(r.err, "wrote " + lock().string() + ": 3 packages from 2 suites"));
  std::string text = lock_bytes();
  EXPECT_TRUE(contains(text,
                       "name = \"libbar\"\nversion = \"1.0\"\narch = \"amd64\"\nsource = \"libbar\"\nsuite = "
                       "\"stable\"\nfilename = \"pool/stable/main/libbar_1.0_amd64.deb\"\nsha256 = \"" +
                           testing::sha256_hex_of_file(dir_ / "repo/pool/stable/main/libbar_1.0_amd64.deb") + "\""))
      << text;
  EXPECT_TRUE(contains(text, "[[release]]\nsuite = \"stable\"\nfile = \"InRelease\"\nsha256 = \"" +
                                 testing::sha256_hex_of_file(dir_ / "repo/dists/stable/InRelease") + "\""));
  EXPECT_FALSE(contains(text, mirror_)) << "the lock names no mirror";

  r = lock_cmd({"--check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  r = fetch_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "fetched 3 of 3 locked packages")) << r.err;
  auto listed = packages();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_TRUE(listed[0].starts_with("app ") && contains(listed[0], " 1.0 ") && contains(listed[1], "libbar"))
      << listed[0];

  r = fetch_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "fetched 0 of 3 locked packages (0 B downloaded)")) << r.err;
  EXPECT_TRUE(contains(r.err, "3 already in the store")) << r.err;
}

TEST_F(LockTest, OverHttpASecondLockOrFetchMakesNoRequestAtAll) {
  testing::HttpServer server(dir_ / "repo");
  write_spec(server.url(), "\"app\"");
  ASSERT_EQ(lock_cmd().exit_code, 0);
  CommandResult r = fetch_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.downloads_of(".deb"), 3u);
  EXPECT_EQ(packages().size(), 3u);
  std::size_t requests = server.requests().size();
  r = lock_cmd();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "is up to date (3 packages)")) << r.err;
  r = fetch_cmd();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.requests().size(), requests) << "the second lock and fetch went to the network";
}

TEST_F(LockTest, APackageImportedByHandCountsAsFetched) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  auto r = sheaf({"pkg", "import", (dir_ / "repo/pool/stable/main/libc_1.0_amd64.deb").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = fetch_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "fetched 2 of 3 locked packages")) << r.err;
  EXPECT_TRUE(contains(r.err, "1 already in the store")) << r.err;
}

TEST_F(LockTest, UpdateMovesOnlyWhatItIsAskedTo) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  repo_->add("updates", "libc", "1.1");
  repo_->add("updates", "libbar", "1.1", "Depends: libc\n");
  publish();
  CommandResult r = lock_cmd();
  EXPECT_TRUE(contains(r.err, "is up to date")) << r.err;
  EXPECT_TRUE(contains(lock_bytes(), "version = \"1.0\"\narch = \"amd64\"\nsource = \"libbar\""));

  r = lock_cmd({"--update", "libbar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out), std::vector<std::string>{"~ libbar 1.0 -> 1.1"});
  r = lock_cmd({"--update"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out), std::vector<std::string>{"~ libc 1.0 -> 1.1"});
  r = lock_cmd({"--update", "nosuch"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "'nosuch' is not in")) << r.err;
}

TEST_F(LockTest, ASpecChangeIsCaughtByCheckAndResolvedKeepingOldVersions) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  repo_->add("updates", "libc", "1.1");
  repo_->add("stable", "tool", "1.0", "Depends: libc\n");
  publish();
  write_spec(mirror_, "\"app\", \"tool\"");
  std::string before = lock_bytes();
  CommandResult r = lock_cmd({"--check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "no longer satisfies")) << r.out;
  EXPECT_TRUE(contains(r.out, "  - include gained 'tool'")) << r.out;
  EXPECT_EQ(lock_bytes(), before);
  r = fetch_cmd();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "run 'sheaf lock'")) << r.err;

  r = lock_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // tool is added; libc stays at the locked 1.0 although 1.1 exists.
  EXPECT_EQ(lines_of(r.out), std::vector<std::string>{"+ tool 1.0"});
  EXPECT_EQ(lock_cmd({"--check"}).exit_code, 0);
}

TEST_F(LockTest, GcPrunesIndexesNoReleaseListsAnyMore) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  CommandResult r = sheaf({"store", "gc"});
  EXPECT_TRUE(contains(r.out, "removed 0 cached repository files")) << r.out;
  repo_->add("stable", "tool", "1.0");
  publish();
  ASSERT_EQ(lock_cmd({"--update"}).exit_code, 0);
  r = sheaf({"store", "gc", "--dry-run"});
  EXPECT_TRUE(contains(r.out, "would remove 2 cached repository files"))
      << r.out;  // stable's old index and its parsed form
  r = sheaf({"store", "gc"});
  EXPECT_TRUE(contains(r.out, "removed 2 cached repository files")) << r.out;
  r = lock_cmd({"--update"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "2 repository files downloaded")) << r.err;  // the two InRelease files, no index
}

TEST_F(LockTest, TheSameInputsGiveTheSameLockBytes) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  std::string first = lock_bytes();
  fs::remove(lock());
  fs::remove_all(dir_ / "store");  // a cold cache
  ASSERT_EQ(lock_cmd().exit_code, 0);
  EXPECT_EQ(lock_bytes(), first);
  fs::remove(lock());  // a warm cache
  ASSERT_EQ(lock_cmd().exit_code, 0);
  EXPECT_EQ(lock_bytes(), first);
}

TEST_F(LockTest, PackagesGzIsPreferredAndGivesTheSameLock) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  std::string from_xz = lock_bytes();
  testing::HttpServer server(dir_ / "repo");
  publish({.compressions = {"gz", "xz"}});
  write_spec(server.url(), "\"app\"");
  ASSERT_EQ(lock_cmd({"--update"}).exit_code, 0);
  EXPECT_EQ(server.downloads_of("/dists/stable/main/binary-amd64/Packages.gz"), 1u);
  EXPECT_EQ(server.downloads_of("/dists/stable/main/binary-amd64/Packages.xz"), 0u);
  // The packages are the same; only the Release digests differ.
  auto packages_of = [](const std::string& lock) { return lock.substr(lock.find("[[package]]")); };
  EXPECT_EQ(packages_of(lock_bytes()), packages_of(from_xz));
}

TEST_F(LockTest, DetachedSignaturesWork) {
  publish({.signature = testing::Signature::detached});
  CommandResult r = lock_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(lock_bytes(), "file = \"Release\""));
}

// ---- Bad input: each is refused by name, and nothing changes. -------------

TEST_F(LockTest, ATamperedPackagesIndexIsRefused) {
  auto index = dir_ / "repo/dists/stable/main/binary-amd64/Packages.xz";
  std::string bytes = read_file_bytes(index);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  write_file(index, bytes);
  expect_refused([&] { return lock_cmd(); },
                 "dists/stable/main/binary-amd64/Packages.xz does not match the sha256 in InRelease");
}

TEST_F(LockTest, APackagesIndexOfTheWrongSizeIsRefused) {
  auto index = dir_ / "repo/dists/stable/main/binary-amd64/Packages.xz";
  write_file(index, read_file_bytes(index) + "x");
  expect_refused([&] { return lock_cmd(); }, "more than the");
}

TEST_F(LockTest, ATamperedDebIsRefusedAndNothingIsImported) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  auto deb = dir_ / "repo/pool/stable/main/libbar_1.0_amd64.deb";
  std::string bytes = read_file_bytes(deb);
  bytes[bytes.size() - 10] = static_cast<char>(bytes[bytes.size() - 10] ^ 1);
  write_file(deb, bytes);
  expect_refused([&] { return fetch_cmd(); }, "but the lock says sha256:");
  EXPECT_TRUE(packages().empty());
}

TEST_F(LockTest, OfSeveralBadDebsTheFirstInLockOrderIsNamed) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  for (const char* name : {"app_1.0_amd64.deb", "libc_1.0_amd64.deb"}) {
    auto deb = dir_ / "repo/pool/stable/main" / name;
    std::string bytes = read_file_bytes(deb);
    bytes[bytes.size() - 10] = static_cast<char>(bytes[bytes.size() - 10] ^ 1);
    write_file(deb, bytes);
  }
  for (int i = 0; i < 3; ++i) {
    CommandResult r = fetch_cmd();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_TRUE(contains(r.err, "while fetching app 1.0")) << r.err;
    EXPECT_TRUE(contains(r.err, "and 1 more of the 3 downloads failed")) << r.err;
  }
  EXPECT_TRUE(packages().empty());
}

TEST_F(LockTest, ADebOfTheWrongSizeIsRefused) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  auto deb = dir_ / "repo/pool/stable/main/libc_1.0_amd64.deb";
  std::string bytes = read_file_bytes(deb);
  write_file(deb, bytes.substr(0, bytes.size() - 100));
  expect_refused([&] { return fetch_cmd(); }, "bytes, but the lock says");
}

TEST_F(LockTest, ABadSignatureIsRefused) {
  auto in_release = dir_ / "repo/dists/stable/InRelease";
  std::string bytes = read_file_bytes(in_release);
  bytes.replace(bytes.find("Suite: stable"), 13, "Suite: stabl3");
  write_file(in_release, bytes);
  expect_refused([&] { return lock_cmd(); }, "InRelease failed verification: its signature is BAD");
}

TEST_F(LockTest, AMissingSignatureIsRefusedUnlessAllowedLoudly) {
  publish({.signature = testing::Signature::none});
  expect_refused([&] { return lock_cmd(); },
                 "dists/stable/Release failed verification: it is not signed (there is no Release.gpg)");
  CommandResult r = lock_cmd({"--allow-unsigned"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "WARNING: USING AN UNVERIFIED REPOSITORY because of --allow-unsigned")) << r.err;
}

TEST_F(LockTest, AKeyNotInTheKeyringIsRefused) {
  testing::GpgKey stranger(dir_ / "stranger", "a stranger");
  publish({.key = &stranger});
  expect_refused([&] { return lock_cmd(); }, "which is not in the keyring");
}

TEST_F(LockTest, AnExpiredReleaseIsRefused) {
  publish({.valid_until = "Thu, 01 Jan 2015 00:00:00 UTC"});
  expect_refused([&] { return lock_cmd(); }, "dists/stable/InRelease expired on 2015-01-01 00:00:00 UTC (Valid-Until)");
}

TEST_F(LockTest, AMirrorThatIsDownIsReported) {
  write_spec("http://127.0.0.1:1", "\"app\"");
  expect_refused([&] { return lock_cmd(); }, "cannot download http://127.0.0.1:1/dists/stable/InRelease");
}

TEST_F(LockTest, AnHtmlPageInsteadOfTheRepositoryIsReported) {
  testing::HttpServer server(dir_ / "repo");
  write_spec(server.url() + "/html", "\"app\"");
  expect_refused([&] { return lock_cmd(); }, "/html/dists/stable/InRelease answered with an HTML page");
}

TEST_F(LockTest, AMirrorThatDropsDebsAfterLockingIsExplained) {
  ASSERT_EQ(lock_cmd().exit_code, 0);
  fs::remove(dir_ / "repo/pool/stable/main/libc_1.0_amd64.deb");
  expect_refused([&] { return fetch_cmd(); }, "libc_1.0_amd64.deb (HTTP 404)");
}

TEST_F(LockTest, AnUnknownPackageGetsADidYouMean) {
  write_spec(mirror_, "\"libbaz\"");
  expect_refused([&] { return lock_cmd(); }, "no package 'libbaz' is available; did you mean 'libbar'?");
}

TEST_F(LockTest, AnUnavailablePinIsExplained) {
  write_spec(mirror_, "\"app\", \"libc=2.0\"");
  expect_refused([&] { return lock_cmd(); }, "'libc' is pinned to 2.0, but only 1.0 is available");
}

TEST_F(LockTest, ConflictingPinsAreASpecErrorWithAPosition) {
  write_spec(mirror_, "\"libc=1.0\", \"libc=1.1\"");
  CommandResult r = lock_cmd();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, spec().string() + ":8:24: 'libc=1.1' conflicts with 'libc=1.0' at line 8")) << r.err;
  EXPECT_FALSE(fs::exists(lock()));
}

TEST_F(LockTest, AMalformedLockIsReportedWithItsPosition) {
  write_file(lock(), "version = 1\narch = 3\n");
  CommandResult r = lock_cmd();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, lock().string() + ":2:8: arch must be a string")) << r.err;
}

// ---- Networks: resume, proxy, credentials, host sources. ------------------

TEST_F(LockTest, AFetchResumesATransferThatBroke) {
  testing::HttpServer server(dir_ / "repo");
  write_spec(server.url(), "\"app\"");
  ASSERT_EQ(lock_cmd().exit_code, 0);
  write_spec(server.url() + "/drop-once", "\"app\"");
  CommandResult r = fetch_cmd();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(packages().size(), 3u);
  std::size_t dropped = 0, resumed = 0;
  for (const auto& line : server.requests()) {
    if (line.starts_with("GET dropped /drop-once/pool/")) ++dropped;
    if (line.starts_with("GET 206 /drop-once/pool/") && contains(line, "bytes=")) ++resumed;
  }
  EXPECT_EQ(dropped, 3u);
  EXPECT_EQ(resumed, 3u);
}

// Host apt configuration through the real apt-config: APT_CONFIG moves
// Dir::Etc to a directory of the test's own.
class HostAptTest : public LockTest {
 protected:
  testing::CommandOptions apt_config(const std::string& sources, const std::string& conf = "",
                                     const std::string& auth = "") {
    auto etc = dir_ / "etc";
    testing::make_dirs(etc / "sources.list.d");
    testing::make_dirs(etc / "auth.conf.d");
    write_file(etc / "sources.list.d" / "test.sources", sources);
    if (!auth.empty()) write_file(etc / "auth.conf.d" / "test.conf", auth);
    write_file(dir_ / "apt.conf", "Dir::Etc \"" + etc.string() + "\";\n" + conf);
    return {.env = {{"APT_CONFIG", (dir_ / "apt.conf").string()}}};
  }
  void write_spec_without_mirror(const std::string& include) {
    write_file(spec(),
               "[source.debian]\nsuites = [\"stable\", \"updates\"]\narch = \"amd64\"\n\n[packages]\ninclude = [" +
                   include + "]\n");
  }
};

TEST_F(HostAptTest, SuitesComeFromTheHostsSourcesWhenTheSpecNamesNoMirror) {
  testing::HttpServer server(dir_ / "repo");
  // Each suite from its own URI: stable over file://, updates over HTTP.
  auto env = apt_config("Types: deb\nURIs: " + repo_->file_url() + "\nSuites: stable\nComponents: main\nSigned-By: " +
                        key_->keyring().string() + "\n\nTypes: deb\nURIs: " + server.url() +
                        "\nSuites: updates\nComponents: main\nSigned-By: " + key_->keyring().string() + "\n");
  write_spec_without_mirror("\"app\"");
  CommandResult r = lock_cmd({}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.downloads_of("/dists/updates/InRelease"), 1u);
  EXPECT_EQ(server.downloads_of("/dists/stable/InRelease"), 0u);
  r = fetch_cmd(env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(packages().size(), 3u);
}

TEST_F(HostAptTest, ASuiteNoHostSourceServesIsExplained) {
  auto env = apt_config("Types: deb\nURIs: " + repo_->file_url() + "\nSuites: stable\nComponents: main\n");
  write_spec_without_mirror("\"app\"");
  expect_refused([&] { return lock_cmd({}, env); },
                 "no host apt source serves suite 'updates' with components main for amd64");
}

TEST_F(HostAptTest, TheHostsProxyIsUsed) {
  testing::HttpServer proxy(dir_ / "repo");
  // Nothing listens at 127.0.0.2:9; only the proxy can answer.
  auto env = apt_config("Types: deb\nURIs: http://127.0.0.2:9\nSuites: stable updates\nComponents: main\nSigned-By: " +
                            key_->keyring().string() + "\n",
                        "Acquire::http::Proxy \"" + proxy.url() + "\";\n");
  write_spec_without_mirror("\"app\"");
  CommandResult r = lock_cmd({}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool proxied = false;
  for (const auto& line : proxy.requests()) proxied |= contains(line, "http://127.0.0.2:9/dists/stable/InRelease");
  EXPECT_TRUE(proxied);
}

TEST_F(HostAptTest, AuthConfCredentialsAreSent) {
  testing::HttpServer server(dir_ / "repo");
  std::string sources = "Types: deb\nURIs: " + server.url() +
                        "/auth\nSuites: stable updates\nComponents: main\nSigned-By: " + key_->keyring().string() +
                        "\n";
  write_spec_without_mirror("\"app\"");
  auto without = apt_config(sources);
  expect_refused([&] { return lock_cmd({}, without); }, "answered HTTP 401");
  std::string host = server.url().substr(7);  // 127.0.0.1:PORT
  auto with = apt_config(sources, "", "machine " + host + "/auth login sheaf password secret\n");
  CommandResult r = lock_cmd({}, with);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace sheaf
