#include "deb/merged_usr.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/errors.hpp"

namespace sheaf::deb {
namespace {

using fileset::Entry;
using fileset::EntryType;

Entry dir(std::string path, std::uint32_t mode = 0755) {
  return Entry{.path = std::move(path), .type = EntryType::dir, .mode = mode};
}
Entry file(std::string path, std::string_view content) {
  return Entry{.path = std::move(path),
               .type = EntryType::file,
               .mode = 0644,
               .size = content.size(),
               .digest = Digest::of(content)};
}
Entry symlink(std::string path, std::string target) {
  return Entry{.path = std::move(path), .type = EntryType::symlink, .mode = 0777, .target = std::move(target)};
}

TEST(MergedUsr, MapsBinSbinAndLibStarIntoUsr) {
  EXPECT_EQ(merged_usr_path("bin/sh"), "usr/bin/sh");
  EXPECT_EQ(merged_usr_path("sbin"), "usr/sbin");
  EXPECT_EQ(merged_usr_path("lib/x86_64-linux-gnu/libc.so.6"), "usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(merged_usr_path("lib64/ld-linux-x86-64.so.2"), "usr/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(merged_usr_path("libx32"), "usr/libx32");
  EXPECT_EQ(merged_usr_path("usr/bin/sh"), "usr/bin/sh");
  EXPECT_EQ(merged_usr_path("etc/binfmt.d"), "etc/binfmt.d");
  EXPECT_EQ(merged_usr_path("binary"), "binary");
}

TEST(MergedUsr, MergesIdenticalDirectoriesAndKeepsSymlinkTargets) {
  auto out = merge_usr(
      {dir("lib"), dir("lib/x86_64-linux-gnu"), file("lib/x86_64-linux-gnu/libc.so.6", "elf"), dir("usr"),
       dir("usr/lib"), dir("usr/lib/x86_64-linux-gnu"), symlink("lib64", "/usr/lib64"), symlink("bin/sh", "/bin/dash")},
      "libc6.deb");
  std::vector<std::string> paths;
  for (const auto& e : out) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"usr/lib", "usr/lib/x86_64-linux-gnu",
                                             "usr/lib/x86_64-linux-gnu/libc.so.6", "usr", "usr/bin/sh"}));
  EXPECT_EQ(out.back().target, "/bin/dash");
}

TEST(MergedUsr, RewritesHardlinkTargets) {
  auto out =
      merge_usr({file("bin/a", "x"), Entry{.path = "bin/b", .type = EntryType::hardlink, .target = "bin/a"}}, "x.deb");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].path, "usr/bin/b");
  EXPECT_EQ(out[1].target, "usr/bin/a");
}

TEST(MergedUsr, RefusesTwoDifferentEntriesOnOnePathNamingBoth) {
  std::string message = testing::error_message_of([] {
    merge_usr({file("bin/tool", "one"), file("usr/bin/tool", "two")}, "tool.deb");
  });
  EXPECT_THAT(message, ::testing::HasSubstr("tool.deb: 'bin/tool' (a file of 3 bytes"));
  EXPECT_THAT(message, ::testing::HasSubstr("and 'usr/bin/tool' (a file of 3 bytes"));
  EXPECT_THAT(message, ::testing::HasSubstr("both land on 'usr/bin/tool'"));
  EXPECT_THAT(testing::error_message_of([] {
                merge_usr({dir("lib", 0755), dir("usr/lib", 0700)}, "d.deb");
              }),
              ::testing::HasSubstr("'lib' (a directory, mode 0755"));
}

}  // namespace
}  // namespace sheaf::deb
