#include "store/store_location.hpp"

#include <gtest/gtest.h>

#include <map>

#include "base/error.hpp"

namespace sheaf::store {
namespace {

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

TEST(StoreLocation, PrefersTheOptionThenEachVariableInTurn) {
  auto all = env_of({{"SHEAF_STORE", "/s"}, {"XDG_DATA_HOME", "/x"}, {"HOME", "/h"}});
  EXPECT_EQ(resolve_store_root(std::string("/o"), all), "/o");
  EXPECT_EQ(resolve_store_root(std::nullopt, all), "/s");
  EXPECT_EQ(resolve_store_root(std::nullopt, env_of({{"XDG_DATA_HOME", "/x"}, {"HOME", "/h"}})), "/x/sheaf");
  EXPECT_EQ(resolve_store_root(std::nullopt, env_of({{"HOME", "/h"}})), "/h/.local/share/sheaf");
}

TEST(StoreLocation, IgnoresEmptyAndRelativeXdgValues) {
  EXPECT_EQ(resolve_store_root(std::nullopt, env_of({{"SHEAF_STORE", ""}, {"HOME", "/h"}})), "/h/.local/share/sheaf");
  EXPECT_EQ(resolve_store_root(std::nullopt, env_of({{"XDG_DATA_HOME", "rel"}, {"HOME", "/h"}})),
            "/h/.local/share/sheaf");
}

TEST(StoreLocation, RefusesAnEmptyOption) {
  EXPECT_THROW(resolve_store_root(std::string(""), env_of({})), Error);
}

}  // namespace
}  // namespace sheaf::store
