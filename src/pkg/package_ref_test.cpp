#include "pkg/package_ref.hpp"

#include <gtest/gtest.h>

#include "base/digest.hpp"
#include "base/error.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::pkg {
namespace {

class PackageRef : public ::testing::Test {
 protected:
  store::PackageRecord insert(std::string name, std::string version, std::string arch = "amd64") {
    std::string seed = name + version + arch;
    store::PackageRecord r{Digest::of(seed).str(), name, version, arch, Digest::of(seed + "fs").str(), 0, 0, "{}"};
    index_.write([&](store::Index::Transaction& t) { t.insert_package(r); });
    return r;
  }
  std::string error_of(std::string_view ref) {
    return testing::error_message_of([&] { resolve_package(index_, ref); });
  }

  testing::TempDir dir_;
  store::Index index_{(dir_ / "index.db").string()};
};

TEST_F(PackageRef, ABareNamePicksTheHighestDebianVersionAndSaysSo) {
  insert("hello", "1.9");
  insert("hello", "1.10~rc1");
  auto best = insert("hello", "1.10");
  insert("hello", "1.10~rc2");
  ResolvedPackage resolved = resolve_package(index_, "hello");
  EXPECT_EQ(resolved.record.id, best.id);
  EXPECT_EQ(resolved.note, "hello: using the highest version, 1.10 (of 4 in the store)");
}

TEST_F(PackageRef, NameAtVersionUsesDebianEquality) {
  auto r = insert("hello", "1.0-0");
  insert("hello", "2.0");
  EXPECT_EQ(resolve_package(index_, "hello@1.0").record.id, r.id);
  EXPECT_NE(error_of("hello@3.0").find("no version '3.0' of 'hello' in the store (it has"), std::string::npos);
}

TEST_F(PackageRef, IdsWorkInFullOrByPrefix) {
  auto r = insert("hello", "1.0");
  EXPECT_EQ(resolve_package(index_, r.id).record.id, r.id);
  EXPECT_EQ(resolve_package(index_, r.id.substr(0, 7 + 12)).record.id, r.id);
  EXPECT_EQ(resolve_package(index_, r.id.substr(7, 12)).record.id, r.id);
  EXPECT_NE(error_of(r.id.substr(0, 7 + 6)).find("at least 12"), std::string::npos);
}

TEST_F(PackageRef, AmbiguityListsTheCandidates) {
  auto a = insert("hello", "1.0", "amd64");
  auto b = insert("hello", "1.0", "arm64");
  std::string message = error_of("hello");
  EXPECT_NE(message.find("matches 2 packages"), std::string::npos) << message;
  EXPECT_NE(message.find(a.id), std::string::npos);
  EXPECT_NE(message.find(b.id), std::string::npos);
  EXPECT_EQ(resolve_package(index_, "hello:arm64").record.id, b.id);
  EXPECT_EQ(resolve_package(index_, "hello:amd64@1.0").record.id, a.id);
}

TEST_F(PackageRef, UnknownNamesSaySo) {
  EXPECT_EQ(error_of("nothing"), "no package named 'nothing' in the store");
}

}  // namespace
}  // namespace sheaf::pkg
