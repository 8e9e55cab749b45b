#include "fileset/layer_tar.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <map>

#include "testing/command.hpp"
#include "testing/errors.hpp"
#include "testing/golden.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::fileset {
namespace {

class StringSink : public TarSink {
 public:
  void write(std::string_view bytes) override { data.append(bytes); }
  std::string data;
};

// A FileSet of every kind of entry, with the fields that need PAX records.
struct Fixture {
  std::map<Digest, std::string> contents;
  std::vector<Entry> entries;

  Entry file(std::string path, std::string content, std::uint32_t mode = 0644) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::file;
    e.mode = mode;
    e.size = content.size();
    e.digest = Digest::of(content);
    contents[e.digest] = std::move(content);
    return e;
  }
  Entry dir(std::string path, std::uint32_t mode = 0755) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::dir;
    e.mode = mode;
    return e;
  }

  Fixture() {
    std::string deep = "usr/share/" + std::string(60, 'd');
    std::string deeper = deep + "/" + std::string(120, 'e');
    entries.push_back(dir("etc"));
    entries.push_back(file("etc/hostname", "sheaf\n"));
    entries.push_back(dir("tmp", 01777));
    entries.push_back(dir("usr"));
    entries.push_back(dir("usr/bin"));
    Entry su = file("usr/bin/su", std::string(1000, 'x'), 04755);
    entries.push_back(su);
    Entry link;
    link.path = "usr/bin/su2";
    link.type = EntryType::hardlink;
    link.target = "usr/bin/su";
    entries.push_back(link);
    Entry sym;
    sym.path = "usr/bin/python3";
    sym.type = EntryType::symlink;
    sym.mode = 0777;
    sym.target = "python3.11";
    entries.push_back(sym);
    Entry long_sym = sym;
    long_sym.path = "usr/bin/far";
    long_sym.target = "/" + std::string(150, 't');
    entries.push_back(long_sym);
    Entry capped = file("usr/bin/ping", "ping", 0755);
    capped.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8)}, {"user.note", "hi"}};
    capped.uid = 3000000;  // beyond ustar's 7 octal digits
    capped.gid = 3000001;
    entries.push_back(capped);
    entries.push_back(dir("usr/share"));
    entries.push_back(dir(deep));
    entries.push_back(file(deep + "/" + std::string(80, 'f'), "split into prefix and name\n"));  // 151 bytes
    entries.push_back(dir(deeper));
    entries.push_back(file(deeper + "/g", "only a PAX path holds this\n"));  // 193 bytes, no 100-byte tail
  }

  Manifest manifest() const { return Manifest::from_entries(entries); }
  ContentOpener opener() const {
    return [this](const Entry& e) -> std::unique_ptr<ByteSource> {
      return std::make_unique<MemorySource>(contents.at(e.digest));
    };
  }
  std::string tar() const {
    StringSink sink;
    write_layer_tar(manifest(), opener(), sink);
    return sink.data;
  }
};

TEST(LayerTar, MatchesTheGoldenBytes) {
  Fixture f;
  std::string tar = f.tar();
  EXPECT_EQ(tar.size() % 512, 0u);
  EXPECT_EQ(tar.substr(tar.size() - 1024), std::string(1024, '\0'));
  testing::expect_golden("src/fileset/testdata/all-entry-types.tar", tar);
  EXPECT_EQ(f.tar(), tar);  // and the same bytes again
}

TEST(LayerTar, GnuTarListsEveryEntryWithItsModeOwnerAndTime) {
  Fixture f;
  testing::TempDir dir;
  testing::write_file(dir / "layer.tar", f.tar());
  auto r = testing::run_command({"/bin/tar", "--numeric-owner", "--full-time", "-tvf", (dir / "layer.tar").string()},
                                {.env = {{"TZ", "UTC"}}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = testing::lines_of(r.out);
  ASSERT_EQ(lines.size(), f.entries.size()) << r.out;
  EXPECT_EQ(lines[0], "drwxr-xr-x 0/0               0 1970-01-01 00:00:01 etc/");
  EXPECT_EQ(lines[2], "drwxrwxrwt 0/0               0 1970-01-01 00:00:01 tmp/");
  EXPECT_NE(r.out.find("-rwsr-xr-x 0/0            1000 1970-01-01 00:00:01 usr/bin/su\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("usr/bin/su2 link to usr/bin/su"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("usr/bin/python3 -> python3.11"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("usr/bin/far -> /" + std::string(150, 't')), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3000000/3000001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/" + std::string(120, 'e') + "/g\n"), std::string::npos) << r.out;
}

TEST(LayerTar, GnuTarExtractsContentsLinksAndXattrs) {
  Fixture f;
  testing::TempDir dir;
  testing::write_file(dir / "layer.tar", f.tar());
  testing::make_dirs(dir / "root");
  auto r = testing::run_command({"/bin/tar", "--xattrs", "--xattrs-include=user.*", "--numeric-owner", "-xpf",
                                 (dir / "layer.tar").string(), "-C", (dir / "root").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& e : f.entries) {
    if (e.type == EntryType::file) {
      EXPECT_EQ(testing::read_file_bytes(dir / "root" / e.path), f.contents.at(e.digest)) << e.path;
    }
  }
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((dir / "root/usr/bin/su").c_str(), &a), 0);
  ASSERT_EQ(::stat((dir / "root/usr/bin/su2").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(std::filesystem::read_symlink(dir / "root/usr/bin/python3"), "python3.11");
  char value[16] = {};
  ssize_t n = ::getxattr((dir / "root/usr/bin/ping").c_str(), "user.note", value, sizeof value);
  if (n < 0 && errno == ENOTSUP) GTEST_SKIP() << "this filesystem has no user xattrs";
  EXPECT_EQ(std::string(value, static_cast<std::size_t>(std::max<ssize_t>(n, 0))), "hi");
}

TEST(LayerTar, AContentStreamOfTheWrongLengthIsAnError) {
  Fixture f;
  StringSink sink;
  auto shorter = [](const Entry&) -> std::unique_ptr<ByteSource> { return std::make_unique<MemorySource>("x"); };
  EXPECT_NE(testing::error_message_of([&] {
              write_layer_tar(f.manifest(), shorter, sink);
            }).find("the content of 'etc/hostname' ended after 1 of its 6 bytes"),
            std::string::npos);
  static const std::string kLong(2000, 'y');
  auto longer = [](const Entry&) -> std::unique_ptr<ByteSource> { return std::make_unique<MemorySource>(kLong); };
  StringSink sink2;
  EXPECT_NE(testing::error_message_of([&] {
              write_layer_tar(f.manifest(), longer, sink2);
            }).find("the content of 'etc/hostname' is longer than its 6 bytes"),
            std::string::npos);
}

}  // namespace
}  // namespace sheaf::fileset
