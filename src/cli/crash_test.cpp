// Kills `sheaf pkg add` with SIGKILL at many points during a large add. After
// every kill the store must verify clean, hold either the whole package or
// none of it, and accept the same add again.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using testing::last_line;
using testing::run_sheaf;

// About 48 MiB in 1,200 files of varied sizes, with a few large ones that
// stream through the store's staging files.
void make_large_tree(const fs::path& root) {
  std::mt19937 rng(7);
  for (int d = 0; d < 30; ++d) {
    fs::path dir = root / ("dir" + std::to_string(d));
    fs::create_directories(dir);
    for (int f = 0; f < 40; ++f) {
      std::size_t size = (d == 0 && f < 4) ? (6u << 20) : 4096 + rng() % 40000;
      std::string content(size, '\0');
      for (std::size_t i = 0; i < size; i += 64) content[i] = static_cast<char>(rng());
      testing::write_file(dir / ("f" + std::to_string(f)), content);
    }
  }
}

TEST(CrashSafety, SigkillAtAnyPointLeavesAConsistentStore) {
  testing::TempDir tree;
  make_large_tree(tree.path());
  std::vector<std::string> add = {"pkg", "add", tree.path().string(), "--name", "big", "--version", "1.0"};

  // The fastest of three complete adds sets the time scale for the kills: on a
  // noisy machine a slow calibration run put too many kill points after the
  // add had finished (10 of 22 in one CI run).
  std::vector<std::chrono::steady_clock::duration> durations;
  std::string expected_id;
  for (int i = 0; i < 3; ++i) {
    testing::TempDir reference;
    auto started = std::chrono::steady_clock::now();
    auto full = run_sheaf((reference / "store").string(), add);
    durations.push_back(std::chrono::steady_clock::now() - started);
    ASSERT_EQ(full.exit_code, 0) << full.err;
    expected_id = last_line(full.out);
  }
  std::sort(durations.begin(), durations.end());
  auto duration = durations[0];

  // Kill points, as fractions of a full add: a few spread over reading and
  // staging, and most over the last quarter, where one syncfs, the renames and
  // the index commit happen within some tens of milliseconds.
  std::vector<double> fractions;
  for (int i = 0; i < 6; ++i) fractions.push_back(0.75 * (i + 1) / 7);
  for (int i = 0; i < 16; ++i) fractions.push_back(0.75 + 0.35 * i / 15);
  const int kPoints = static_cast<int>(fractions.size());
  int killed_mid_add = 0;
  for (double fraction : fractions) {
    testing::TempDir dir;
    std::string store = (dir / "store").string();
    auto delay = std::chrono::duration_cast<std::chrono::microseconds>(duration * fraction);
    auto killed = run_sheaf(store, add, {.kill_after = delay});
    if (killed.signal == SIGKILL) ++killed_mid_add;

    if (fs::exists(fs::path(store) / "format")) {
      auto verify = run_sheaf(store, {"store", "verify"});
      EXPECT_EQ(verify.exit_code, 0) << "after a kill at " << delay.count() << " us:\n" << verify.out << verify.err;
      auto ls = run_sheaf(store, {"pkg", "ls"});
      EXPECT_TRUE(ls.out.empty() || ls.out.starts_with("big ")) << ls.out;
    }
    auto again = run_sheaf(store, add);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(last_line(again.out), expected_id);
    EXPECT_TRUE(fs::is_empty(fs::path(store) / "tmp")) << "staging leftovers were not cleaned up";
    auto verify = run_sheaf(store, {"store", "verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
  }
  // Most points must land inside the add, or the test proves little.
  EXPECT_GE(killed_mid_add, kPoints / 2);
}

}  // namespace
}  // namespace sheaf
