#include "pkg/import_deb.hpp"

#include <gtest/gtest.h>

#include "testing/deb_fixture.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::pkg {
namespace {

class ImportDebs : public ::testing::Test {
 protected:
  std::filesystem::path build(std::string_view name) {
    testing::DebTree tree(work_ / "tree" / name);
    tree.control(name, "1.0", "all");
    tree.file(fmt::format("usr/share/doc/{}/README", name), "hello\n");
    return tree.build(work_ / fmt::format("{}_1.0_all.deb", name), "gzip");
  }

  testing::TempDir work_;
  testing::TempDir store_dir_;
  store::LocalStore store_{store_dir_.path()};
};

TEST_F(ImportDebs, ImportsOnceAndRecognisesTheSameDebByItsOrigin) {
  auto deb = build("alpha");
  auto first = import_debs(store_, {deb}, {});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].inserted);
  EXPECT_FALSE(first[0].known);
  EXPECT_EQ(first[0].package.name, "alpha");
  auto again = import_debs(store_, {deb}, {});
  EXPECT_TRUE(again[0].known);
  EXPECT_EQ(again[0].id, first[0].id);
}

TEST_F(ImportDebs, KnownDigestsSkipTheFirstHashButAWrongOneIsRefused) {
  auto deb = build("beta");
  StreamDigest real = digest_file(deb.string());
  ImportOptions options;
  options.known_digests = {real};
  auto results = import_debs(store_, {deb}, options);
  EXPECT_TRUE(results[0].inserted);
  EXPECT_EQ(results[0].deb_digest, real.digest);

  auto other = build("gamma");
  options.known_digests = {StreamDigest{Digest::of("not gamma"), real.size}};  // a digest no .deb has
  EXPECT_NE(testing::error_message_of([&] {
              import_debs(store_, {other}, options);
            }).find("changed while it was being imported"),
            std::string::npos);
  EXPECT_EQ(store_.index().packages_named("gamma").size(), 0u);
  options.known_digests = {real, real};
  EXPECT_EQ(testing::error_message_of([&] { import_debs(store_, {other}, options); }),
            "import_debs: known_digests must have one entry per file");
}

}  // namespace
}  // namespace sheaf::pkg
