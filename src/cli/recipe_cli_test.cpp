// Recipe builds end to end (issues 23 and 24), on examples/greet: a shared
// library and a program of our own, built from tarballs in the repository
// with bookworm's build-essential from the host's mirror, then an image of
// the program that runs under sheaf run and podman; and on
// examples/gnu-hello: GNU hello from bookworm's source package, its Depends
// found from the binary's shared libraries, rebuilt by `sheaf rebuild`, with
// attestations by two keys pushed to docker-registry and counted by the
// package policy; and on examples/gohello: Go with Debian's golang-go. One
// store serves them all, so the indexes are parsed once.
//
// Reproducibility: a second copy of the recipes, in another directory and
// another store (which starts with the first one's index cache only), is
// built under the variations the sandbox does not fix by
// itself (reprotest's): the clock ten years on (libfaketime preloaded into
// every step), one CPU (taskset), the kernel's version string (setarch
// --uname-2.6), and the build directory on disorderfs, which hands out
// directory entries in a shuffled order. Each variation is checked from
// inside the build by a step of its own, so a variation that did not reach
// the build fails the test instead of passing it. Both builds must give the
// same package ids.
//
// Labelled "mirror"; skips itself when the mirror, root or a tool is missing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
using testing::run_command;
using testing::run_sheaf;
using testing::tool;

std::string skip_reason() {
  if (::geteuid() != 0) return "recipe builds and sheaf run need root";
  return testing::mirror_test_skip_reason(
      {"bwrap", "runc", "podman", "skopeo", "disorderfs", "taskset", "setarch", "umount", "docker-registry"});
}

// Replaces the first `from` in the file at `path` by `to`.
void edit(const fs::path& path, const std::string& from, const std::string& to) {
  std::string text = read_file_bytes(path);
  auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << path << " has no " << from;
  text.replace(at, from.size(), to);
  testing::write_file(path, text);
}

// disorderfs over `real` at `mount` for the life of the object.
class Disorderfs {
 public:
  Disorderfs(const fs::path& real, const fs::path& mount) : mount_(mount) {
    fs::create_directories(real);
    fs::create_directories(mount);
    CommandResult r = run_command({tool("disorderfs"), "--shuffle-dirents=yes", "--multi-user=yes", real.string(),
                                   mount.string()});
    mounted_ = r.exit_code == 0;
    error_ = r.err;
  }
  ~Disorderfs() {
    if (mounted_) run_command({tool("umount"), mount_.string()});
  }
  Disorderfs(const Disorderfs&) = delete;
  Disorderfs& operator=(const Disorderfs&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  fs::path mount_;
  bool mounted_ = false;
  std::string error_;
};

std::string id_of(const std::string& store, const fs::path& recipe, const std::vector<std::string>& wrapper = {},
                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = wrapper;
  argv.insert(argv.end(), {testing::sheaf_binary(), "--store", store, "recipe", "build", recipe.string()});
  argv.insert(argv.end(), extra.begin(), extra.end());
  CommandResult r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return last_line(r.out);
}

TEST(RecipeBuild, TheExamplesBuildRunAndRebuildToTheSameIds) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  testing::TempDir dir;
  fs::copy(fs::path(SHEAF_SOURCE_DIR) / "examples/greet", dir / "a", fs::copy_options::recursive);
  // The committed locks may name versions the mirror has since dropped.
  for (const char* lock : {"a/sheaf.lock", "a/greet/greet.lock", "a/libgreet/libgreet.lock"}) fs::remove(dir / lock);
  fs::copy(dir / "a", dir / "b", fs::copy_options::recursive);
  std::string store_a = (dir / "store-a").string();

  // The image: both recipes built, then composed like any other.
  CommandResult r = run_sheaf(store_a, {"build", "-f", (dir / "a/sheaf.toml").string(), "-o", (dir / "oci").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "libgreet1: step 1/2: make")) << r.err;
  EXPECT_TRUE(contains(r.err, "built greet 1.0-1+local1")) << r.err;
  EXPECT_TRUE(contains(r.err, "libgreet1: composing the build environment (")) << r.err;
  std::string lock = read_file_bytes(dir / "a/sheaf.lock");
  EXPECT_TRUE(contains(lock, "version = 5\n")) << lock;
  EXPECT_TRUE(contains(lock, "recipe = \"greet/greet.toml\"\n")) << lock;

  r = run_sheaf(store_a, {"run", "greet", "world"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello, world!\n");
  std::string name = "localhost/sheaf-test-greet:latest";
  r = run_command({tool("skopeo"), "copy", "oci:" + (dir / "oci").string() + ":latest", "containers-storage:" + name});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> podman = testing::podman_run(name, {"--network", "none"});
  podman.push_back("podman");
  r = run_command(podman);
  run_command(testing::podman({"rmi", "-f", name}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello, podman!\n");

  // The SBOM names each output's recipe and sources.
  r = run_sheaf(store_a, {"sbom", "greet", "--format", "cyclonedx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "greet-1.0.tar.gz sha256:7b2d08bf1a831da3197713657f05f5f6b0515177b6c06eba5acf6aab60bda456"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "libgreet-1.0.tar.gz sha256:ac550dd3")) << r.out;

  // Unchanged, nothing is built again.
  r = run_sheaf(store_a, {"build", "-f", (dir / "a/sheaf.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.err, "step 1/2")) << r.err;
  EXPECT_TRUE(contains(r.err, "greet 1.0-1+local1: built before with the same inputs")) << r.err;
  std::string lib_a = id_of(store_a, dir / "a/libgreet/libgreet.toml");
  std::string greet_a = id_of(store_a, dir / "a/greet/greet.toml");
  ASSERT_TRUE(lib_a.starts_with("sha256:")) << lib_a;

  // Copy b: another directory and store, under every variation at once.
  std::string multiarch = last_line(run_command({"/usr/bin/gcc", "-print-multiarch"}).out);
  for (const char* recipe : {"b/libgreet/libgreet.toml", "b/greet/greet.toml"}) {
    edit(dir / recipe, "[build]\nsteps = [\n",
         "[build]\nenv = { LD_PRELOAD = \"/usr/lib/" + multiarch +
             "/faketime/libfaketime.so.1\", FAKETIME = \"+3650d\" }\nsteps = [\n"
             "  \"test $(date +%Y) -ge 2035\",\n"
             "  \"test $(nproc) = 1\",\n"
             "  \"uname -r | grep -q '^2\\\\.6'\",\n"
             "  \"grep ' /build/src ' /proc/self/mountinfo | grep -q fuse.disorderfs\",\n");
  }
  edit(dir / "b/libgreet/libgreet.toml", "[[sources]]", "[environment]\ninclude = [\"libfaketime\"]\n\n[[sources]]");
  edit(dir / "b/greet/greet.toml", "[environment]\n", "[environment]\ninclude = [\"libfaketime\"]\n");
  Disorderfs shuffled(dir / "build-real", dir / "build-shuffled");
  ASSERT_TRUE(shuffled.mounted()) << shuffled.error();
  // Store B starts with store A's repository cache (the indexes and their
  // parsed form; no packages), so that the indexes are not downloaded and
  // parsed again on one CPU. Its packages are fetched, imported and built
  // in store B.
  std::string store_b = (dir / "store-b").string();
  ASSERT_EQ(run_sheaf(store_b, {"pkg", "ls"}).exit_code, 0);
  for (const char* part : {"release", "index", "solv"}) {
    fs::create_directories(dir / "store-b/cache/apt" / part);
    fs::copy(dir / "store-a/cache/apt" / part, dir / "store-b/cache/apt" / part,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  utsname host{};
  ::uname(&host);
  std::vector<std::string> wrapper{tool("taskset"), "-c", "0", tool("setarch"), host.machine, "--uname-2.6"};
  std::vector<std::string> extra{"--build-dir", (dir / "build-shuffled").string()};
  std::string lib_b = id_of(store_b, dir / "b/libgreet/libgreet.toml", wrapper, extra);
  std::string greet_b = id_of(store_b, dir / "b/greet/greet.toml", wrapper, extra);
  EXPECT_EQ(lib_b, lib_a);
  EXPECT_EQ(greet_b, greet_a);

  // Bad input, through the command, on store A's environment (the lock is
  // copied, so nothing is resolved or fetched). Each is refused, naming the
  // problem, and adds no package.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length);
  std::string port = std::to_string(ntohs(addr.sin_port));
  std::string packages = run_sheaf(store_a, {"pkg", "ls"}).out;
  std::string environment;  // the manifest digest of libgreet's environment
  struct Case {
    std::string name, from, to, expect;
  };
  std::vector<Case> cases{
      {"sha", "sha256 = \"ac55", "sha256 = \"bc55",
       "has the sha256 sha256:ac550dd3edd82bd4c0c1abe53de59347bbfb53f9f74a27d65d2369b6fae1caeb, not the "
       "sha256:bc55"},
      {"network", "\"make\",",
       "\"perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => q(127.0.0.1:" + port +
           "), Timeout => 5) or die qq(connect: $!)'\",",
       "the build has no network"},
      {"outside", "\"make\",", "\"touch /usr/sheaf-escape\",", "Read-only file system"},
      {"timeout", "steps = [", "timeout = 2\nsteps = [\"sleep 30\", ", "time limit of 2 s ran out"},
      {"fifo", "\"make install PREFIX=/usr\",", "\"mkdir -p $DESTDIR/run && mkfifo $DESTDIR/run/pipe\",",
       "'run/pipe' is a fifo"},
      {"device", "\"make install PREFIX=/usr\",", "\"mknod $DESTDIR/null c 1 3\",", "step 2 of 2"},
      {"symlink", "\"make install PREFIX=/usr\",",
       "\"mkdir -p $DESTDIR/usr && ln -s ../../../../etc/shadow $DESTDIR/usr/shadow\",", "usr/shadow"},
      {"typo", "[build]\n", "[build]\ntimout = 5\n", ":1: unknown key 'timout' in [build]; did you mean 'timeout'?"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path bad = dir / ("bad-" + c.name);
    fs::create_directories(bad);
    for (const char* file : {"libgreet.toml", "libgreet.lock", "libgreet-1.0.tar.gz"}) {
      fs::copy(dir / "a/libgreet" / file, bad / file);
    }
    edit(bad / "libgreet.toml", c.from, c.to);
    r = run_sheaf(store_a, {"recipe", "build", "--locked", (bad / "libgreet.toml").string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(contains(r.err, c.expect)) << r.err;
    if (c.name == "sha" || c.name == "typo") {
      EXPECT_FALSE(contains(r.err, "step 1")) << "refused before the build";
    }
    if (c.name == "network") {
      // Other steps and sources, the same environment: composed once, by
      // the first build.
      const std::string before = "libgreet1: the build environment composed before (";
      auto at = r.err.find(before);
      ASSERT_NE(at, std::string::npos) << r.err;
      environment = r.err.substr(at + before.size(), 71);
    }
  }
  ::close(listener);
  EXPECT_EQ(run_sheaf(store_a, {"pkg", "ls"}).out, packages);
  EXPECT_FALSE(fs::exists("/usr/sheaf-escape"));

  // Once `image rm` takes the environment's image away, gc drops its record
  // and the next build composes it again.
  ASSERT_TRUE(environment.starts_with("sha256:")) << environment;
  ASSERT_EQ(run_sheaf(store_a, {"image", "rm", environment}).exit_code, 0);
  r = run_sheaf(store_a, {"store", "gc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "removed 1 record(s) of composed build environments whose image is gone")) << r.out;
  r = run_sheaf(store_a, {"recipe", "build", "--locked", "--rebuild", (dir / "a/libgreet/libgreet.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "libgreet1: composing the build environment (")) << r.err;
  EXPECT_EQ(last_line(r.out), lib_a);

  // GNU hello from bookworm's source package (examples/gnu-hello), in store
  // A: the same environment as libgreet's, so it is not composed again.
  SCOPED_TRACE("gnu-hello");
  fs::copy(fs::path(SHEAF_SOURCE_DIR) / "examples/gnu-hello", dir / "hello", fs::copy_options::recursive);
  for (const char* stale : {"hello/sheaf.lock", "hello/hello/hello.lock"}) fs::remove(dir / stale);
  r = run_sheaf(store_a, {"build", "-f", (dir / "hello/sheaf.toml").string(), "-o", (dir / "hello-oci").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "hello: unpacking the source package hello 2.10-3")) << r.err;
  EXPECT_TRUE(contains(r.err, "hello: depends on libc6 (>= ")) << r.err;
  std::string hello_lock = read_file_bytes(dir / "hello/hello/hello.lock");
  EXPECT_TRUE(contains(hello_lock, "version = 6\n")) << hello_lock;
  EXPECT_TRUE(contains(hello_lock,
                       "[[source]]\nname = \"hello\"\nversion = \"2.10-3\"\nsuite = \"bookworm\"\n"
                       "directory = \"pool/main/h/hello\"\n"))
      << hello_lock;
  // The image's lock holds what the built binary links to, and nothing else.
  std::string image_lock = read_file_bytes(dir / "hello/sheaf.lock");
  EXPECT_TRUE(contains(image_lock, "name = \"libc6\"\n")) << image_lock;
  r = run_sheaf(store_a, {"run", "gnu-hello"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello, world!\n");
  name = "localhost/sheaf-test-gnu-hello:latest";
  r = run_command(
      {tool("skopeo"), "copy", "oci:" + (dir / "hello-oci").string() + ":latest", "containers-storage:" + name});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  podman = testing::podman_run(name, {"--network", "none"});
  podman.insert(podman.end(), {"--greeting", "Hello, podman!"});
  r = run_command(podman);
  run_command(testing::podman({"rmi", "-f", name}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello, podman!\n");

  // Bad input: a version the suites lack, a .dsc pin that does not hold, and
  // a lock whose file sha256 the mirror's bytes do not match. Each is
  // refused, naming the problem, and adds no package.
  packages = run_sheaf(store_a, {"pkg", "ls"}).out;
  struct SourceCase {
    std::string name, file, from, to, expect;
  };
  std::vector<SourceCase> source_cases{
      {"version", "hello.toml", "version = \"2.10-3\"", "version = \"2.10-99\"",
       "the source package hello 2.10-99 (" /* the recipe's line */},
      {"pin", "hello.toml", "version = \"2.10-3\"\n",
       "version = \"2.10-3\"\nsha256 = \"" + std::string(64, 'a') + "\"\n",
       "pins the .dsc's sha256 sha256:" + std::string(64, 'a') + ", but the suite's Sources index has sha256:"},
      {"tampered", "hello.lock", "sha256 = \"31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b\"",
       "sha256 = \"" + std::string(64, 'b') + "\"", "does not match the lock"},
  };
  for (const auto& c : source_cases) {
    SCOPED_TRACE(c.name);
    fs::path bad = dir / ("bad-hello-" + c.name);
    fs::copy(dir / "hello/hello", bad, fs::copy_options::recursive);
    edit(bad / c.file, c.from, c.to);
    std::vector<std::string> args{"recipe", "build", (bad / "hello.toml").string()};
    if (c.name == "tampered") args.push_back("--rebuild");
    r = run_sheaf(store_a, args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(contains(r.err, c.expect)) << r.err;
    EXPECT_FALSE(contains(r.err, "step 1/3")) << "refused before the build";
  }
  EXPECT_EQ(run_sheaf(store_a, {"pkg", "ls"}).out, packages);

  // sheaf rebuild: hello again, from the record its build kept (the recipe,
  // the source package's files, the provenance naming the environment).
  r = run_sheaf(store_a, {"rebuild", "hello"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "rebuilt hello 2.10-3+sheaf1: the same package")) << r.err;
  json shown = json::parse(run_sheaf(store_a, {"pkg", "show", "hello", "--json"}).out);
  ASSERT_EQ(shown["provenance"].size(), 1u) << shown.dump();
  EXPECT_GT(shown["provenance"][0]["inputs"].get<int>(), 100);  // the recipe, the source's files, the environment

  std::vector<std::string> keys, key_ids;
  for (const char* key_name : {"rebuilder-a", "rebuilder-b", "rebuilder-c"}) {
    keys.push_back((dir / key_name).string());
    r = run_sheaf(store_a, {"key", "generate", "--no-passphrase", "-o", keys.back()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    key_ids.push_back(last_line(r.out));
  }
  // Two recipes of the same environment as libgreet's (its lock serves
  // them): one writes a fixed file, one the time in nanoseconds. The first
  // signs its provenance.
  fs::path tiny = dir / "tiny";
  fs::create_directories(tiny);
  for (const char* tiny_name : {"stamp", "clock"}) {
    std::string step = std::string(tiny_name) == "stamp" ? "echo fixed" : "date +%s%N";
    testing::write_file(tiny / (std::string(tiny_name) + ".toml"),
                        "[package]\nname = \"" + std::string(tiny_name) +
                            "\"\nversion = \"1\"\n\n[source.debian]\nsuites = [\"bookworm\"]\n\n[build]\n"
                            "source_date_epoch = 0\nsteps = [\"mkdir -p $DESTDIR/usr/share/stamp && " +
                            step + " > $DESTDIR/usr/share/stamp/when\"]\n");
    fs::copy_file(dir / "a/libgreet/libgreet.lock", tiny / (std::string(tiny_name) + ".lock"));
    std::vector<std::string> flags{"--locked"};
    if (std::string(tiny_name) == "stamp") flags.insert(flags.end(), {"--provenance-key", keys[0] + ".key"});
    ASSERT_TRUE(id_of(store_a, tiny / (std::string(tiny_name) + ".toml"), {}, flags).starts_with("sha256:"));
  }
  shown = json::parse(run_sheaf(store_a, {"pkg", "show", "stamp", "--json"}).out);
  ASSERT_EQ(shown["provenance"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["provenance"][0]["signed_by"], key_ids[0]) << shown.dump();
  shown = json::parse(run_sheaf(store_a, {"pkg", "show", "clock", "--json"}).out);
  EXPECT_FALSE(shown["provenance"][0].contains("signed_by")) << shown.dump();
  r = run_sheaf(store_a, {"rebuild", "clock"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err,
                       "the build is not reproducible. What differs:\n  - /usr/share/stamp/when: the content "
                       "differs (sha256:"))
      << r.err;
  EXPECT_TRUE(json::parse(run_sheaf(store_a, {"pkg", "show", "clock", "--json"}).out)["rebuilds"].empty());

  // Two rebuilders attest the stamp package; a registry carries their
  // attestations with it; the package policy counts them.
  for (std::size_t k = 0; k < 2; ++k) {
    r = run_sheaf(store_a, {"rebuild", "stamp", "--attest", "--key", keys[k] + ".key"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  shown = json::parse(run_sheaf(store_a, {"pkg", "show", "stamp", "--json"}).out);
  EXPECT_EQ(shown["rebuilds"].size(), 2u) << shown.dump();
  testing::TestRegistry registry(dir / "registry");
  r = run_sheaf(store_a, {"pkg", "push", "stamp", registry.ref("team/stamp:1"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Two attestations and the provenance statement, as referrers.
  EXPECT_EQ(json::parse(r.out)["signatures"], 3) << r.out;
  fs::path app = dir / "stamp-app";
  fs::create_directories(app);
  testing::write_file(app / "sheaf.toml",
                      "[image]\nname = \"stamp-app\"\n\n[source.debian]\nsuites = "
                      "[\"bookworm\"]\n\n[packages]\ninclude = [\"" +
                          registry.ref("team/stamp:1") + "\"]\n");
  auto policy = [&](const std::string& file_name, const std::string& rebuilds) {
    fs::path file = dir / file_name;
    testing::write_file(file, "[[scope]]\nprefix = \"" + registry.host() +
                                  "/team\"\nkeys = []\nrebuilders = [\"rebuilder-a.pub\", \"rebuilder-b.pub\", "
                                  "\"rebuilder-c.pub\"]\nrebuilds = " +
                                  rebuilds + "\n");
    return file.string();
  };
  // A store that has never seen the package (it starts with store A's
  // repository cache only): the attestations come with the pull.
  std::string store_c = (dir / "store-c").string();
  ASSERT_EQ(run_sheaf(store_c, {"pkg", "ls"}).exit_code, 0);
  for (const char* part : {"release", "index", "solv"}) {
    fs::create_directories(dir / "store-c/cache/apt" / part);
    fs::copy(dir / "store-a/cache/apt" / part, dir / "store-c/cache/apt" / part,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  r = run_sheaf(store_c, {"build", "-f", (app / "sheaf.toml").string(), "--package-policy", policy("two.toml", "2")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  shown = json::parse(run_sheaf(store_c, {"pkg", "show", "stamp", "--json"}).out);
  EXPECT_EQ(shown["rebuilds"].size(), 2u) << shown.dump();  // pulled with the package
  r = run_sheaf(store_c, {"build", "-f", (app / "sheaf.toml").string(), "--package-policy", policy("three.toml", "3")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "it needs equal rebuilds attested by all of ")) << r.err;
  EXPECT_TRUE(contains(r.err, "missing: " + keys[2] + ".pub (sheaf rebuild --attest)")) << r.err;

  // examples/gohello, in store A (whose repository cache is parsed
  // already): a Go program built with Debian's golang-go, offline (the
  // sandbox has no network), static, run under sheaf run and rebuilt equal.
  SCOPED_TRACE("gohello");
  fs::copy(fs::path(SHEAF_SOURCE_DIR) / "examples/gohello", dir / "go", fs::copy_options::recursive);
  for (const char* stale : {"go/sheaf.lock", "go/gohello/gohello.lock"}) fs::remove(dir / stale);
  r = run_sheaf(store_a, {"build", "-f", (dir / "go/sheaf.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "built gohello 1.0-1")) << r.err;
  EXPECT_FALSE(contains(r.err, "gohello: depends on")) << "a static binary needs no library";
  r = run_sheaf(store_a, {"run", "gohello", "sheaf"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Hello, sheaf! (built with go1.")) << r.out;
  r = run_sheaf(store_a, {"rebuild", "gohello"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "rebuilt gohello 1.0-1: the same package")) << r.err;
}

}  // namespace
}  // namespace sheaf
