#include "deb/dpkg_database.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/command.hpp"
#include "testing/deb_fixture.hpp"
#include "testing/errors.hpp"
#include "testing/memory_sink.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::deb {
namespace {

using sheaf::testing::DebTree;

DebArchive read_file(const std::filesystem::path& path) {
  static sheaf::testing::MemorySink sink;
  std::string bytes = sheaf::testing::read_file_bytes(path);
  MemorySource source(bytes);
  return read_deb(source, path.string(), sink);
}

// The stanza real dpkg writes to its status file when it installs `deb` into
// an empty root.
std::string stanza_from_dpkg(const std::filesystem::path& deb, const std::filesystem::path& root) {
  sheaf::testing::make_dirs(root / "var/lib/dpkg/updates");
  sheaf::testing::make_dirs(root / "var/lib/dpkg/info");
  sheaf::testing::write_file(root / "var/lib/dpkg/status", "");
  auto result = sheaf::testing::run_command({"/usr/bin/dpkg", "--root=" + root.string(), "--force-not-root",
                                             "--force-script-chrootless", "--force-depends", "--log=/dev/null", "-i",
                                             deb.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::string status = sheaf::testing::read_file_bytes(root / "var/lib/dpkg/status");
  while (status.ends_with("\n\n")) status.pop_back();
  return status;
}

TEST(DpkgDatabase, WritesTheStanzaRealDpkgWrites) {
  if (sheaf::testing::run_command({"/usr/bin/dpkg", "--version"}).exit_code != 0) GTEST_SKIP() << "no dpkg";
  sheaf::testing::TempDir dir;
  DebTree tree(dir / "tree");
  // Fields out of dpkg's order, odd spacing in relations, a field dpkg does not
  // know, Essential, Multi-Arch, a Source with a version and a conffile.
  tree.control_file("control",
                    "Package: stanza-test\n"
                    "Version: 1:2.0~rc1-3\n"
                    "Homepage: https://example.invalid/\n"
                    "Architecture: all\n"
                    "Essential: yes\n"
                    "Multi-Arch: foreign\n"
                    "Source: stanza (2.0~rc1-2)\n"
                    "Maintainer: Test <test@example.invalid>\n"
                    "Installed-Size: 12\n"
                    "Depends: libc6(>=2.36),  foo|bar:any ,baz (<< 3)\n"
                    "Pre-Depends: dpkg (>= 1.19)\n"
                    "Provides: stanza-virtual (= 2.0)\n"
                    "Breaks: old (<< 1)\n"
                    "Conflicts: other\n"
                    "Replaces: old (<< 1)\n"
                    "Recommends: rec\n"
                    "Suggests: sug\n"
                    "Section: misc\n"
                    "Priority: optional\n"
                    "X-Custom-Field: kept\n"
                    "Built-Using: glibc (= 2.36-9)\n"
                    "Description: a test package\n a long description\n .\n with a paragraph break\n");
  tree.control_file("conffiles", "/etc/stanza.conf\n");
  tree.file("etc/stanza.conf", "key = value\n");
  tree.file("bin/stanza", "#!/bin/sh\n", 0755);
  auto deb_path = tree.build(dir / "stanza.deb");

  EXPECT_EQ(dpkg_status_stanza(read_file(deb_path)), stanza_from_dpkg(deb_path, dir / "root"));
}

TEST(DpkgDatabase, OmitsEssentialNoAndMultiArchNo) {
  if (sheaf::testing::run_command({"/usr/bin/dpkg", "--version"}).exit_code != 0) GTEST_SKIP() << "no dpkg";
  sheaf::testing::TempDir dir;
  DebTree tree(dir / "tree");
  tree.control("plain-test", "1.0", "all", "Essential: no\nMulti-Arch: no\n");
  tree.file("usr/share/plain", "x\n");
  auto deb_path = tree.build(dir / "plain.deb");
  std::string stanza = dpkg_status_stanza(read_file(deb_path));
  EXPECT_EQ(stanza.find("Essential"), std::string::npos);
  EXPECT_EQ(stanza, stanza_from_dpkg(deb_path, dir / "root"));
}

TEST(DpkgDatabase, RewritesShippedMd5sumsToTheMergedLayout) {
  sheaf::testing::TempDir dir;
  DebTree tree(dir / "tree");
  tree.control("sums-test", "1.0");
  tree.control_file("md5sums",
                    "d41d8cd98f00b204e9800998ecf8427e  bin/a\nd41d8cd98f00b204e9800998ecf8427e  usr/share/b\n");
  tree.file("bin/a", "");
  tree.file("usr/share/b", "");
  DebArchive deb = read_file(tree.build(dir / "sums.deb"));
  EXPECT_EQ(dpkg_md5sums(deb, "md5sums"),
            "d41d8cd98f00b204e9800998ecf8427e  usr/bin/a\nd41d8cd98f00b204e9800998ecf8427e  usr/share/b\n");
}

TEST(DpkgDatabase, ComputesMd5sumsWhenThePackageShipsNone) {
  sheaf::testing::TempDir dir;
  DebTree tree(dir / "tree");
  tree.control("nosums-test", "1.0");
  tree.file("sbin/tool", "abc");  // md5 900150983cd24fb0d6963f7d28e17f72
  tree.hardlink("usr/share/tool", "sbin/tool");
  tree.symlink("usr/share/link", "tool");
  DebArchive deb = read_file(tree.build(dir / "nosums.deb"));
  ASSERT_FALSE(deb.md5sums.has_value());
  EXPECT_EQ(dpkg_md5sums(deb, "md5sums"),
            "900150983cd24fb0d6963f7d28e17f72  usr/sbin/tool\n900150983cd24fb0d6963f7d28e17f72  usr/share/tool\n");
}

TEST(DpkgDatabase, RefusesAMalformedMd5sumsLine) {
  sheaf::testing::TempDir dir;
  DebTree tree(dir / "tree");
  tree.control("badsums-test", "1.0");
  tree.control_file("md5sums", "d41d8cd98f00b204e9800998ecf8427e  ok\nnot-a-sum bad\n");
  tree.file("ok", "");
  DebArchive deb = read_file(tree.build(dir / "badsums.deb"));
  EXPECT_THAT(sheaf::testing::error_message_of([&] { dpkg_md5sums(deb, "badsums.deb: md5sums"); }),
              ::testing::HasSubstr("badsums.deb: md5sums line 2: expected"));
}

}  // namespace
}  // namespace sheaf::deb
