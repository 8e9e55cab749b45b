#include "image/layers.hpp"

#include <gtest/gtest.h>

#include "testing/entries.hpp"

namespace sheaf::image {
namespace {

using testing::dir_entry;
using testing::file_entry;
using testing::hardlink_entry;
using testing::symlink_entry;

using fileset::Entry;
using fileset::EntryType;

fileset::Manifest sample() {
  return fileset::Manifest::from_entries({dir_entry("usr"), dir_entry("usr/share"), dir_entry("usr/share/doc"),
                                          dir_entry("usr/share/doc/x"), file_entry("usr/share/doc/x/copyright", "c"),
                                          dir_entry("usr/bin"), file_entry("usr/bin/a", "binary"),
                                          hardlink_entry("usr/bin/b", "usr/bin/a")});
}

TEST(DropPaths, NoGlobsKeepsTheManifest) {
  auto m = sample();
  FilteredFileSet f = apply_drop_paths(m, {});
  EXPECT_EQ(f.manifest.serialize(), m.serialize());
  EXPECT_TRUE(f.dropped.empty());
}

TEST(DropPaths, RemovesMatchesAndWhatTheyHold) {
  FilteredFileSet f = apply_drop_paths(sample(), {"usr/share/doc/**"});
  EXPECT_EQ(f.dropped, (std::vector<std::string>{"usr/share/doc/x", "usr/share/doc/x/copyright"}));
  std::vector<std::string> paths;
  for (const auto& e : f.manifest.entries()) paths.push_back(e.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"usr", "usr/bin", "usr/bin/a", "usr/bin/b", "usr/share", "usr/share/doc"}));
}

TEST(DropPaths, AKeptHardlinkTakesTheDroppedFilesPlace) {
  FilteredFileSet f = apply_drop_paths(sample(), {"usr/bin/a"});
  const auto& entries = f.manifest.entries();
  auto b = std::find_if(entries.begin(), entries.end(), [](const Entry& e) { return e.path == "usr/bin/b"; });
  ASSERT_NE(b, entries.end());
  EXPECT_EQ(b->type, EntryType::file);
  EXPECT_EQ(b->digest, Digest::of("binary"));
  EXPECT_EQ(b->mode, 0644u);
}

TEST(LayerVariant, NamesTheCodecAndTheFilter) {
  EXPECT_EQ(layer_variant({}), "gzip-libdeflate1.14-1-1024k");
  EXPECT_EQ(layer_variant({"usr/share/doc/**"}), "gzip-libdeflate1.14-1-1024k;drop=[\"usr/share/doc/**\"]");
}

}  // namespace
}  // namespace sheaf::image
