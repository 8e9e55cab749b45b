#include "fileset/manifest.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/golden.hpp"

namespace sheaf::fileset {
namespace {

Entry dir(std::string path, std::uint32_t mode = 0755) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::dir;
  e.mode = mode;
  return e;
}

Entry file(std::string path, std::string_view content, std::uint32_t mode = 0644) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::file;
  e.mode = mode;
  e.size = content.size();
  e.digest = Digest::of(content);
  return e;
}

Entry symlink(std::string path, std::string target) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::symlink;
  e.mode = 0777;
  e.target = std::move(target);
  return e;
}

Entry hardlink(std::string path, std::string target) {
  Entry e;
  e.path = std::move(path);
  e.type = EntryType::hardlink;
  e.target = std::move(target);
  return e;
}

// One of everything the format can say, given out of order on purpose.
std::vector<Entry> sample_entries() {
  Entry setuid = file("usr/bin/su", "su", 04755);
  setuid.uid = 0;
  setuid.gid = 0;
  Entry capable = file("usr/bin/ping", "ping", 0755);
  capable.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8)},
                    {"user.note", "caf\xc3\xa9"}};
  Entry owned = dir("home/app", 0750);
  owned.uid = 1000;
  owned.gid = 1000;
  Entry tmp = dir("tmp", 01777);
  return {file("usr/bin/python3.11", "python"),
          symlink("usr/bin/python3", "python3.11"),
          hardlink("usr/bin/python3.11-copy", "usr/bin/python3.11"),
          setuid,
          capable,
          dir("usr/bin"),
          dir("usr"),
          symlink("etc/localtime", "/usr/share/zoneinfo/Etc/UTC"),
          dir("etc"),
          file("etc/odd name\n\"quoted\"\\", ""),
          dir("home"),
          owned,
          tmp,
          file("usr-local", "sorts between usr and usr/bin")};
}

TEST(Entry, ARelativeSymlinkTargetStaysInsideUnlessItClimbsAboveTheRoot) {
  EXPECT_TRUE(relative_target_stays_inside("usr/bin/x", "../lib/y"));
  EXPECT_TRUE(relative_target_stays_inside("usr/bin/x", "../../etc/y"));
  EXPECT_FALSE(relative_target_stays_inside("usr/bin/x", "../../../etc/y"));
  EXPECT_TRUE(relative_target_stays_inside("x", "./y/../z"));
  EXPECT_FALSE(relative_target_stays_inside("x", ".."));
  // Climbing out and back in is still climbing out.
  EXPECT_FALSE(relative_target_stays_inside("usr/x", "../../usr/y"));
  EXPECT_TRUE(relative_target_stays_inside("a/b/c/x", "d/../../..//e"));
}

TEST(Manifest, SerialisationMatchesTheGoldenVector) {
  Manifest manifest = Manifest::from_entries(sample_entries());
  testing::expect_golden("src/fileset/testdata/all-entry-types.fileset", manifest.serialize());
}

TEST(Manifest, IdOfTheGoldenVectorIsPinned) {
  // Changing this id means every FileSet id changes: bump the format.
  EXPECT_EQ(Manifest::from_entries(sample_entries()).id().str(),
            "sha256:644317c7bca88fd776be5bca1bb7f89e51a2478a081165d73508d6da49626e31");
}

TEST(Manifest, SortsByPathBytesSoParentsComeFirst) {
  Manifest manifest = Manifest::from_entries(sample_entries());
  std::vector<std::string> paths;
  for (const auto& e : manifest.entries()) paths.push_back(e.path);
  EXPECT_EQ(paths.front(), "etc");
  // '-' (0x2d) sorts before '/' (0x2f): usr, usr-local, usr/bin.
  auto usr = std::find(paths.begin(), paths.end(), "usr");
  ASSERT_NE(usr, paths.end());
  EXPECT_EQ(*(usr + 1), "usr-local");
  EXPECT_EQ(*(usr + 2), "usr/bin");
}

TEST(Manifest, ParseRoundTripsTheCanonicalBytes) {
  Manifest manifest = Manifest::from_entries(sample_entries());
  std::string bytes = manifest.serialize();
  Manifest parsed = Manifest::parse(bytes, "test");
  EXPECT_EQ(parsed.entries(), manifest.entries());
  EXPECT_EQ(parsed.serialize(), bytes);
}

TEST(Manifest, EmptyManifestIsJustTheHeader) {
  EXPECT_EQ(Manifest::from_entries({}).serialize(), kManifestHeader);
  EXPECT_TRUE(Manifest::parse(kManifestHeader, "test").entries().empty());
}

TEST(Manifest, IdChangesWithModeXattrOrContentButNotEntryOrder) {
  Digest base = Manifest::from_entries(sample_entries()).id();

  auto reversed = sample_entries();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(Manifest::from_entries(reversed).id(), base);

  auto setuid_cleared = sample_entries();
  setuid_cleared[3].mode = 0755;
  EXPECT_NE(Manifest::from_entries(setuid_cleared).id(), base);

  auto xattr_changed = sample_entries();
  xattr_changed[4].xattrs[1].value = "cafe";
  EXPECT_NE(Manifest::from_entries(xattr_changed).id(), base);

  auto content_changed = sample_entries();
  content_changed[0] = file("usr/bin/python3.11", "pythoN");
  EXPECT_NE(Manifest::from_entries(content_changed).id(), base);
}

TEST(Manifest, RefusesDuplicatePaths) {
  try {
    Manifest::from_entries({dir("etc"), file("etc", "x")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'etc' appears more than once"), std::string::npos) << e.what();
  }
}

TEST(Manifest, RefusesAMissingOrNonDirectoryParent) {
  EXPECT_THROW(Manifest::from_entries({file("usr/bin/x", "")}), Error);
  EXPECT_THROW(Manifest::from_entries({file("usr", ""), file("usr/x", "")}), Error);
}

TEST(Manifest, RefusesHardlinksToAnythingButAnEarlierFile) {
  EXPECT_THROW(Manifest::from_entries({dir("d"), hardlink("e", "d")}), Error);
  EXPECT_THROW(Manifest::from_entries({hardlink("a", "b"), file("b", "")}), Error);  // b sorts after a
  EXPECT_NO_THROW(Manifest::from_entries({file("a", ""), hardlink("b", "a")}));
}

TEST(Manifest, RefusesPathsItCannotRepresent) {
  for (std::string bad : std::vector<std::string>{"", "/abs", "a//b", "a/./b", "../x", "a/..", "trailing/",
                                                  std::string("nul\0x", 5), std::string("\xff\xfe")}) {
    EXPECT_THROW(Manifest::from_entries({file(bad, "")}), Error) << bad;
  }
}

TEST(Manifest, RefusesModeBitsOutsidePermissions) {
  EXPECT_THROW(Manifest::from_entries({file("a", "", 0100644)}), Error);
}

TEST(Manifest, ParseReportsTheLineOfAProblem) {
  std::string bytes = Manifest::from_entries({dir("a"), file("a/b", "x")}).serialize();
  std::string spaced = bytes;
  spaced.insert(spaced.find("\"type\":\"file\""), " ");
  try {
    Manifest::parse(spaced, "m");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.where(), "m line 3");
  }
}

TEST(Manifest, ParseRejectsNonCanonicalSpellings) {
  std::string good = Manifest::from_entries({dir("a"), file("a/b", "x")}).serialize();
  auto rejects = [](std::string bytes) { EXPECT_THROW(Manifest::parse(bytes, "m"), ParseError) << bytes; };
  rejects(good.substr(0, good.size() - 1));  // no final newline
  rejects("{\"sheaf-fileset\":2}\n");        // unknown format
  rejects(std::string(kManifestHeader) + "{\"gid\":0,\"mode\":\"755\",\"path\":\"a\",\"type\":\"dir\",\"uid\":0}\n");
  rejects(std::string(kManifestHeader) +
          "{\"gid\":0,\"mode\":\"0755\",\"path\":\"a\",\"type\":\"dir\",\"uid\":0,\"x\":1}\n");
  rejects(std::string(kManifestHeader) + "{\"mode\":\"0755\",\"gid\":0,\"path\":\"a\",\"type\":\"dir\",\"uid\":0}\n");
  rejects(std::string(kManifestHeader) + "{\"gid\":0,\"mode\":\"0755\",\"path\":\"a\",\"type\":\"fifo\",\"uid\":0}\n");
  rejects(std::string(kManifestHeader) + "{\"gid\":0,\"mode\":\"0755\",\"path\":\"a\",\"type\":\"dir\",\"uid\":-1}\n");
  rejects(std::string(kManifestHeader) + "not json\n");
  // Entries out of order.
  rejects(std::string(kManifestHeader) + "{\"gid\":0,\"mode\":\"0755\",\"path\":\"b\",\"type\":\"dir\",\"uid\":0}\n" +
          "{\"gid\":0,\"mode\":\"0755\",\"path\":\"a\",\"type\":\"dir\",\"uid\":0}\n");
}

TEST(EntryHelpers, CanonicalizeHardlinksGivesTheContentToTheFirstPath) {
  // Archive order: the file under its later name, then a hardlink named earlier.
  std::vector<Entry> entries = {
      {.path = "d", .type = EntryType::dir, .mode = 0755},
      {.path = "d/z", .type = EntryType::file, .mode = 04755, .size = 3, .digest = Digest::of("abc")},
      {.path = "d/a", .type = EntryType::hardlink, .target = "d/z"},
      {.path = "d/m", .type = EntryType::hardlink, .target = "d/z"},
  };
  canonicalize_hardlinks(entries);
  Manifest manifest = Manifest::from_entries(entries);  // valid only if every link points back
  const auto& e = manifest.entries();
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[1].path, "d/a");
  EXPECT_EQ(e[1].type, EntryType::file);
  EXPECT_EQ(e[1].mode, 04755u);
  EXPECT_EQ(e[1].digest, Digest::of("abc"));
  EXPECT_EQ(e[2].path, "d/m");
  EXPECT_EQ(e[2].target, "d/a");
  EXPECT_EQ(e[3].path, "d/z");
  EXPECT_EQ(e[3].type, EntryType::hardlink);
  EXPECT_EQ(e[3].target, "d/a");
}

TEST(EntryHelpers, AddMissingParentsAddsRootOwnedDirectoriesOnce) {
  std::vector<Entry> entries = {{.path = "a/b/c", .type = EntryType::file, .mode = 0644, .digest = Digest::of("")},
                                {.path = "a/b/d", .type = EntryType::file, .mode = 0644, .digest = Digest::of("")},
                                {.path = "x", .type = EntryType::dir, .mode = 0700}};
  add_missing_parents(entries);
  Manifest manifest = Manifest::from_entries(entries);
  ASSERT_EQ(manifest.entries().size(), 5u);
  EXPECT_EQ(manifest.entries()[0].path, "a");
  EXPECT_EQ(manifest.entries()[0].mode, 0755u);
  EXPECT_EQ(manifest.entries()[1].path, "a/b");
  EXPECT_EQ(manifest.entries()[4].mode, 0700u) << "existing directories are left as they are";
}

}  // namespace
}  // namespace sheaf::fileset
