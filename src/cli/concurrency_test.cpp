// Many sheaf processes on one store at once (docs/formats/store.md,
// "Concurrency"): builds, fetches, image updates and gc started together
// against a signed apt repository served slowly enough by http_server.py
// that their downloads really overlap. What is asserted comes from the
// server's own log (each file sent once, transfers overlapping in time), the
// processes' exit codes and messages, the digests of what they built, and
// `store verify`.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::BackgroundCommand;
using testing::CommandResult;
using testing::contains;
using testing::HttpTransfer;
using testing::last_line;
using testing::run_sheaf;
using testing::start_sheaf;
using testing::write_file;

// Bytes that no compressor shrinks, so a package's .deb is as large as its file.
std::string noise(std::size_t size, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(random() & 0xff);
  return out;
}

// Slow enough that libc (3 s) is still on the wire when the last of four
// builds started together gets to it, even on a loaded 2-core machine.
constexpr std::uint64_t kRate = 1u << 19;  // bytes per second per response

// The four images and what they share:
//   libc (1.5 MiB):            every image
//   libssl (768 KiB, libc):    a, b, d
//   libz (512 KiB, libc):      a, c, d
//   app-X (128 KiB):           its own
const std::vector<std::string> kImages{"a", "b", "c", "d"};
const std::map<std::string, std::vector<std::string>> kDepends{
    {"a", {"libssl", "libz"}}, {"b", {"libssl"}}, {"c", {"libz"}}, {"d", {"libssl", "libz"}}};

class ConcurrencyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apt_ = new testing::SignedAptRepo;
    auto add = [](const std::string& name, const std::string& fields, std::size_t size, unsigned seed) {
      apt_->repo.add_with("stable", name, "1.0", fields,
                          [&](testing::DebTree& t) { t.file("usr/share/" + name + "/data", noise(size, seed)); });
    };
    add("libc", "", 3u << 19, 1);
    add("libssl", "Depends: libc\n", 3u << 18, 2);
    add("libz", "Depends: libc\n", 1u << 19, 3);
    unsigned seed = 10;
    for (const auto& image : kImages) {
      std::string depends;
      for (const auto& d : kDepends.at(image)) depends += (depends.empty() ? "" : ", ") + d;
      add("app-" + image, "Depends: " + depends + "\n", 1u << 17, seed++);
    }
    apt_->publish("stable");
    server_ = new testing::HttpServer(apt_->repo.root(), {.rate = kRate});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete apt_;
  }

  // Writes the spec of `image` into a project directory of its own (with no
  // lock beside it, so a build resolves it) and returns the spec's path.
  fs::path project(const std::string& label, const std::string& image) { return project(label, image, image, {}); }
  fs::path project(const std::string& label, const std::string& dir_name, const std::string& image,
                   const std::vector<std::string>& include) {
    fs::path dir = dir_ / "projects" / label / dir_name;
    fs::remove_all(dir);
    testing::make_dirs(dir);
    std::string packages;
    for (const auto& p : include.empty() ? std::vector<std::string>{"app-" + image} : include) {
      packages += (packages.empty() ? "\"" : ", \"") + p + "\"";
    }
    write_file(dir / "sheaf.toml", "[image]\nname = \"" + image +
                                       "\"\n\n[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\nmirror = \"" +
                                       server_->url() + "\"\nkeyring = \"" + apt_->key.keyring().string() +
                                       "\"\n\n[packages]\ninclude = [" + packages + "]\n");
    return dir / "sheaf.toml";
  }

  static testing::CommandOptions options() { return {.env = {{"SOURCE_DATE_EPOCH", "1700000000"}}}; }

  std::vector<std::string> build_args(const fs::path& spec) { return {"build", "-f", spec.string()}; }

  // The digest an image has when it is built alone, in a store of its own.
  std::string alone(const std::string& image, const std::vector<std::string>& include = {}) {
    std::string key = image;
    for (const auto& p : include) key += "+" + p;
    if (!reference_.contains(key)) {
      std::string store = (dir_ / ("alone-" + key)).string();
      CommandResult r = run_sheaf(store, build_args(project("alone", key, image, include)), options());
      EXPECT_EQ(r.exit_code, 0) << r.err;
      reference_[key] = last_line(r.out);
    }
    return reference_.at(key);
  }

  void expect_verified(const std::string& store) {
    CommandResult r = run_sheaf(store, {"store", "verify", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(json::parse(r.out)["damage"].empty()) << r.out;
  }

  // The server's responses since `from` (an index into transfers()).
  static std::vector<HttpTransfer> transfers_since(std::size_t from) {
    auto all = server_->transfers();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
  }

  // Each .deb and Packages index was sent at most once, in full, and nothing
  // was resumed or cut off; returns how many .debs were sent.
  static std::size_t expect_each_file_sent_once(const std::vector<HttpTransfer>& transfers) {
    std::map<std::string, int> bodies;
    for (const auto& t : transfers) {
      bool file = t.path.ends_with(".deb") || contains(t.path, "/Packages");
      if (!file) continue;
      EXPECT_TRUE(t.status == "200") << t.status << " " << t.path << " " << t.range;
      bodies[t.path] += 1;
    }
    std::size_t debs = 0;
    for (const auto& [path, n] : bodies) {
      EXPECT_EQ(n, 1) << path << " was sent " << n << " times";
      if (path.ends_with(".deb")) ++debs;
    }
    return debs;
  }

  // Two .deb transfers were on the wire at the same moment.
  static bool debs_overlap(const std::vector<HttpTransfer>& transfers) {
    for (std::size_t i = 0; i < transfers.size(); ++i) {
      for (std::size_t j = i + 1; j < transfers.size(); ++j) {
        const auto& a = transfers[i];
        const auto& b = transfers[j];
        if (!a.path.ends_with(".deb") || !b.path.ends_with(".deb")) continue;
        if (a.start < b.end && b.start < a.end) return true;
      }
    }
    return false;
  }

  static testing::SignedAptRepo* apt_;
  static testing::HttpServer* server_;
  testing::TempDir dir_;
  std::map<std::string, std::string> reference_;
};
testing::SignedAptRepo* ConcurrencyTest::apt_ = nullptr;
testing::HttpServer* ConcurrencyTest::server_ = nullptr;

TEST_F(ConcurrencyTest, FourBuildsOnOneEmptyStoreDownloadEachFileOnceAndMatchBuildsAlone) {
  for (const auto& image : kImages) ASSERT_TRUE(alone(image).starts_with("sha256:")) << image;

  // Each round starts the four builds at these offsets (milliseconds), in
  // an empty store of its own: together, one after another while the first
  // downloads run, and the other way round.
  const std::vector<std::vector<int>> rounds{{0, 0, 0, 0}, {0, 150, 300, 450}, {450, 300, 150, 0}};
  for (std::size_t round = 0; round < rounds.size(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string store = (dir_ / ("together-" + std::to_string(round))).string();
    std::size_t log_from = server_->transfers().size();
    std::vector<std::pair<int, std::string>> starts;
    for (std::size_t i = 0; i < kImages.size(); ++i) starts.push_back({rounds[round][i], kImages[i]});
    std::sort(starts.begin(), starts.end());
    std::map<std::string, std::unique_ptr<BackgroundCommand>> builds;
    auto began = std::chrono::steady_clock::now();
    for (const auto& [offset, image] : starts) {
      std::this_thread::sleep_until(began + std::chrono::milliseconds(offset));
      builds[image] = start_sheaf(store, build_args(project("round" + std::to_string(round), image)), options());
    }
    std::string messages;
    for (const auto& image : kImages) {
      CommandResult r = builds.at(image)->wait();
      EXPECT_EQ(r.exit_code, 0) << image << ":\n" << r.err;
      EXPECT_EQ(last_line(r.out), alone(image)) << image << " differs from the same spec built alone";
      messages += r.err;
    }
    auto transfers = transfers_since(log_from);
    EXPECT_EQ(expect_each_file_sent_once(transfers), 7u) << "libc, libssl, libz and four apps";
    EXPECT_TRUE(debs_overlap(transfers)) << "the builds' downloads did not overlap: the test shows nothing";
    // Someone wanted a file another was downloading, and used that download.
    EXPECT_TRUE(contains(messages, ", which is downloading lib")) << messages;
    EXPECT_TRUE(contains(messages, "more came from other sheaf processes fetching at the same time")) << messages;
    expect_verified(store);
  }
}

TEST_F(ConcurrencyTest, FetchImageUpdateAndGcMixedInWithBuilds) {
  // The store holds image a already; the round adds two builds, a fetch
  // of d's lock, an image update of a that adds app-b, and gc three times.
  // The update is the image a fresh build of its packages gives.
  const std::map<std::string, std::string> expected{
      {"build b", alone("b")}, {"build c", alone("c")}, {"update a", alone("a", {"app-a", "app-b"})}};
  std::string store = (dir_ / "store").string();
  CommandResult r = run_sheaf(store, {"build", "-f", project("first", "a").string(), "--tag", "a:1"}, options());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path d_spec = project("mixed", "d");
  r = run_sheaf((dir_ / "scratch").string(), {"lock", "-f", d_spec.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::size_t log_from = server_->transfers().size();
  std::vector<std::pair<std::string, std::unique_ptr<BackgroundCommand>>> started;
  auto start = [&](const std::string& label, const std::vector<std::string>& args) {
    started.emplace_back(label, start_sheaf(store, args, options()));
  };
  auto gc = [&] { start("gc", {"store", "gc", "--wait", "120"}); };
  start("build b", build_args(project("mixed", "b")));
  gc();
  start("build c", build_args(project("mixed", "c")));
  start("fetch d", {"fetch", "-f", d_spec.string()});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  start("update a", {"image", "update", "a:1", "--add", "app-b", "--tag", "a:2"});
  gc();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  gc();
  for (auto& [label, command] : started) {
    CommandResult result = command->wait();
    EXPECT_EQ(result.exit_code, 0) << label << ":\n" << result.err;
    if (expected.contains(label)) {
      EXPECT_EQ(last_line(result.out), expected.at(label)) << label;
    }
  }
  // app-b, app-c and app-d were new to the store; each was sent once.
  EXPECT_EQ(expect_each_file_sent_once(transfers_since(log_from)), 3u);
  expect_verified(store);
  r = run_sheaf(store, {"pkg", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t debian = 0;
  for (const auto& line : testing::lines_of(r.out)) debian += line.starts_with("sheaf-assembly ") ? 0u : 1u;
  EXPECT_EQ(debian, 7u) << r.out;
}

// The process downloading a file is killed (kill -9) while another waits
// for the same file: the waiter takes the partial file over and finishes it.
TEST_F(ConcurrencyTest, AWaiterFinishesTheDownloadOfAHolderKilledWithSigkill) {
  testing::HttpServer slow(apt_->repo.root(), {.rate = 256u << 10});  // libc takes 6 s
  std::string store = (dir_ / "store").string();
  fs::path spec_a = project("kill", "a");
  fs::path spec_b = project("kill", "b");
  for (const auto& spec : {spec_a, spec_b}) {
    std::string text = testing::read_file_bytes(spec);
    text.replace(text.find(server_->url()), server_->url().size(), slow.url());
    write_file(spec, text);
    CommandResult r = run_sheaf((dir_ / "scratch").string(), {"lock", "-f", spec.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto holder = start_sheaf(store, {"fetch", "-f", spec_a.string()}, options());
  // Once the holder has bytes of a file in partial/, the waiter starts.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  fs::path partial = fs::path(store) / "cache/apt/partial";
  auto has_bytes = [&] {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(partial, ec)) {
      if (e.path().extension() == ".deb" && e.file_size(ec) > (64u << 10)) return true;
    }
    return false;
  };
  while (!has_bytes() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(has_bytes()) << holder->err_so_far();
  auto waiter = start_sheaf(store, {"fetch", "-f", spec_b.string()}, options());
  std::string waiting = "waiting for pid " + std::to_string(holder->pid()) + ", which is downloading lib";
  while (!contains(waiter->err_so_far(), waiting) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(contains(waiter->err_so_far(), waiting)) << waiter->err_so_far();
  holder->kill(SIGKILL);
  CommandResult killed = holder->wait();
  EXPECT_EQ(killed.signal, SIGKILL);

  CommandResult r = waiter->wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "finished from where a sheaf process that died left them")) << r.err;
  // The server saw the holder's transfers cut off, then the waiter ask for
  // the rest of what it needed, and never send a whole file twice.
  std::map<std::string, std::vector<HttpTransfer>> by_path;
  for (const auto& t : slow.transfers()) {
    if (t.path.ends_with(".deb")) by_path[t.path].push_back(t);
  }
  std::size_t resumed = 0;
  for (const auto& [path, list] : by_path) {
    std::size_t whole = 0;
    for (const auto& t : list) {
      if (t.status == "206" && t.range.starts_with("bytes=") && !t.range.starts_with("bytes=0-")) ++resumed;
      if (t.status == "200") ++whole;
    }
    EXPECT_LE(whole, 1u) << path << " was sent whole twice";
  }
  EXPECT_GE(resumed, 1u) << "the waiter downloaded from the beginning what the holder had begun";
  expect_verified(store);
  r = run_sheaf(store, {"fetch", "-f", spec_a.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // the holder's own fetch, run again, finishes too
}

// A full disk in the middle of a download fails that fetch with a message
// that says so, leaves nothing a later fetch takes for a complete file, and
// the fetch run again with space free resumes what was downloaded.
TEST_F(ConcurrencyTest, AFullDiskStopsAFetchCleanlyAndALaterOneResumes) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  fs::path mnt = dir_ / "small";
  testing::make_dirs(mnt);
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16m"), 0) << std::strerror(errno);
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  std::string store = (mnt / "store").string();
  fs::path spec = project("full", "a");
  CommandResult r = run_sheaf(store, {"lock", "-f", spec.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Leave 1 MiB: less than libc's download.
  std::error_code ec;
  auto space = fs::space(mnt, ec);
  ASSERT_FALSE(ec);
  std::uint64_t fill = space.available > (1u << 20) ? space.available - (1u << 20) : 0;
  write_file(mnt / "filler", std::string(fill, 'x'));

  r = run_sheaf(store, {"fetch", "-f", spec.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "the disk holding the store is full (No space left on device)")) << r.err;
  EXPECT_TRUE(contains(r.err, "the partial download is kept and resumes")) << r.err;
  // Nothing in the store, and among the finished downloads (which later
  // fetches take without looking again) only complete ones.
  r = run_sheaf(store, {"pkg", "ls"});
  EXPECT_TRUE(r.out.empty()) << r.out;
  for (const auto& e : fs::directory_iterator(fs::path(store) / "cache/apt/debs", ec)) {
    EXPECT_EQ(testing::sha256_hex_of_file(e.path()) + ".deb", e.path().filename().string())
        << "a download the disk cut short sits among the finished ones";
  }

  fs::remove(mnt / "filler");
  std::size_t log_from = server_->transfers().size();
  r = run_sheaf(store, {"fetch", "-f", spec.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t resumed = 0;
  for (const auto& t : transfers_since(log_from)) {
    if (t.status == "206" && !t.range.starts_with("bytes=0-")) ++resumed;
  }
  EXPECT_GE(resumed, 1u) << "the second fetch started every download from the beginning";
  expect_verified(store);
}

}  // namespace
}  // namespace sheaf
