// Acceptance of sheaf's images by the ecosystem's own tools: skopeo, umoci,
// runc, podman, docker-registry, the signature and SBOM checkers, on the
// examples built from bookworm through the host's apt configuration (the
// fixture: oci_tools_fixture.hpp; `sheaf run` on them: sheaf_run_tools_test.cpp).
// Labelled "mirror" in ctest; each test skips, with a message, when the
// mirror or a tool is missing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/digest.hpp"
#include "cli/oci_tools_fixture.hpp"
#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/oci_tools.hpp"
#include "testing/registry.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using cli_tests::OciToolsTest;
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

// Issue 26's acceptance: examples/multiarch-python, python3 for amd64 and
// arm64 from one spec and one lock.
TEST_F(OciToolsTest, TheMultiArchitectureIndexRunsOnBothPlatforms) {
  const std::string index = digests_["multiarch-python"];
  CommandResult raw = run_command({tool("skopeo"), "inspect", "--raw", "oci:" + layout("multiarch-python").string() + ":latest"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json doc = json::parse(raw.out);
  EXPECT_EQ(doc["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(doc["manifests"].size(), 2u);
  EXPECT_EQ(doc["manifests"][0]["platform"], json({{"architecture", "amd64"}, {"os", "linux"}}));
  EXPECT_EQ(doc["manifests"][1]["platform"], json({{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}}));
  EXPECT_EQ(Digest::of(raw.out).str(), index);

  // podman takes the amd64 image from the index.
  std::string name = "localhost/sheaf-test-multiarch:latest";
  CommandResult copied = run_command(
      {tool("skopeo"), "copy", "oci:" + layout("multiarch-python").string() + ":latest", "containers-storage:" + name});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  loaded_.push_back(name);
  CommandResult podman_amd = run_command(podman_run(name, {"--network", "none", "--arch", "amd64"}));
  EXPECT_EQ(podman_amd.exit_code, 0) << podman_amd.err;
  EXPECT_EQ(podman_amd.out, "hello from sheaf on x86_64\n");

  // The arm64 image's python3 is an aarch64 ELF (e_machine 183), and runs
  // under qemu-user: through sheaf run, and over the exported root.
  fs::path root = dir_->path() / "multiarch-arm64";
  CommandResult exported = run_sheaf(store(), {"image", "export", index, "--platform", "linux/arm64", "--rootfs", root.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  fs::path python = root / "usr/bin" / fs::read_symlink(root / "usr/bin/python3");
  std::string header = read_file_bytes(python).substr(0, 20);
  ASSERT_EQ(header.substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(header[4], 2);  // ELFCLASS64
  EXPECT_EQ(static_cast<unsigned char>(header[18]) | (static_cast<unsigned char>(header[19]) << 8), 183);  // EM_AARCH64
  if (tool("qemu-aarch64-static").empty()) GTEST_SKIP() << "qemu-user-static is not installed";
  CommandResult emulated = run_sheaf(store(), {"run", "--platform", "linux/arm64", "hello-multiarch"});
  EXPECT_EQ(emulated.exit_code, 0) << emulated.err;
  EXPECT_EQ(emulated.out, "hello from sheaf on aarch64\n");
  CommandResult native = run_sheaf(store(), {"run", "hello-multiarch"});
  EXPECT_EQ(native.out, "hello from sheaf on x86_64\n") << native.err;
  CommandResult qemu = run_command({tool("qemu-aarch64-static"), "-L", root.string(), python.string(), "-c",
                                    "import platform; print('hello from sheaf on', platform.machine())"});
  EXPECT_EQ(qemu.exit_code, 0) << qemu.err;
  EXPECT_EQ(qemu.out, "hello from sheaf on aarch64\n");
}

TEST_F(OciToolsTest, PodmanLoadsTheDockerArchive) {
  fs::path archive = dir_->path() / "busybox.tar";
  fs::path spec = fs::path(store()).parent_path() / "busybox/sheaf.toml";
  CommandResult r = run_sheaf(store(), {"build", "-f", spec.string(), "--locked", "--tag", "sheaf-test-archive:v1",
                                        "--docker-archive", archive.string()});
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

TEST_F(OciToolsTest, ImageExportWritesWhatUmociUnpacks) {
  fs::path bundle = dir_->path() / "bundle-nginx";
  CommandResult r =
      run_command({tool("umoci"), "unpack", "--image", layout("nginx").string() + ":latest", bundle.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path rootfs = dir_->path() / "rootfs-nginx";
  r = run_sheaf(store(), {"image", "export", "hello-nginx", "--rootfs", rootfs.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command({tool("diff"), "-r", "--no-dereference", rootfs.string(), (bundle / "rootfs").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Modes and owners too (diff compares contents and link targets only).
  for (const char* path : {"var/lib/nginx", "usr/sbin/nginx", "tmp", "etc/passwd"}) {
    struct stat a {
    }, b{};
    ASSERT_EQ(::lstat((rootfs / path).c_str(), &a), 0) << path;
    ASSERT_EQ(::lstat((bundle / "rootfs" / path).c_str(), &b), 0) << path;
    EXPECT_EQ(a.st_mode, b.st_mode) << path;
    EXPECT_EQ(a.st_uid, b.st_uid) << path;
  }
  r = run_sheaf(store(), {"image", "export", "hello-nginx", "--rootfs", rootfs.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(contains(r.err, "is not an empty directory")) << r.err;
}

// Issue 19's acceptance: the python3 image through docker-registry on
// loopback, to skopeo and podman and back into an empty store.
TEST_F(OciToolsTest, ThePython3ImageGoesThroughARegistryToPodmanAndBackIntoAnEmptyStore) {
  if (!fs::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  testing::TestRegistry registry(dir_->path() / "registry");
  const std::string python = digests_["python3"];
  const std::string ref = registry.ref("sheaf/python:1");
  CommandResult pushed = run_sheaf(store(), {"push", python, ref, "--sbom", "--json"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  CommandResult inspect = run_command({tool("skopeo"), "inspect", "--tls-verify=false", ref});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(json::parse(inspect.out)["Digest"], python);

  // podman pulls what sheaf pushed, and runs it.
  CommandResult pulled = run_command(podman({"pull", "--tls-verify=false", ref.substr(std::string("docker://").size())}));
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  std::string podman_name = registry.host() + "/sheaf/python:1";
  loaded_.push_back(podman_name);
  CommandResult ran = run_command(podman_run(podman_name, {"--network", "none"}));
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "hello from sheaf\n");

  // nginx second: only its own packages go up.
  CommandResult nginx = run_sheaf(store(), {"push", digests_["nginx"], registry.ref("sheaf/nginx:1"), "--json"});
  ASSERT_EQ(nginx.exit_code, 0) << nginx.err;
  json n = json::parse(nginx.out);
  EXPECT_GT(n["mounted"].get<int>(), 0);
  std::cerr << "nginx after python3: " << n["uploaded"] << " blobs uploaded (" << n["bytes_uploaded"] << " bytes), "
            << n["mounted"] << " mounted\n";

  // An empty store pulls it back as a set of packages.
  std::string empty = (dir_->path() / "pulled-store").string();
  CommandResult pull = run_sheaf(empty, {"pull", ref});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(last_line(pull.out), python);
  std::string local = registry.host();
  local.replace(local.find(':'), 1, "_");
  local += "/sheaf/python:1";
  CommandResult run = run_sheaf(empty, {"run", local});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "hello from sheaf\n");
  CommandResult which = run_sheaf(empty, {"which", "libssl3"});
  EXPECT_TRUE(contains(which.out, local)) << which.out;
  CommandResult show = run_sheaf(empty, {"image", "show", local});
  EXPECT_TRUE(contains(show.out, "python3.11")) << show.out;
  CommandResult update = run_sheaf(empty, {"image", "update", local, "--set", "libssl3=3.0.20-1~deb12u2"});
  EXPECT_EQ(update.exit_code, 0) << update.err;
  // The same update on the store that built the image gives the same image.
  CommandResult here = run_sheaf(store(), {"image", "update", python, "--set", "libssl3=3.0.20-1~deb12u2", "--tag",
                                           "python-updated-here"});
  EXPECT_EQ(last_line(here.out), last_line(update.out)) << here.err;
}

// Issue 21's acceptance: the python3 image signed with sheaf sign and pushed;
// skopeo copy and podman pull, under a policy.json that requires the key,
// accept it, and refuse it once one bit of the signature's payload is
// flipped (the other tamperings: src/cli/signing_test.cpp). The signature
// leaves the image's digest as it was.
TEST_F(OciToolsTest, ThePython3ImageSignedBySheafIsAcceptedBySkopeoAndPodmanUnderThePolicy) {
  if (!fs::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  const fs::path dir = dir_->path() / "signed";
  testing::TestRegistry registry(dir / "registry");
  testing::GpgKey key(dir / "key", "python3 signer");
  const std::string python = digests_["python3"];
  const std::string ref = registry.ref("signed/python:1");
  const fs::path lookaside = dir / "lookaside";
  const fs::path home = dir / "home";  // podman reads registries.d from $HOME/.config/containers
  const fs::path registries_d = home / ".config/containers/registries.d";
  testing::make_dirs(registries_d);
  testing::write_file(registries_d / "loopback.yaml", "docker:\n  " + registry.host() + ":\n    lookaside: file://" +
                                                          lookaside.string() + "\n");
  const fs::path policy = dir / "policy.json";
  testing::write_file(policy, json{{"default", {{{"type", "reject"}}}},
                                   {"transports",
                                    {{"docker",
                                      {{registry.host(),
                                        {{{"type", "signedBy"}, {"keyType", "GPGKeys"}, {"keyPath", key.keyring().string()}}}}}}}}}
                                  .dump());
  CommandResult sign = run_sheaf(store(), {"sign", python, "--identity", ref, "--sign-by", key.fingerprint()},
                                 {.env = {{"GNUPGHOME", key.home().string()}}});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  CommandResult pushed = run_sheaf(store(), {"push", python, ref, "--registries.d", registries_d.string()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(last_line(pushed.out), python);
  CommandResult inspect = run_command({tool("skopeo"), "inspect", "--tls-verify=false", ref});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(json::parse(inspect.out)["Digest"], python);

  auto skopeo = [&](const std::string& out) {
    return run_command({tool("skopeo"), "--policy", policy.string(), "--registries.d", registries_d.string(), "copy",
                        "--src-tls-verify=false", "--remove-signatures", ref, "oci:" + (dir / out).string() + ":x"});
  };
  auto podman_pull = [&](const std::string& root) {
    return run_command(podman({"--root", (dir / root).string(), "--runroot", (dir / (root + "-run")).string(), "pull",
                               "--tls-verify=false", "--signature-policy", policy.string(), ref}),
                       {.env = {{"HOME", home.string()}}});
  };
  CommandResult copied = skopeo("accepted");
  EXPECT_EQ(copied.exit_code, 0) << copied.err;
  CommandResult pulled = podman_pull("podman-accepted");
  EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
  run_command(podman({"--root", (dir / "podman-accepted").string(), "--runroot", (dir / "podman-accepted-run").string(),
                      "rmi", "-a", "-f"}));

  // One bit of the payload flipped.
  const fs::path signature = lookaside / ("signed/python@sha256=" + python.substr(7)) / "signature-1";
  std::string bytes = testing::read_file_bytes(signature);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  testing::write_file(signature, bytes);
  EXPECT_NE(skopeo("refused").exit_code, 0);
  CommandResult refused = podman_pull("podman-refused");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "ignature")) << refused.err;
  CommandResult sheaf_refused = run_sheaf((dir / "sheaf-store").string(),
                                          {"pull", ref, "--policy", policy.string(), "--registries.d", registries_d.string()});
  EXPECT_EQ(sheaf_refused.exit_code, 3);
  EXPECT_TRUE(contains(sheaf_refused.err, "the signature is BAD")) << sheaf_refused.err;
}

// Issue 22's acceptance: the python3 image signed with a key of sheaf key
// generate (a sigstore signature) and pushed; sheaf verify, sheaf pull under
// a sigstoreSigned policy, and the independent checker
// (src/testing/cosign_check.py) accept it, and all three refuse it after each
// tampering of its .sig manifest (a bit of the payload, a bit of the
// signature, a replay onto another tag's digest; the rest:
// src/cli/sigstore_test.cpp).
TEST_F(OciToolsTest, ThePython3ImageWithASigstoreSignatureIsAcceptedByThreeVerifiersAndRefusedAfterTampering) {
  if (!fs::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  if (run_command({"/usr/bin/python3", "-c", "import nacl.secret, cryptography"}).exit_code != 0) {
    GTEST_SKIP() << "python3-nacl or python3-cryptography is missing (tools/dev deps)";
  }
  const fs::path dir = dir_->path() / "sigstore";
  testing::make_dirs(dir);
  testing::TestRegistry registry(dir / "registry");
  const std::string checker = std::string(SHEAF_SOURCE_DIR) + "/src/testing/cosign_check.py";
  const std::string python = digests_["python3"];
  const fs::path key = dir / "cosign";
  testing::write_file(dir / "pass", "python3 signer\n");
  CommandResult made = run_sheaf(store(), {"key", "generate", "-o", key.string(), "--passphrase-file", (dir / "pass").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const fs::path policy = dir / "policy.json";
  testing::write_file(policy, json{{"default", {{{"type", "reject"}}}},
                                   {"transports",
                                    {{"docker",
                                      {{registry.host(), {{{"type", "sigstoreSigned"}, {"keyPath", key.string() + ".pub"}}}}}}}}}
                                  .dump());
  const fs::path registries_d = dir / "registries.d";  // no lookaside: only the .sig tag
  testing::make_dirs(registries_d);

  // Three verdicts on REPO:1, which must name `digest`.
  auto verdicts = [&](const std::string& repo, const std::string& digest, const std::string& scratch) {
    const std::string ref = registry.ref(repo + ":1");
    CommandResult verify = run_sheaf((dir / scratch).string(),
                                     {"verify", ref, "--key", key.string() + ".pub", "--registries.d", registries_d.string()});
    CommandResult pull = run_sheaf((dir / scratch).string(),
                                   {"pull", ref, "--policy", policy.string(), "--registries.d", registries_d.string()});
    CommandResult check = run_command({"/usr/bin/python3", checker, "verify", "--registry", registry.host(), "--repository",
                                       repo, "--digest", digest, "--key", key.string() + ".pub", "--identity",
                                       registry.host() + "/" + repo + ":1"});
    return std::vector<int>{verify.exit_code, pull.exit_code, check.exit_code};
  };
  auto sign_and_push = [&](const std::string& repo) {
    const std::string ref = registry.ref(repo + ":1");
    CommandResult sign = run_sheaf(store(), {"sign", python, "--identity", ref, "--key", key.string() + ".key",
                                             "--passphrase-file", (dir / "pass").string()});
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
    CommandResult pushed = run_sheaf(store(), {"push", python, ref, "--registries.d", registries_d.string()});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    EXPECT_EQ(last_line(pushed.out), python);  // the signature leaves the digest alone
    EXPECT_TRUE(contains(pushed.err, "holds 1 sigstore signatures")) << pushed.err;
  };
  sign_and_push("signed/python");
  EXPECT_EQ(verdicts("signed/python", python, "accepted"), (std::vector<int>{0, 0, 0}));
  // The pulled image keeps its signature, and sheaf run would check it.
  CommandResult kept = run_sheaf((dir / "accepted").string(), {"verify", "127.0.0.1_" + registry.host().substr(10) +
                                                                             "/signed/python:1", "--policy", policy.string()});
  EXPECT_EQ(kept.exit_code, 0) << kept.out << kept.err;

  for (const std::string how : {"payload-bit", "signature-bit"}) {
    SCOPED_TRACE(how);
    sign_and_push("t/" + how);
    CommandResult tampered = run_command({"/usr/bin/python3", checker, "tamper", "--registry", registry.host(),
                                          "--repository", "t/" + how, "--digest", python, "--how", how});
    ASSERT_EQ(tampered.exit_code, 0) << tampered.err;
    EXPECT_EQ(verdicts("t/" + how, python, how), (std::vector<int>{3, 3, 1}));
  }
  // A replay: python3's signature laid beside nginx pushed under the same tag.
  sign_and_push("t/replay");
  const std::string nginx = digests_["nginx"];
  ASSERT_EQ(run_sheaf(store(), {"push", nginx, registry.ref("t/replay:1")}).exit_code, 0);
  ASSERT_EQ(run_command({"/usr/bin/python3", checker, "tamper", "--registry", registry.host(), "--repository", "t/replay",
                         "--digest", python, "--how", "copy", "--to-digest", nginx})
                .exit_code,
            0);
  EXPECT_EQ(verdicts("t/replay", nginx, "replay"), (std::vector<int>{3, 3, 1}));
}

// Issue 20's acceptance: a package made from a directory, pushed to a
// registry, included by reference in another, empty store's spec beside
// Debian's busybox-static, and run. Its layer is the artifact's blob.
TEST_F(OciToolsTest, ARegistryPackageJoinsABusyboxImageInAnEmptyStoreAndRuns) {
  if (!fs::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  if (::geteuid() != 0) GTEST_SKIP() << "sheaf run needs root";
  testing::TestRegistry registry(dir_->path() / "registry-hello");
  fs::path tree = dir_->path() / "hello-tree";
  fs::create_directories(tree / "usr/bin");
  testing::write_file(tree / "usr/bin/hello-mylib", "#!/usr/bin/busybox sh\necho \"hello from $(busybox basename $0)\"\n",
                      0755);
  std::string publisher = (dir_->path() / "publisher").string();
  CommandResult added = run_sheaf(publisher, {"pkg", "add", tree.string(), "--name", "hello-mylib", "--version", "1.0",
                                              "--depends", "busybox-static", "--owner", "0:0"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string ref = registry.ref("team/hello-mylib:1.0");
  CommandResult pushed = run_sheaf(publisher, {"pkg", "push", "hello-mylib", ref, "--json"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  const std::string layer = json::parse(pushed.out)["layer"];

  // The busybox spec, as the fixture locked it, with the package added.
  fs::path project = dir_->path() / "hello-project";
  fs::create_directories(project);
  fs::path busybox = fs::path(store()).parent_path() / "busybox";
  std::string spec = read_file_bytes(busybox / "sheaf.toml");
  spec.replace(spec.find("include = [\"busybox-static\"]"), 28, "include = [\"busybox-static\", \"" + ref + "\"]");
  spec.replace(spec.find("name = \"hello-busybox\""), 22, "name = \"hello-mylib\"");
  testing::write_file(project / "sheaf.toml", spec);
  fs::copy_file(busybox / "sheaf.lock", project / "sheaf.lock");
  std::string empty = (dir_->path() / "empty-store").string();
  CommandResult built = run_sheaf(empty, {"build", "-f", (project / "sheaf.toml").string()});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(contains(built.err, "+ hello-mylib 1.0")) << built.err;
  EXPECT_TRUE(contains(read_file_bytes(project / "sheaf.lock"), "registry = \"" + ref + "\"\n"));
  CommandResult shown = run_sheaf(empty, {"image", "show", "hello-mylib", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  bool found = false;
  const json show = json::parse(shown.out);  // held: a range-for over a temporary's member would dangle
  for (const auto& l : show["layers"]) {
    if (l["packages"][0]["name"] == "hello-mylib") {
      found = true;
      EXPECT_EQ(l["digest"], layer);
      EXPECT_EQ(l["packages"][0]["source"], ref);
    }
  }
  EXPECT_TRUE(found) << shown.out;
  // The entrypoint is busybox: its sh runs the script.
  CommandResult ran = run_sheaf(empty, {"run", "hello-mylib", "--", "sh", "/usr/bin/hello-mylib"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "hello from hello-mylib\n");
}

// Issue 8's acceptance: libssl3 swapped for bookworm's main-suite version.
TEST_F(OciToolsTest, UpdatingLibssl3ChangesOneLayerAndMatchesAFreshBuild) {
  const std::string original = digests_["python3"];
  const std::string version = "3.0.20-1~deb12u2";
  CommandResult r = run_sheaf(store(), {"image", "update", original, "--set", "libssl3=" + version});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string updated = last_line(r.out);
  json before = json::parse(run_sheaf(store(), {"image", "show", "--json", original}).out);
  json after = json::parse(run_sheaf(store(), {"image", "show", "--json", updated}).out);
  std::string old_version;
  ASSERT_EQ(before["layers"].size(), after["layers"].size());
  for (std::size_t i = 0; i < before["layers"].size(); ++i) {
    const json& a = before["layers"][i];
    const json& b = after["layers"][i];
    if (a["packages"][0]["name"] == "libssl3") {
      old_version = a["packages"][0]["version"];
      EXPECT_EQ(b["packages"][0]["version"], version);
      EXPECT_EQ(a["digest"] != b["digest"], old_version != version);
    } else {
      EXPECT_EQ(a["digest"], b["digest"]) << a["packages"][0]["name"];
    }
  }
  ASSERT_FALSE(old_version.empty());
  if (old_version != version) {
    EXPECT_TRUE(contains(r.out, "libssl3: " + old_version + " -> " + version + "\n")) << r.out;
  }

  // A fresh build of include = ["python3", "libssl3=VERSION"] is the same image.
  fs::path pinned = dir_->path() / "pinned";
  fs::create_directories(pinned);
  std::string spec = read_file_bytes(fs::path(SHEAF_SOURCE_DIR) / "examples/python3/sheaf.toml");
  auto at = spec.find("include = [\"python3\"]");
  ASSERT_NE(at, std::string::npos);
  spec.replace(at, 21, "include = [\"python3\", \"libssl3=" + version + "\"]");
  testing::write_file(pinned / "sheaf.toml", spec);
  r = run_sheaf(store(), {"build", "-f", (pinned / "sheaf.toml").string(), "--tag", "sheaf-test/pinned"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), updated);

  // which sees it; and the way back gives the original digest.
  r = run_sheaf(store(), {"which", "libssl3@" + version, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> images;
  for (const auto& m : json::parse(r.out)) images.insert(m["image"]);
  EXPECT_TRUE(images.count(updated));
  r = run_sheaf(store(), {"image", "update", updated, "--set", "libssl3=" + old_version});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), original);
}

// Issue 9's acceptance: both SBOMs of the python3 image list every package
// and pass the official validators.
TEST_F(OciToolsTest, ThePython3SbomsListEveryPackageAndValidate) {
  const std::string image = digests_["python3"];
  std::set<std::string> packages;
  json python3 = manifest("python3");
  for (const auto& layer : python3["layers"]) {
    packages.insert(layer["annotations"]["dev.sheaf.package.name"].get<std::string>());
  }
  fs::path spdx = dir_->path() / "python3.spdx.json", cdx = dir_->path() / "python3.cdx.json";
  ASSERT_EQ(run_sheaf(store(), {"sbom", image, "--format", "spdx", "-o", spdx.string()}).exit_code, 0);
  ASSERT_EQ(run_sheaf(store(), {"sbom", image, "--format", "cyclonedx", "-o", cdx.string()}).exit_code, 0);
  std::set<std::string> in_spdx, in_cdx;
  json spdx_doc = json::parse(read_file_bytes(spdx)), cdx_doc = json::parse(read_file_bytes(cdx));
  for (const auto& p : spdx_doc["packages"]) in_spdx.insert(p["name"]);
  for (const auto& c : cdx_doc["components"]) in_cdx.insert(c["name"]);
  for (const auto& name : packages) {
    EXPECT_TRUE(in_spdx.count(name)) << name;
    EXPECT_TRUE(in_cdx.count(name)) << name;
  }

  const std::string tools = std::string(SHEAF_SOURCE_DIR) + "/tools/sbom/";
  CommandResult v = run_command(
      {"/usr/bin/env", "python3", tools + "validate_spdx.py", tools + "spdx-2.3.schema.json", spdx.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;

  // CycloneDX's strict validator comes from the npm registry, installed once
  // into the build tree.
  if (tool("npm").empty() || tool("node").empty()) GTEST_SKIP() << "node and npm are not installed";
  fs::path validator = fs::path(testing::sheaf_binary()).parent_path() / "cyclonedx-validator";
  CommandResult install = run_command({"/bin/bash", tools + "install_cyclonedx_validator.sh", validator.string()});
  if (install.exit_code != 0) GTEST_SKIP() << "cannot install the CycloneDX validator from npm: " << install.err;
  v = run_command({tool("node"), (validator / "validate_cyclonedx.cjs").string(), cdx.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_TRUE(contains(v.out, "valid")) << v.out;
}

}  // namespace
}  // namespace sheaf
