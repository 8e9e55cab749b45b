#include "deb/version.hpp"

#ifdef SHEAF_HAVE_LIBDPKG
#define LIBDPKG_VOLATILE_API 1
extern "C" {
#include <dpkg/dpkg-db.h>
#include <dpkg/version.h>
}
#endif

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "base/error.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::deb {
namespace {

int sign(int x) {
  return (x > 0) - (x < 0);
}

int compare(std::string_view a, std::string_view b) {
  auto order = Version::parse(a) <=> Version::parse(b);
  return order < 0 ? -1 : order > 0 ? 1 : 0;
}

TEST(Version, SplitsEpochUpstreamAndRevision) {
  Version v = Version::parse("2:1.2-3-4~bpo1");
  EXPECT_EQ(v.epoch(), 2u);
  EXPECT_EQ(v.upstream(), "1.2-3");
  EXPECT_EQ(v.revision(), "4~bpo1");
  EXPECT_EQ(v.str(), "2:1.2-3-4~bpo1");
  EXPECT_EQ(Version::parse("1.0").revision(), "");
}

TEST(Version, OrdersAsPolicyDescribes) {
  EXPECT_EQ(compare("1.0~rc1", "1.0"), -1);  // tilde sorts before the end
  EXPECT_EQ(compare("1.0~~", "1.0~"), -1);
  EXPECT_EQ(compare("1.0", "1.0+b1"), -1);
  EXPECT_EQ(compare("1.0a", "1.0+"), -1);  // letters before other symbols
  EXPECT_EQ(compare("1.10", "1.9"), 1);    // digit runs compare numerically
  EXPECT_EQ(compare("1.01", "1.1"), 0);    // leading zeros do not count
  EXPECT_EQ(compare("1:0.1", "2.0"), 1);   // epoch first
  EXPECT_EQ(compare("0:1.0", "1.0"), 0);
  EXPECT_EQ(compare("1.0", "1.0-0"), 0);  // an absent revision equals "0"
  EXPECT_EQ(compare("3.0.11-1~deb12u2", "3.0.20-1~deb12u2"), -1);
  EXPECT_EQ(compare("2.36-9+deb12u4", "2.36-9"), 1);
}

TEST(Version, RefusesMalformedVersions) {
  for (const char* bad : {"", "a1.0", ":1.0", "x:1.0", "1.0-", "1.0-a_b", "1 0", "1.0_1", "-1", "99999999999:1"}) {
    EXPECT_THROW(Version::parse(bad), ParseError) << bad;
    EXPECT_FALSE(Version::try_parse(bad)) << bad;
  }
}

TEST(Version, NamesTheProblemInItsError) {
  try {
    Version::parse("1.0-", "--version");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_STREQ(e.what(), "--version '1.0-': has an empty revision after '-'");
  }
}

// Versions built from the pieces where implementations go wrong: '~', '+',
// epochs, leading zeros, letters and absent or empty-looking revisions.
std::string random_version(std::mt19937& rng) {
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  auto part = [&](bool upstream) {
    static const char* const pieces[] = {"0", "00", "1", "01", "2", "9", "10",  "010", "123",   "a",  "b",      "z",
                                         "A", "rc", "~", "~~", "+", ".", "~rc", "+b1", "+dfsg", ".0", "~beta2", "Z"};
    std::string s = upstream ? std::to_string(pick(12)) : "";
    std::uint32_t count = pick(5);
    for (std::uint32_t i = 0; i < count; ++i) s += pieces[pick(std::size(pieces))];
    if (!upstream && s.empty()) s = std::to_string(pick(3));
    return s;
  };
  std::string v;
  if (pick(4) == 0) v += std::to_string(pick(3)) + ":";
  v += part(true);
  if (pick(3) != 0) {
    if (pick(4) == 0) v += "-" + part(true);  // a hyphen inside upstream
    v += "-" + part(false);
  }
  return v;
}

// dpkg's answer for one pair: -1, 0 or 1. With libdpkg (dpkg's own
// library, the code of the dpkg program), in this process; else from the
// dpkg program, one process per comparison.
#ifdef SHEAF_HAVE_LIBDPKG
int dpkg_compare(const std::string& a, const std::string& b) {
  dpkg_version va{}, vb{};
  dpkg_error error{};
  if (parseversion(&va, a.c_str(), &error) != 0 || parseversion(&vb, b.c_str(), &error) != 0) return 2;
  int order = dpkg_version_compare(&va, &vb);
  return (order > 0) - (order < 0);
}
#endif

// The dpkg program's answers for `pairs`, run from two shells side by side.
std::vector<int> dpkg_program_compare(const std::vector<std::pair<std::string, std::string>>& pairs) {
  constexpr std::size_t kShards = 2;
  std::vector<std::vector<std::string>> answers(kShards);
  testing::TempDir dir;
  std::vector<std::thread> threads;
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    std::string input;
    for (std::size_t i = shard; i < pairs.size(); i += kShards) input += pairs[i].first + " " + pairs[i].second + "\n";
    auto path = dir / ("pairs" + std::to_string(shard));
    testing::write_file(path, input);
    threads.emplace_back([&, shard, path] {
      auto result =
          testing::run_command({"/bin/sh", "-c",
                                "while read a b; do if dpkg --compare-versions \"$a\" lt \"$b\"; then echo -1; "
                                "elif dpkg --compare-versions \"$a\" eq \"$b\"; then echo 0; else echo 1; fi; done < " +
                                    path.string()});
      answers[shard] = testing::lines_of(result.out);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int> out(pairs.size(), 2);
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    for (std::size_t k = 0; k < answers[shard].size(); ++k) out[shard + k * kShards] = std::stoi(answers[shard][k]);
  }
  return out;
}

TEST(Version, AgreesWithDpkgOnTenThousandGeneratedPairs) {
  if (testing::run_command({"/usr/bin/dpkg", "--version"}).exit_code != 0) GTEST_SKIP() << "dpkg is not installed";
  std::mt19937 rng(20261124);
  std::vector<std::pair<std::string, std::string>> pairs;
  while (pairs.size() < 10000) {
    std::string a = random_version(rng);
    // A third of the pairs are near-misses of each other, where bugs hide.
    std::string b = rng() % 3 == 0 ? a + (rng() % 2 ? "~" : "0") : random_version(rng);
    if (Version::try_parse(a) && Version::try_parse(b)) pairs.emplace_back(a, b);
  }
#ifdef SHEAF_HAVE_LIBDPKG
  // Every pair against dpkg's library, and the first 500 against the dpkg
  // program too, which must agree with its library.
  std::vector<std::pair<std::string, std::string>> sample(pairs.begin(), pairs.begin() + 500);
  std::vector<int> program = dpkg_program_compare(sample);
  for (std::size_t i = 0; i < sample.size(); ++i) {
    ASSERT_EQ(dpkg_compare(sample[i].first, sample[i].second), program[i]) << sample[i].first << " vs " << sample[i].second;
  }
  for (const auto& [a, b] : pairs) ASSERT_EQ(compare(a, b), dpkg_compare(a, b)) << a << " vs " << b;
#else
  std::vector<int> program = dpkg_program_compare(pairs);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    ASSERT_EQ(compare(pairs[i].first, pairs[i].second), program[i]) << pairs[i].first << " vs " << pairs[i].second;
  }
#endif
}

TEST(VersionPart, MatchesDpkgOnEdgeCases) {
  EXPECT_EQ(sign(compare_version_part("", "")), 0);
  EXPECT_EQ(sign(compare_version_part("~", "")), -1);
  EXPECT_EQ(sign(compare_version_part("", "a")), -1);
  EXPECT_EQ(sign(compare_version_part("a", "+")), -1);
  EXPECT_EQ(sign(compare_version_part("0", "")), 0);
  EXPECT_EQ(sign(compare_version_part("1.2.3", "1.2.3.0")), -1);
}

}  // namespace
}  // namespace sheaf::deb
