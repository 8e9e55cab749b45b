// End-to-end tests of `sheaf pkg import` against dpkg's own view of the same
// .deb files: `dpkg-deb -c` for the listing, `dpkg-deb -x` for the contents.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "testing/command.hpp"
#include "testing/deb_fixture.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::contains;
using testing::DebTree;
using testing::lines_of;
using testing::run_command;
using testing::run_sheaf;
using testing::TempDir;

// bookworm's merged-/usr rewrite, restated independently of src/deb.
std::string merged(std::string path) {
  std::string top = path.substr(0, path.find('/'));
  if (top == "bin" || top == "sbin" || top.starts_with("lib")) return "usr/" + path;
  return path;
}

struct Listed {
  char type;          // 'd', '-', 'l' or 'h'
  std::string perms;  // "rwxr-xr-x"
  std::string owner;  // "0/0"
  std::uint64_t size;
  std::string target;  // symlink target, or hardlink target path
};

// Splits off `count` whitespace-separated fields; the rest is the name.
std::vector<std::string> split_fields(const std::string& line, int count, std::string& rest) {
  std::vector<std::string> fields;
  std::size_t pos = 0;
  for (int i = 0; i < count; ++i) {
    pos = line.find_first_not_of(' ', pos);
    auto end = line.find(' ', pos);
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  rest = line.substr(line.find_first_not_of(' ', pos));
  return fields;
}

std::string numeric_owner(const std::string& names) {
  auto slash = names.find('/');
  std::string user = names.substr(0, slash), group_name = names.substr(slash + 1);
  const passwd* pw = ::getpwnam(user.c_str());
  const ::group* gr = ::getgrnam(group_name.c_str());
  return std::to_string(pw ? pw->pw_uid : std::stoul(user)) + "/" +
         std::to_string(gr ? gr->gr_gid : std::stoul(group_name));
}

// `dpkg-deb -c`, with paths moved to the merged-/usr layout.
std::map<std::string, Listed> dpkg_listing(const fs::path& deb) {
  CommandResult r = run_command({"/usr/bin/dpkg-deb", "-c", deb.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, Listed> out;
  for (const auto& line : lines_of(r.out)) {
    std::string name;
    auto f = split_fields(line, 5, name);
    Listed item{f[0][0], f[0].substr(1), numeric_owner(f[1]), std::stoull(f[2]), ""};
    if (auto arrow = name.find(" -> "); item.type == 'l' && arrow != std::string::npos) {
      item.target = name.substr(arrow + 4);
      name.resize(arrow);
    }
    if (auto link = name.find(" link to "); item.type == 'h' && link != std::string::npos) {
      item.target = merged(name.substr(link + 9 + 2));  // drop "./"
      name.resize(link);
    }
    if (name.starts_with("./")) name = name.substr(2);
    while (name.ends_with('/')) name.pop_back();
    if (name.empty()) continue;  // the root
    out[merged(name)] = item;
  }
  return out;
}

// `sheaf pkg files PACKAGE`.
std::map<std::string, Listed> sheaf_listing(const std::string& store, const std::string& package) {
  CommandResult r = run_sheaf(store, {"pkg", "files", package});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, Listed> out;
  for (const auto& line : lines_of(r.out)) {
    std::string name;
    auto f = split_fields(line, 3, name);
    Listed item{f[0][0], f[0].substr(1), f[1], std::stoull(f[2]), ""};
    if (auto arrow = name.find(" -> "); item.type == 'l' && arrow != std::string::npos) {
      item.target = name.substr(arrow + 4);
      name.resize(arrow);
    }
    if (auto link = name.find(" link to "); item.type == 'h' && link != std::string::npos) {
      item.target = name.substr(link + 9);
      name.resize(link);
    }
    while (name.ends_with('/')) name.pop_back();
    out[name] = item;
  }
  return out;
}

// The FileSet manifest of a package, as path -> digest hex of each file.
std::map<std::string, std::string> file_digests(const std::string& store, const std::string& package) {
  CommandResult show = run_sheaf(store, {"pkg", "show", package});
  std::string fileset;
  for (const auto& line : lines_of(show.out)) {
    if (line.starts_with("fileset:")) fileset = line.substr(line.find("sha256:") + 7);
  }
  std::map<std::string, std::string> out;
  std::istringstream manifest(testing::read_file_bytes(fs::path(store) / "blobs/sha256" / fileset));
  std::string line;
  std::getline(manifest, line);  // header
  while (std::getline(manifest, line)) {
    auto entry = nlohmann::json::parse(line);
    if (entry["type"] == "file") out[entry["path"]] = entry["digest"].get<std::string>().substr(7);
  }
  return out;
}

// Checks that the package imported from `deb` holds exactly what dpkg sees in
// it, in the merged-/usr layout, plus the status.d files; and that every
// file's content matches `dpkg-deb -x`.
void expect_matches_dpkg(const std::string& store, const fs::path& deb, const fs::path& scratch) {
  std::string package = run_command({"/usr/bin/dpkg-deb", "-f", deb.string(), "Package"}).out;
  package.pop_back();
  SCOPED_TRACE(package);
  auto theirs = dpkg_listing(deb);
  auto ours = sheaf_listing(store, package);

  // Hardlinks: both sides must agree on content, whichever name holds it.
  auto resolve = [](const std::map<std::string, Listed>& listing, const std::string& path) -> const Listed& {
    const Listed& item = listing.at(path);
    return item.type == 'h' ? listing.at(item.target) : item;
  };
  std::set<std::string> generated = {"var",
                                     "var/lib",
                                     "var/lib/dpkg",
                                     "var/lib/dpkg/status.d",
                                     "var/lib/dpkg/status.d/" + package,
                                     "var/lib/dpkg/status.d/" + package + ".md5sums"};
  for (const auto& [path, item] : ours) {
    if (theirs.contains(path)) continue;
    EXPECT_TRUE(generated.contains(path)) << "sheaf lists " << path << ", which dpkg-deb -c does not";
  }
  EXPECT_EQ(ours.at("var/lib/dpkg/status.d/" + package).type, '-');
  EXPECT_EQ(ours.at("var/lib/dpkg/status.d/" + package + ".md5sums").type, '-');
  for (const auto& [path, item] : theirs) {
    ASSERT_TRUE(ours.contains(path)) << path << " is missing from sheaf's listing";
    const Listed& mine = resolve(ours, path);
    const Listed& expected = resolve(theirs, path);
    EXPECT_EQ(mine.type == 'h' ? '-' : mine.type, expected.type) << path;
    EXPECT_EQ(mine.perms, expected.perms) << path;
    EXPECT_EQ(mine.owner, expected.owner) << path;
    EXPECT_EQ(mine.size, expected.size) << path;
    EXPECT_EQ(mine.target, expected.target) << path;
  }

  fs::path unpacked = scratch / package;
  CommandResult x = run_command({"/usr/bin/dpkg-deb", "-x", deb.string(), unpacked.string()});
  ASSERT_EQ(x.exit_code, 0) << x.err;
  for (const auto& [path, digest] : file_digests(store, package)) {
    if (path.starts_with("var/lib/dpkg/status.d/")) continue;
    fs::path original = unpacked / path;
    if (!fs::exists(fs::symlink_status(original)) && path.starts_with("usr/")) original = unpacked / path.substr(4);
    EXPECT_EQ(digest, testing::sha256_hex_of_file(original)) << path;
  }
}

class Import : public ::testing::Test {
 protected:
  std::string store() const { return (dir_ / "store").string(); }
  CommandResult sheaf(const std::vector<std::string>& args) { return run_sheaf(store(), args); }

  // A package with setuid bits, hardlinks, long paths, symlinks, a conffile,
  // scripts and files on both sides of the merged-/usr rewrite.
  fs::path build_rich(const std::string& name = "rich") {
    DebTree tree(dir_ / ("tree-" + name));
    tree.control(name, "2.1-1", "amd64",
                 "Depends: libc6 (>= 2.36)\nSource: richsrc (2.1-0.1)\nHomepage: https://example.invalid/\n");
    tree.control_file("conffiles", "/etc/rich.conf\n");
    tree.control_file("postinst", "#!/bin/sh\nexit 0\n", 0755);
    tree.control_file("prerm", "#!/bin/sh\nexit 0\n", 0755);
    tree.file("etc/rich.conf", "x = 1\n");
    tree.file("usr/bin/suid", "#!/bin/sh\n", 04755);
    tree.file("usr/bin/sgid", "#!/bin/sh\n#sgid\n", 02755);
    tree.hardlink("usr/bin/another-name", "usr/bin/suid");
    tree.symlink("usr/bin/relative", "suid");
    tree.symlink("usr/bin/absolute", "/usr/bin/suid");
    tree.file("bin/legacy", "#!/bin/sh\necho legacy\n", 0755);
    tree.dir("lib/x86_64-linux-gnu");
    tree.file("usr/lib/x86_64-linux-gnu/librich.so.1", "ELF");
    tree.file("lib/x86_64-linux-gnu/librich-core.so.1", "ELF core");
    tree.file("usr/share/" + std::string(90, 'p') + "/" + std::string(30, 'q'), "over 100 bytes\n");
    tree.file("usr/share/" + std::string(150, 'r') + "/" + std::string(120, 's'), "over 255 bytes\n");
    tree.file("usr/share/doc/" + name + "/copyright", std::string(sheaf::testing::kDep5Format) +
                                                          "\n"
                                                          "Files: *\nCopyright: 2024 A\nLicense: Apache-2.0\n");
    return tree.build(dir_ / (name + ".deb"));
  }

  // Everything in the store, as relative path -> size, for "nothing changed".
  std::map<std::string, std::uintmax_t> snapshot() const {
    std::map<std::string, std::uintmax_t> out;
    if (!fs::exists(store())) return out;
    for (const auto& item : fs::recursive_directory_iterator(store())) {
      std::string rel = fs::relative(item.path(), store()).string();
      if (rel.starts_with("index.db")) continue;  // SQLite may touch its WAL files on open
      out[rel] = item.is_regular_file() ? item.file_size() : 0;
    }
    return out;
  }

  TempDir dir_;
};

TEST_F(Import, ListsWhatDpkgDebListsWithModesSizesAndContent) {
  fs::path deb = build_rich();
  CommandResult r = sheaf({"pkg", "import", deb.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(lines_of(r.out).size(), 1u);
  EXPECT_TRUE(r.out.starts_with("sha256:")) << r.out;
  TempDir scratch;
  expect_matches_dpkg(store(), deb, scratch.path());

  auto listing = sheaf_listing(store(), "rich");
  EXPECT_TRUE(listing.contains("usr/bin/legacy")) << "bin/ moved under usr/";
  EXPECT_FALSE(listing.contains("bin"));
  EXPECT_EQ(listing.at("usr/bin/suid").perms, "rwsr-xr-x");
}

TEST_F(Import, RecordsMetadataAndPrintsItAsJson) {
  fs::path deb = build_rich();
  CommandResult r = sheaf({"pkg", "import", "--json", deb.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out.size(), 1u);
  const auto& p = out[0];
  EXPECT_EQ(p["name"], "rich");
  EXPECT_EQ(p["version"], "2.1-1");
  EXPECT_EQ(p["arch"], "amd64");
  EXPECT_EQ(p["depends"], "libc6 (>= 2.36)");
  EXPECT_EQ(p["license"], "Apache-2.0");
  EXPECT_EQ(p["source"]["name"], "richsrc");
  EXPECT_EQ(p["source"]["version"], "2.1-0.1");
  EXPECT_EQ(p["skipped_scripts"], nlohmann::json({"postinst", "prerm"}));
  EXPECT_EQ(p["conffiles"], nlohmann::json({"/etc/rich.conf"}));
  EXPECT_EQ(p["origin"]["sha256"], testing::sha256_hex_of_file(deb));
  EXPECT_EQ(p["origin"]["size"], fs::file_size(deb));
  EXPECT_EQ(p["new"], true);

  CommandResult show = sheaf({"pkg", "show", "rich"});
  EXPECT_TRUE(contains(show.out, "skipped:     postinst prerm")) << show.out;
  EXPECT_TRUE(contains(show.out, "\"type\":\"deb\"")) << show.out;
}

TEST_F(Import, GivesTheSameIdInTwoStoresAndOnReimport) {
  fs::path deb = build_rich();
  CommandResult first = sheaf({"pkg", "import", deb.string()});
  CommandResult other = run_sheaf((dir_ / "other-store").string(), {"pkg", "import", deb.string()});
  CommandResult again = sheaf({"pkg", "import", deb.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, other.out);
  EXPECT_EQ(first.out, again.out);
  EXPECT_TRUE(contains(again.err, "0 new packages, 1 already in the store")) << again.err;
}

TEST_F(Import, ImportsEveryDebOfADirectoryInNameOrder) {
  build_rich("rich-b");
  build_rich("rich-a");
  CommandResult r = sheaf({"pkg", "import", "-j", "2", dir_.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(lines_of(r.out).size(), 2u);
  CommandResult a = sheaf({"pkg", "show", "rich-a"});
  EXPECT_TRUE(contains(a.out, lines_of(r.out)[0])) << "the first id is rich-a's";
}

TEST_F(Import, RefusesBadInputNamingTheFileAndLeavesTheStoreAsItWas) {
  fs::path good = build_rich();
  ASSERT_EQ(sheaf({"pkg", "import", good.string()}).exit_code, 0);
  auto before = snapshot();

  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
  };
  std::string data_ok = testing::tar_archive({{"./", '5', "", 0755}, {"./f", '0', "content"}});
  auto members = testing::ar_members(testing::read_file_bytes(good));  // debian-binary, control, data.tar.xz
  auto altered = [&](auto change) {
    auto copy = members;
    change(copy);
    return testing::ar_archive(copy);
  };
  auto with_control = [&](const std::string& control) {
    return testing::deb_bytes("control.tar", testing::tar_archive({{"./control", '0', control}}), "data.tar", data_ok);
  };
  auto with_data = [&](const std::vector<testing::TarEntry>& entries) {
    return testing::deb_bytes("control.tar.gz", testing::control_tar_gz("hostile"), "data.tar",
                              testing::tar_archive(entries));
  };
  std::vector<Case> cases = {
      {"truncated.deb", testing::read_file_bytes(good).substr(0, fs::file_size(good) / 2), "Truncated ar archive"},
      {"size-lies.deb", altered([](auto& m) { m[1].claimed_size = m[1].data.size() + 64; }), "control.tar.xz: "},
      {"no-data.deb", altered([](auto& m) { m.pop_back(); }), "no data.tar member"},
      {"no-control.deb", altered([](auto& m) { m.erase(m.begin() + 1); }), "comes before any control.tar member"},
      {"truncated-xz.deb", altered([](auto& m) { m[2].data.resize(m[2].data.size() / 2); }), "data.tar.xz: "},
      {"corrupt-xz.deb", altered([](auto& m) {
         for (std::size_t i = 64; i + 64 < m[2].data.size(); i += 5) m[2].data[i] ^= 0x21;
       }),
       "data.tar.xz: "},
      {"absolute.deb", with_data({{"/etc/passwd", '0', "x"}}), "is an absolute path"},
      {"hardlink-out.deb", with_data({{"./a", '1', "", 0644, "../../etc/shadow"}}), "points outside the package"},
      {"hardlink-ahead.deb", with_data({{"./a", '1', "", 0644, "./b"}, {"./b", '0', "x"}}),
       "which is not an earlier file"},
      {"bomb.deb", with_data({{"./huge", '0', "tiny", 0644, "", std::uint64_t{1} << 42}}), "over the limit"},
      {"dup-field.deb", with_control("Package: dup\nVersion: 1\nArchitecture: all\nVersion: 2\n"),
       "field 'Version' appears twice"},
      {"no-package.deb", with_control("Version: 1\nArchitecture: all\n"), "the Package field is missing"},
      {"no-version.deb", with_control("Package: nov\nArchitecture: all\n"), "the Version field is missing"},
      {"bad-version.deb", with_control("Package: badv\nVersion: 1.0:beta:2\nArchitecture: all\n"), "control line 2"},
      {"not-ar.deb", "just text\n", "not an ar archive"},
      {"dotdot.deb",
       testing::deb_bytes("control.tar.gz", testing::control_tar_gz("dotdot"), "data.tar",
                          testing::tar_archive({{"./../../etc/passwd", '0', "x"}})),
       "has a '..' component"},
      {"symlink.deb",
       testing::deb_bytes("control.tar.gz", testing::control_tar_gz("symlink"), "data.tar",
                          testing::tar_archive({{"./a", '2', "", 0777, "/etc"}, {"./a/passwd", '0', "x"}})),
       "lies beneath the symlink 'a'"},
      {"lz4.deb", testing::deb_bytes("control.tar.gz", testing::control_tar_gz("lz4"), "data.tar.lz4", data_ok),
       "unknown compression"},
      {"device.deb",
       testing::deb_bytes("control.tar.gz", testing::control_tar_gz("device"), "data.tar",
                          testing::tar_archive({{"./null", '3', ""}})),
       "is a device node"},
  };
  for (const auto& c : cases) {
    fs::path file = dir_ / "bad" / c.name;
    fs::create_directories(file.parent_path());
    testing::write_file(file, c.bytes);
    // Run from an empty directory with an empty HOME and TMPDIR: nothing may appear there.
    TempDir cwd;
    CommandResult r =
        run_command({"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd.path().string(), testing::sheaf_binary(),
                     "--store", store(), "pkg", "import", good.string(), file.string()},
                    {.env = {{"HOME", cwd.path().string()}, {"TMPDIR", cwd.path().string()}}});
    EXPECT_EQ(r.exit_code, 3) << c.name << ": " << r.err;
    EXPECT_TRUE(contains(r.err, file.string() + ": ")) << c.name << ": the message names the file: " << r.err;
    EXPECT_TRUE(contains(r.err, c.expected)) << c.name << ": " << r.err;
    EXPECT_TRUE(fs::is_empty(cwd.path())) << c.name;
    EXPECT_EQ(snapshot(), before) << c.name << ": the store changed";
  }
  CommandResult verify = sheaf({"store", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(Import, AFailedImportAddsNoneOfTheOtherFiles) {
  fs::path good = build_rich();
  fs::path bad = dir_ / "bad.deb";
  testing::write_file(bad, "!<arch>\ntruncated");
  CommandResult r = sheaf({"pkg", "import", good.string(), bad.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(sheaf({"pkg", "ls"}).out, "");
}

TEST_F(Import, RefusesMissingOperandsAndBadLimitsAsUsageErrors) {
  EXPECT_EQ(sheaf({"pkg", "import", (dir_ / "missing.deb").string()}).exit_code, 2);
  EXPECT_EQ(sheaf({"pkg", "import", dir_.path().string()}).exit_code, 2) << "a directory without .deb files";
  fs::path deb = build_rich();
  CommandResult r = sheaf({"pkg", "import", "--max-file-size", "lots", deb.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--max-file-size 'lots' must be a size")) << r.err;
  EXPECT_FALSE(fs::exists(store())) << "a usage error creates no store";
}

TEST_F(Import, TheFileSizeLimitIsConfigurable) {
  DebTree tree(dir_ / "tree-big");
  tree.control("big", "1.0");
  tree.file("usr/share/big/blob", std::string(3 << 20, 'z'));
  fs::path deb = tree.build(dir_ / "big.deb");
  CommandResult refused = sheaf({"pkg", "import", "--max-file-size", "1M", deb.string()});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_TRUE(contains(refused.err, "'usr/share/big/blob' is 3145728 bytes, over the limit of 1048576")) << refused.err;
  EXPECT_EQ(sheaf({"pkg", "import", "--max-file-size", "4M", deb.string()}).exit_code, 0);
}

// The acceptance corpus: bookworm's python3 closure (41 .deb files), fetched
// by tools/dev into bench/.cache/debs, or any directory in $SHEAF_DEB_CORPUS.
TEST_F(Import, TheRealPython3ClosureMatchesDpkg) {
  const char* env = std::getenv("SHEAF_DEB_CORPUS");
  fs::path corpus = env ? fs::path(env) : fs::path(SHEAF_SOURCE_DIR) / "bench/.cache/debs";
  if (!fs::is_directory(corpus)) GTEST_SKIP() << "no corpus at " << corpus << " (tools/dev test fetches it)";
  std::vector<fs::path> debs;
  for (const auto& item : fs::directory_iterator(corpus)) {
    if (item.path().extension() == ".deb") debs.push_back(item.path());
  }
  if (debs.empty()) GTEST_SKIP() << "no .deb files in " << corpus;
  CommandResult r = sheaf({"pkg", "import", corpus.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), debs.size());
  TempDir scratch;
  for (const auto& deb : debs) expect_matches_dpkg(store(), deb, scratch.path());
  EXPECT_EQ(sheaf({"store", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace sheaf
