#include "image/paths.hpp"

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

fileset::Manifest manifest(std::vector<Entry> entries) {
  return fileset::Manifest::from_entries(std::move(entries));
}

TEST(ImageTree, IdenticalSharedEntriesAreNoConflict) {
  ImageTree tree;
  tree.add(manifest({dir_entry("usr"), dir_entry("usr/bin"), file_entry("usr/bin/a", "a")}), "pa 1");
  tree.add(
      manifest({dir_entry("usr"), dir_entry("usr/bin"), file_entry("usr/bin/a", "a"), file_entry("usr/bin/b", "b")}),
      "pb 1");
  EXPECT_TRUE(tree.conflicts().empty());
  EXPECT_EQ(tree.find("usr/bin/b")->owner, 1u);
}

TEST(ImageTree, DifferentClaimsNameBothPackagesAndThePath) {
  ImageTree tree;
  tree.add(manifest({dir_entry("usr"), dir_entry("usr/bin"), file_entry("usr/bin/tool", "one")}), "clash-a 1.0");
  tree.add(manifest({dir_entry("usr", 0700), dir_entry("usr/bin"), symlink_entry("usr/bin/tool", "other")}),
           "clash-b 2.0");
  auto conflicts = tree.conflicts();
  ASSERT_EQ(conflicts.size(), 2u);
  EXPECT_EQ(conflicts[0],
            "path /usr is claimed by clash-a 1.0 (directory, 0755, 0:0) and by clash-b 2.0 (directory, "
            "0700, 0:0)");
  EXPECT_NE(conflicts[1].find("path /usr/bin/tool is claimed by clash-a 1.0 (file, 0644, 0:0, 3 bytes"),
            std::string::npos)
      << conflicts[1];
  EXPECT_NE(conflicts[1].find("and by clash-b 2.0 (symlink to other"), std::string::npos) << conflicts[1];
}

TEST(ImageTree, ResolveFollowsSymlinksAndTheMergedUsrLinks) {
  ImageTree tree;
  tree.add(manifest({dir_entry("usr"), dir_entry("usr/bin"), file_entry("usr/bin/python3.11", "py"),
                     symlink_entry("usr/bin/python3", "python3.11"), dir_entry("etc"), dir_entry("etc/alternatives"),
                     symlink_entry("etc/alternatives/py", "/usr/bin/python3"),
                     symlink_entry("usr/bin/py", "../../etc/alternatives/py"), symlink_entry("usr/bin/loop", "loop")}),
           "python 1");
  const Entry* e = tree.resolve("/bin/py");  // bin -> usr/bin, then two links
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->path, "usr/bin/python3.11");
  EXPECT_EQ(tree.resolve("/usr/bin/missing"), nullptr);
  EXPECT_EQ(tree.resolve("/usr/bin/loop"), nullptr);
  ASSERT_NE(tree.resolve("/usr/bin"), nullptr);
  EXPECT_EQ(tree.resolve("/usr/bin")->type, EntryType::dir);
}

}  // namespace
}  // namespace sheaf::image
