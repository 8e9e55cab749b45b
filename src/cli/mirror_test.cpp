// Acceptance against the real Debian archive, through the host's apt
// configuration: sheaf's lock must be exactly the closure apt chooses for
// python3 into an empty dpkg status, and fetch must bring exactly those
// packages into the store. Labelled "mirror" in ctest; each test skips, with
// a message, when apt cannot reach its mirror.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using testing::lines_of;
using testing::run_command;
using testing::run_sheaf;

// "%2b" -> "+": apt prints URLs percent-encoded.
std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// What apt would download for python3 into an empty system: the pool file
// name -> its size, from `apt-get --print-uris` (which downloads nothing).
std::map<std::string, std::string> apt_closure(const fs::path& dir) {
  testing::write_file(dir / "empty-status", "");
  auto r = run_command({"/usr/bin/apt-get", "-o", "Dir::State::status=" + (dir / "empty-status").string(), "-o",
                        "APT::Install-Recommends=false", "-o", "Dir::Cache::archives=" + (dir / "archives").string(),
                        "--print-uris", "-qq", "install", "python3"});
  std::map<std::string, std::string> out;
  if (r.exit_code != 0) return out;
  for (const auto& line : lines_of(r.out)) {
    // 'URL' FILE SIZE MD5Sum:HEX
    auto quote_end = line.find('\'', 1);
    if (line.empty() || line[0] != '\'' || quote_end == std::string::npos) continue;
    std::string url = line.substr(1, quote_end - 1);
    auto fields = line.substr(quote_end + 2);
    auto size_start = fields.find(' ') + 1;
    out[percent_decode(url.substr(url.rfind('/') + 1))] =
        fields.substr(size_start, fields.find(' ', size_start) - size_start);
  }
  return out;
}

bool mirror_reachable() {
  auto r = run_command({"/usr/bin/apt-get", "-qq", "--print-uris", "download", "base-files"});
  if (r.exit_code != 0) return false;
  auto lines = lines_of(r.out);
  if (lines.empty()) return false;
  std::string url = lines[0].substr(1, lines[0].find('\'', 1) - 1);
  auto head = run_command({"/usr/bin/curl", "-sfI", "--max-time", "10", url});
  return head.exit_code == 0;
}

TEST(Mirror, LockMatchesAptsClosureAndFetchBringsExactlyIt) {
  if (!mirror_reachable())
    GTEST_SKIP() << "the host's apt mirror cannot be reached; skipping the mirror acceptance test";
  testing::TempDir dir;
  auto expected = apt_closure(dir.path());
  ASSERT_FALSE(expected.empty()) << "apt-get --print-uris chose nothing; are the host's apt lists current?";
  testing::write_file(dir / "sheaf.toml",
                      "[source.debian]\nsuites = [\"bookworm\", \"bookworm-updates\", \"bookworm-security\"]\n"
                      "components = [\"main\"]\n\n[packages]\ninclude = [\"python3\"]\n");
  std::string store = (dir / "store").string();
  auto r = run_sheaf(store, {"lock", "-f", (dir / "sheaf.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The pool file name -> size, from the lock.
  std::map<std::string, std::string> locked;
  std::string filename;
  for (const auto& line : lines_of(testing::read_file_bytes(dir / "sheaf.lock"))) {
    if (line.starts_with("filename = \"")) filename = line.substr(12, line.size() - 13);
    if (line.starts_with("size = ") && !filename.empty()) {
      locked[filename.substr(filename.rfind('/') + 1)] = line.substr(7);
      filename.clear();
    }
  }
  EXPECT_EQ(locked.size(), expected.size());
  EXPECT_EQ(locked, expected);

  r = run_sheaf(store, {"fetch", "-f", (dir / "sheaf.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto listed = run_sheaf(store, {"pkg", "ls"});
  EXPECT_EQ(lines_of(listed.out).size(), expected.size()) << listed.out;
  r = run_sheaf(store, {"fetch", "-f", (dir / "sheaf.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("fetched 0 of " + std::to_string(expected.size()) + " locked packages (0 B downloaded)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sheaf
