#include "image/ld_cache.hpp"

#include <gtest/gtest.h>

#include "base/host.hpp"
#include "base/process.hpp"
#include "base/unique_fd.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::image {
namespace {

using fileset::Entry;
using fileset::EntryType;

class LdCacheTest : public ::testing::Test {
 protected:
  Entry dir(std::string path) { return {std::move(path), EntryType::dir, 0755}; }
  Entry file(std::string path, std::string content) {
    Entry e{std::move(path), EntryType::file, 0644};
    e.size = content.size();
    e.digest = Digest::of(content);
    contents_[e.digest] = std::move(content);
    return e;
  }
  Entry symlink(std::string path, std::string target) {
    Entry e{std::move(path), EntryType::symlink, 0777};
    e.target = std::move(target);
    return e;
  }
  ContentReader reader() {
    return [this](const Entry& e) { return contents_.at(e.digest); };
  }

  // A real shared library (the host's zlib) in /usr/lib/sheaf-test, named by
  // a conf file that /etc/ld.so.conf includes.
  ImageTree tree_with_private_library(bool with_conf) {
    std::string zlib = read_file("/usr/lib/x86_64-linux-gnu/libz.so.1");
    std::vector<Entry> entries{dir("usr"), dir("usr/lib"), dir("usr/lib/sheaf-test"),
                               file("usr/lib/sheaf-test/libz.so.1.2.13", zlib),
                               symlink("usr/lib/sheaf-test/libz.so.1", "libz.so.1.2.13")};
    if (with_conf) {
      entries.push_back(dir("etc"));
      entries.push_back(dir("etc/ld.so.conf.d"));
      entries.push_back(file("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n"));
      entries.push_back(file("etc/ld.so.conf.d/sheaf-test.conf", "# a private directory\n/usr/lib/sheaf-test\n"));
      entries.push_back(
          file("etc/ld.so.conf.d/x86_64-linux-gnu.conf", "/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n"));
    }
    ImageTree tree;
    tree.add(fileset::Manifest::from_entries(std::move(entries)), "zlib-private 1.0");
    return tree;
  }

  std::map<Digest, std::string> contents_;
};

TEST_F(LdCacheTest, ConfDirsFollowIncludesInTheMergedLayout) {
  ImageTree tree = tree_with_private_library(true);
  EXPECT_EQ(ld_so_conf_dirs(tree, reader()),
            (std::vector<std::string>{"usr/lib/sheaf-test", "usr/lib/x86_64-linux-gnu"}));
  EXPECT_EQ(dirs_needing_cache(tree, ld_so_conf_dirs(tree, reader()), "amd64"),
            (std::vector<std::string>{"usr/lib/sheaf-test"}));
}

TEST_F(LdCacheTest, APrivateLibraryDirectoryGetsACacheThatNamesIt) {
  if (!std::filesystem::exists("/sbin/ldconfig")) GTEST_SKIP() << "no /sbin/ldconfig on this host";
  ImageTree tree = tree_with_private_library(true);
  testing::TempDir one, two;
  std::vector<std::string> notes;
  auto cache = make_ld_so_cache(tree, reader(), "amd64", one.path(), notes);
  ASSERT_TRUE(cache.has_value());
  EXPECT_TRUE(cache->starts_with("glibc-ld.so.cache1.1")) << cache->substr(0, 20);
  EXPECT_NE(cache->find("/usr/lib/sheaf-test/libz.so.1"), std::string::npos);
  EXPECT_EQ(notes, (std::vector<std::string>{"ld.so.cache: 1 libraries, for /usr/lib/sheaf-test"}));
  // glibc's own reader agrees.
  testing::write_file(one / "cache", *cache);
  auto listed = run_capture({"/sbin/ldconfig", "-p", "-C", (one / "cache").string()});
  ASSERT_TRUE(listed.has_value());
  EXPECT_NE(listed->out.find("libz.so.1 (libc6,x86-64) => /usr/lib/sheaf-test/libz.so.1"), std::string::npos)
      << listed->out;
  auto again = make_ld_so_cache(tree, reader(), "amd64", two.path(), notes);
  EXPECT_EQ(again, cache) << "the same image gives the same cache";
}

TEST_F(LdCacheTest, AnotherArchitecturesImageThatNeedsACacheIsRefused) {
  // The host's ldconfig skips another machine's libraries: the cache it
  // wrote would lack them, so sheaf says so instead.
  const std::string foreign = host_debian_arch() == "arm64" ? "amd64" : "arm64";
  testing::TempDir scratch;
  std::vector<std::string> notes;
  std::string message = testing::error_message_of(
      [&] { make_ld_so_cache(tree_with_private_library(true), reader(), foreign, scratch.path(), notes); });
  EXPECT_NE(message.find("the image for " + foreign +
                         " needs an /etc/ld.so.cache (/usr/lib/sheaf-test holds shared "
                         "libraries outside the dynamic linker's search path"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("cannot read " + foreign + " libraries"), std::string::npos) << message;
  // Without a private directory, no cache is needed, whatever the architecture.
  EXPECT_FALSE(make_ld_so_cache(tree_with_private_library(false), reader(), foreign, scratch.path(), notes));
}

TEST_F(LdCacheTest, NoConfigurationOrOnlySystemDirectoriesNeedNoCache) {
  testing::TempDir scratch;
  std::vector<std::string> notes;
  EXPECT_FALSE(make_ld_so_cache(tree_with_private_library(false), reader(), "amd64", scratch.path(), notes));
  ImageTree tree;
  tree.add(fileset::Manifest::from_entries({dir("etc"), file("etc/ld.so.conf", "/usr/lib/x86_64-linux-gnu\n"),
                                            dir("usr"), dir("usr/lib"), dir("usr/lib/x86_64-linux-gnu"),
                                            file("usr/lib/x86_64-linux-gnu/libc.so.6", "elf")}),
           "libc6 2.36");
  EXPECT_FALSE(make_ld_so_cache(tree, reader(), "amd64", scratch.path(), notes));
  EXPECT_TRUE(notes.empty());
}

}  // namespace
}  // namespace sheaf::image
