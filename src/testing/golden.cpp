#include "testing/golden.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "testing/temp_dir.hpp"

namespace sheaf::testing {

void expect_golden(std::string_view relative, const std::string& actual) {
  std::filesystem::path path = std::filesystem::path(SHEAF_SOURCE_DIR) / relative;
  const char* update = std::getenv("SHEAF_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    write_file(path, actual);
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing; run with SHEAF_UPDATE_GOLDEN=1 to create it";
  EXPECT_EQ(read_file_bytes(path), actual) << "golden file " << relative
                                           << " differs; if the change is deliberate, rerun with SHEAF_UPDATE_GOLDEN=1 "
                                              "and explain it in the commit";
}

}  // namespace sheaf::testing
