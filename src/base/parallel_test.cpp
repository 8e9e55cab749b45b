#include "base/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace sheaf {
namespace {

TEST(ParallelFor, VisitsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> seen(1000);
  parallel_for(seen.size(), 4, [&](std::size_t i) { seen[i].fetch_add(1); });
  for (const auto& count : seen) EXPECT_EQ(count.load(), 1);
}

TEST(ParallelFor, RethrowsTheFirstErrorAndStopsEarly) {
  std::atomic<int> calls{0};
  EXPECT_THROW(parallel_for(100000, 2,
                            [&](std::size_t i) {
                              ++calls;
                              if (i == 10) throw std::runtime_error("boom");
                            }),
               std::runtime_error);
  EXPECT_LT(calls.load(), 100000);
}

TEST(ParallelFor, HandlesAnEmptyRange) {
  parallel_for(0, 8, [](std::size_t) { FAIL(); });
}

}  // namespace
}  // namespace sheaf
