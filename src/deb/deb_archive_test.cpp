#include "deb/deb_archive.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "base/error.hpp"
#include "testing/deb_fixture.hpp"
#include "testing/errors.hpp"
#include "testing/memory_sink.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::deb {
namespace {

using sheaf::testing::ArMember;
using sheaf::testing::DebTree;
using sheaf::testing::TarEntry;
using ::testing::HasSubstr;

DebArchive read_bytes(const std::string& bytes, sheaf::testing::MemorySink& sink, const DebLimits& limits = {}) {
  MemorySource source(bytes);
  return read_deb(source, "test.deb", sink, limits);
}

std::string read_error(const std::string& bytes, const DebLimits& limits = {}) {
  sheaf::testing::MemorySink sink;
  return sheaf::testing::error_message_of([&] { read_bytes(bytes, sink, limits); });
}

const fileset::Entry* find_entry(const DebArchive& deb, std::string_view path) {
  auto it = std::find_if(deb.entries.begin(), deb.entries.end(), [&](const auto& e) { return e.path == path; });
  return it == deb.entries.end() ? nullptr : &*it;
}

// A .deb whose data.tar is `data` (uncompressed).
std::string deb_with_data(const std::vector<TarEntry>& data) {
  return sheaf::testing::deb_bytes("control.tar.gz", sheaf::testing::control_tar_gz("hostile"), "data.tar",
                                   sheaf::testing::tar_archive(data));
}

class DebArchiveTest : public ::testing::Test {
 protected:
  // A package built by dpkg-deb with every kind of entry.
  std::filesystem::path build_full(std::string_view compression) {
    DebTree tree(dir_ / fmt::format("tree-{}", compression));
    tree.control("full", "1:2.0~rc1-3", "amd64", "Depends: libc6 (>= 2.36)\n");
    tree.control_file("conffiles", "/etc/full.conf\n");
    tree.control_file("postinst", "#!/bin/sh\nexit 0\n", 0755);
    tree.file("etc/full.conf", "setting = 1\n");
    tree.file("usr/bin/tool", "#!/bin/sh\necho tool\n", 04755);
    tree.hardlink("usr/bin/alias", "usr/bin/tool");
    tree.symlink("usr/bin/link", "tool");
    tree.file(long_path_, "deep\n");
    tree.file("usr/share/doc/full/copyright", std::string(sheaf::testing::kDep5Format) +
                                                  "\n"
                                                  "Files: *\nCopyright: 2024 Someone\nLicense: MIT\n");
    return tree.build(dir_ / fmt::format("full-{}.deb", compression), compression);
  }

  sheaf::testing::TempDir dir_;
  // Longer than 255 bytes, with a component longer than 100.
  std::string long_path_ = "usr/share/" + std::string(120, 'a') + "/" + std::string(140, 'b') + "/file";
};

TEST_F(DebArchiveTest, ReadsEveryEntryKindFromADpkgDebBuild) {
  sheaf::testing::MemorySink sink;
  auto deb_path = build_full("xz");
  std::string bytes = sheaf::testing::read_file_bytes(deb_path);
  DebArchive deb = read_bytes(bytes, sink);

  EXPECT_EQ(deb.control.value("Package"), "full");
  EXPECT_EQ(deb.control.value("Version"), "1:2.0~rc1-3");
  EXPECT_EQ(deb.data_member, "data.tar.xz");
  EXPECT_EQ(deb.maintainer_scripts, std::vector<std::string>{"postinst"});
  ASSERT_EQ(deb.conffiles.size(), 1u);
  EXPECT_EQ(deb.conffiles[0].path, "/etc/full.conf");
  EXPECT_EQ(deb.md5.at("etc/full.conf"), "6bc5aa55a24a9d663f97616fed018e1a");  // md5sum of "setting = 1\n"
  EXPECT_EQ(deb.digest, Digest::of(bytes));
  EXPECT_EQ(deb.size, bytes.size());
  ASSERT_TRUE(deb.copyright.has_value());
  EXPECT_THAT(*deb.copyright, HasSubstr("License: MIT"));

  const fileset::Entry* tool = find_entry(deb, "usr/bin/tool");
  const fileset::Entry* alias = find_entry(deb, "usr/bin/alias");
  ASSERT_TRUE(tool && alias);
  // dpkg-deb stores whichever name it met first as the file; the other links to it.
  const fileset::Entry* file = tool->type == fileset::EntryType::file ? tool : alias;
  const fileset::Entry* link = file == tool ? alias : tool;
  EXPECT_EQ(file->mode, 04755u);
  ASSERT_NE(sink.find(file->digest), nullptr);
  EXPECT_EQ(*sink.find(file->digest), "#!/bin/sh\necho tool\n");
  EXPECT_EQ(link->type, fileset::EntryType::hardlink);
  EXPECT_EQ(link->target, file->path);

  const fileset::Entry* symlink = find_entry(deb, "usr/bin/link");
  ASSERT_NE(symlink, nullptr);
  EXPECT_EQ(symlink->type, fileset::EntryType::symlink);
  EXPECT_EQ(symlink->target, "tool");
  const fileset::Entry* deep = find_entry(deb, long_path_);
  ASSERT_NE(deep, nullptr);
  EXPECT_EQ(*sink.find(deep->digest), "deep\n");
  const fileset::Entry* root_dir = find_entry(deb, "usr");
  ASSERT_NE(root_dir, nullptr);
  EXPECT_EQ(root_dir->type, fileset::EntryType::dir);
  EXPECT_EQ(find_entry(deb, ""), nullptr) << "the root entry ./ is not an entry";
}

TEST_F(DebArchiveTest, AcceptsEveryCompressionDpkgDebWrites) {
  for (std::string_view compression : {"none", "gzip", "xz", "zstd"}) {
    sheaf::testing::MemorySink sink;
    DebArchive deb = read_bytes(sheaf::testing::read_file_bytes(build_full(compression)), sink);
    EXPECT_NE(find_entry(deb, "usr/bin/link"), nullptr) << compression;
  }
}

TEST_F(DebArchiveTest, AcceptsBzip2DataTar) {
  std::string data = sheaf::testing::tar_archive({{"./", '5', "", 0755}, {"./a", '0', "bz2 content\n"}});
  std::string bytes = sheaf::testing::deb_bytes("control.tar.gz", sheaf::testing::control_tar_gz("bz"), "data.tar.bz2",
                                                sheaf::testing::compress(data, "bz2"));
  sheaf::testing::MemorySink sink;
  DebArchive deb = read_bytes(bytes, sink);
  ASSERT_NE(find_entry(deb, "a"), nullptr);
  EXPECT_EQ(*sink.find(find_entry(deb, "a")->digest), "bz2 content\n");
}

TEST_F(DebArchiveTest, RefusesWhatIsNotAnArArchive) {
  EXPECT_THAT(read_error("this is not a package at all\n"), HasSubstr("test.deb: not an ar archive"));
  EXPECT_THAT(read_error(""), HasSubstr("test.deb"));
}

TEST_F(DebArchiveTest, RefusesATruncatedArchive) {
  std::string bytes = sheaf::testing::read_file_bytes(build_full("xz"));
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 10, std::size_t{70}}) {
    EXPECT_THAT(read_error(bytes.substr(0, keep)), HasSubstr("test.deb: ")) << keep;
    EXPECT_NE(read_error(bytes.substr(0, keep)), "") << keep;
  }
}

TEST_F(DebArchiveTest, RefusesAMemberWhoseSizeFieldLies) {
  auto members = sheaf::testing::ar_members(sheaf::testing::read_file_bytes(build_full("xz")));
  ASSERT_EQ(members.size(), 3u);
  for (long delta : {-100L, 100L}) {
    auto lying = members;
    lying[1].claimed_size = static_cast<std::size_t>(static_cast<long>(lying[1].data.size()) + delta);
    std::string message = read_error(sheaf::testing::ar_archive(lying));
    EXPECT_THAT(message, HasSubstr("test.deb: ")) << delta;
    EXPECT_NE(message, "") << delta;
  }
}

TEST_F(DebArchiveTest, RefusesAMissingControlOrDataMember) {
  auto members = sheaf::testing::ar_members(sheaf::testing::read_file_bytes(build_full("xz")));
  EXPECT_THAT(read_error(sheaf::testing::ar_archive({members[0], members[1]})),
              HasSubstr("test.deb: no data.tar member"));
  EXPECT_THAT(read_error(sheaf::testing::ar_archive({members[0], members[2]})),
              HasSubstr("test.deb: 'data.tar.xz' comes before any control.tar member"));
  EXPECT_THAT(read_error(sheaf::testing::ar_archive({members[1], members[2]})),
              HasSubstr("the first member is 'control.tar.xz', not debian-binary"));
}

TEST_F(DebArchiveTest, RefusesAnUnknownCompression) {
  auto members = sheaf::testing::ar_members(sheaf::testing::read_file_bytes(build_full("xz")));
  members[2].name = "data.tar.lz4";
  EXPECT_THAT(read_error(sheaf::testing::ar_archive(members)),
              HasSubstr("test.deb: member 'data.tar.lz4' has an unknown compression '.lz4'"));
  // A name that promises xz over gzip bytes.
  auto gz = sheaf::testing::ar_members(sheaf::testing::read_file_bytes(build_full("gzip")));
  gz[2].name = "data.tar.xz";
  EXPECT_THAT(read_error(sheaf::testing::ar_archive(gz)), HasSubstr("test.deb: data.tar.xz"));
}

TEST_F(DebArchiveTest, RefusesATruncatedOrCorruptXzStream) {
  auto members = sheaf::testing::ar_members(sheaf::testing::read_file_bytes(build_full("xz")));
  auto truncated = members;
  truncated[2].data.resize(truncated[2].data.size() / 2);
  EXPECT_THAT(read_error(sheaf::testing::ar_archive(truncated)), HasSubstr("test.deb: data.tar.xz: "));
  auto corrupt = members;
  for (std::size_t i = 64; i < corrupt[2].data.size() - 64; i += 7) corrupt[2].data[i] ^= 0x5a;
  EXPECT_THAT(read_error(sheaf::testing::ar_archive(corrupt)), HasSubstr("test.deb: data.tar.xz: "));
}

TEST_F(DebArchiveTest, RefusesDotDotAndAbsolutePaths) {
  EXPECT_THAT(read_error(deb_with_data({{"./", '5', "", 0755}, {"./../escape", '0', "x"}})),
              HasSubstr("test.deb: data.tar: entry './../escape' has a '..' component"));
  EXPECT_THAT(read_error(deb_with_data({{"./a/../../b", '0', "x"}})), HasSubstr("has a '..' component"));
  EXPECT_THAT(read_error(deb_with_data({{"/etc/passwd", '0', "x"}})),
              HasSubstr("test.deb: data.tar: entry '/etc/passwd' is an absolute path"));
}

TEST_F(DebArchiveTest, RefusesAnEntryBeneathASymlink) {
  EXPECT_THAT(read_error(deb_with_data({{"./a", '2', "", 0777, "/etc"}, {"./a/passwd", '0', "x"}})),
              HasSubstr("test.deb: data.tar: 'a/passwd' lies beneath the symlink 'a' (-> '/etc')"));
  // The same, in the other order.
  EXPECT_THAT(read_error(deb_with_data({{"./a/passwd", '0', "x"}, {"./a", '2', "", 0777, "/etc"}})),
              HasSubstr("'a' is not a directory, but earlier entries lie beneath it"));
}

TEST_F(DebArchiveTest, RefusesHardlinksOutsideThePackageOrForward) {
  EXPECT_THAT(read_error(deb_with_data({{"./a", '1', "", 0644, "../../etc/shadow"}})),
              HasSubstr("test.deb: data.tar: hardlink 'a' points outside the package, to '../../etc/shadow'"));
  EXPECT_THAT(read_error(deb_with_data({{"./a", '1', "", 0644, "/etc/shadow"}})),
              HasSubstr("points outside the package"));
  EXPECT_THAT(read_error(deb_with_data({{"./a", '1', "", 0644, "./b"}, {"./b", '0', "x"}})),
              HasSubstr("hardlink 'a' points to 'b', which is not an earlier file of the archive"));
  EXPECT_THAT(read_error(deb_with_data({{"./d", '5', "", 0755}, {"./a", '1', "", 0644, "./d"}})),
              HasSubstr("which is not an earlier file"));
}

TEST_F(DebArchiveTest, RefusesDevicesAndFifos) {
  EXPECT_THAT(read_error(deb_with_data({{"./dev/null", '3', ""}})),
              HasSubstr("test.deb: data.tar: 'dev/null' is a device node"));
  EXPECT_THAT(read_error(deb_with_data({{"./pipe", '6', ""}})), HasSubstr("'pipe' is a fifo"));
}

TEST_F(DebArchiveTest, RefusesAFileLargerThanTheLimitBeforeReadingIt) {
  // 8 MiB of zeros compress to almost nothing: a small decompression bomb.
  std::string data = sheaf::testing::tar_archive({{"./zeros", '0', std::string(8 << 20, '\0')}});
  std::string bytes = sheaf::testing::deb_bytes("control.tar.gz", sheaf::testing::control_tar_gz("bomb"), "data.tar.xz",
                                                sheaf::testing::compress(data, "xz"));
  EXPECT_LT(bytes.size(), 8192u);
  sheaf::testing::MemorySink sink;
  std::string message = sheaf::testing::error_message_of(
      [&] { read_bytes(bytes, sink, {.max_file_size = 1 << 20, .max_unpacked_size = 1 << 30}); });
  EXPECT_THAT(message, HasSubstr("test.deb: data.tar.xz: 'zeros' is 8388608 bytes, over the limit of 1048576"));
  EXPECT_EQ(sink.size(), 0u) << "nothing was stored";
  EXPECT_THAT(read_error(bytes, {.max_file_size = 1 << 30, .max_unpacked_size = 1 << 20}),
              HasSubstr("unpacks to more than 1048576 bytes"));
  EXPECT_EQ(read_error(bytes), "") << "the default limits allow it";
}

TEST_F(DebArchiveTest, RefusesAHeaderThatClaimsMoreThanTheArchiveHolds) {
  std::string bytes = deb_with_data({{"./big", '0', "tiny", 0644, "", std::uint64_t{1} << 40}});
  EXPECT_THAT(read_error(bytes), HasSubstr("over the limit"));
  EXPECT_THAT(read_error(bytes, {.max_file_size = std::uint64_t{1} << 41, .max_unpacked_size = std::uint64_t{1} << 41}),
              HasSubstr("test.deb: data.tar: "));
}

TEST_F(DebArchiveTest, RefusesABrokenControlFile) {
  auto with_control = [](std::string_view control) {
    std::string tar = sheaf::testing::tar_archive({{"./control", '0', std::string(control)}});
    return sheaf::testing::deb_bytes("control.tar", tar, "data.tar", sheaf::testing::tar_archive({}));
  };
  EXPECT_THAT(read_error(with_control("Package: ab\nVersion: 1\nArchitecture: all\npackage: b\n")),
              HasSubstr("test.deb: control line 4: field 'package' appears twice (first on line 1)"));
  EXPECT_THAT(read_error(with_control("Version: 1\nArchitecture: all\n")),
              HasSubstr("test.deb: control: the Package field is missing"));
  EXPECT_THAT(read_error(with_control("Package: ab\nArchitecture: all\n")),
              HasSubstr("test.deb: control: the Version field is missing"));
  EXPECT_THAT(read_error(with_control("Package: ab\nVersion: one\nArchitecture: all\n")),
              HasSubstr("test.deb: control line 2"));
  EXPECT_THAT(read_error(sheaf::testing::deb_bytes("control.tar", sheaf::testing::tar_archive({}), "data.tar",
                                                   sheaf::testing::tar_archive({}))),
              HasSubstr("control.tar has no control file"));
}

TEST_F(DebArchiveTest, ToleratesMembersDpkgIgnores) {
  auto members = sheaf::testing::ar_members(sheaf::testing::read_file_bytes(build_full("xz")));
  members.insert(members.begin() + 1, ArMember{"_gpgorigin", "signature", std::nullopt});
  members.push_back({"trailing", "ignored after data.tar", std::nullopt});
  EXPECT_EQ(read_error(sheaf::testing::ar_archive(members)), "");
}

TEST_F(DebArchiveTest, AddsParentDirectoriesTheArchiveLeavesOut) {
  sheaf::testing::MemorySink sink;
  DebArchive deb = read_bytes(deb_with_data({{"./a/b/c", '0', "x"}}), sink);
  ASSERT_NE(find_entry(deb, "a/b"), nullptr);
  EXPECT_EQ(find_entry(deb, "a/b")->type, fileset::EntryType::dir);
  EXPECT_EQ(find_entry(deb, "a")->mode, 0755u);
}

}  // namespace
}  // namespace sheaf::deb
