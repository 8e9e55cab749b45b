#include "deb/source_package.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/errors.hpp"

namespace sheaf::deb {
namespace {

using testing::error_message_of;
using ::testing::HasSubstr;

// Two stanzas of hello as bookworm's Sources index writes them (trimmed),
// between stanzas of other packages, one of which names hello in its Binary.
constexpr std::string_view kIndex =
    "Package: hell\n"
    "Binary: hello-not\n"
    "Version: 1.0\n"
    "Directory: pool/main/h/hell\n"
    "Checksums-Sha256:\n"
    " 0000000000000000000000000000000000000000000000000000000000000000 1 hell_1.0.dsc\n"
    "\n"
    "Package: hello\n"
    "Binary: hello\n"
    "Version: 2.10-3\n"
    "Format: 3.0 (quilt)\n"
    "Checksums-Sha256:\n"
    " 75296f5ef618ae2f1849e22b142a2b5ab52c452ebefa4e7b0564c44617db3790 1721 hello_2.10-3.dsc\n"
    " 31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b 725946 hello_2.10.orig.tar.gz\n"
    " 60ee7a466808301fbaa7fea2490b5e7a6d86f598956fb3e79c71b3295dc1f249 12684 hello_2.10-3.debian.tar.xz\n"
    "Directory: pool/main/h/hello\n"
    "\n"
    "Package: hello\n"
    "Version: 2.10-2\n"
    "Checksums-Sha256:\n"
    " 1111111111111111111111111111111111111111111111111111111111111111 1000 hello_2.10-2.dsc\n"
    "Directory: pool/main/h/hello\n";

TEST(SourceStanzas, FindsEveryStanzaOfTheName) {
  auto found = find_source_stanzas(kIndex, "hello", "Sources");
  ASSERT_EQ(found.size(), 2u);
  const SourceStanza& hello = found[0];
  EXPECT_EQ(hello.name, "hello");
  EXPECT_EQ(hello.version, "2.10-3");
  EXPECT_EQ(hello.format, "3.0 (quilt)");
  EXPECT_EQ(hello.directory, "pool/main/h/hello");
  ASSERT_EQ(hello.files.size(), 3u);
  // Sorted by name.
  EXPECT_EQ(hello.files[0].name, "hello_2.10-3.debian.tar.xz");
  EXPECT_EQ(hello.files[0].size, 12684u);
  EXPECT_EQ(hello.files[2].name, "hello_2.10.orig.tar.gz");
  ASSERT_NE(hello.dsc(), nullptr);
  EXPECT_EQ(hello.dsc()->name, "hello_2.10-3.dsc");
  EXPECT_EQ(hello.dsc()->sha256.hex(), "75296f5ef618ae2f1849e22b142a2b5ab52c452ebefa4e7b0564c44617db3790");
  EXPECT_EQ(found[1].version, "2.10-2");
  EXPECT_EQ(found[1].format, "1.0");  // no Format field: dpkg's default
  EXPECT_TRUE(find_source_stanzas(kIndex, "hel", "Sources").empty());
  EXPECT_TRUE(find_source_stanzas(kIndex, "hello-not", "Sources").empty());
}

TEST(SourceStanzas, RefusesStanzasThatCouldReachOutsideThePool) {
  auto stanza = [](std::string_view directory, std::string_view file) {
    return fmt::format(
        "Package: x\nVersion: 1\nDirectory: {}\nChecksums-Sha256:\n "
        "75296f5ef618ae2f1849e22b142a2b5ab52c452ebefa4e7b0564c44617db3790 1 {}\n",
        directory, file);
  };
  EXPECT_NO_THROW(find_source_stanzas(stanza("pool/main/x", "x_1.dsc"), "x", "S"));
  EXPECT_THAT(error_message_of([&] { find_source_stanzas(stanza("/etc", "x_1.dsc"), "x", "S"); }),
              HasSubstr("S (the stanza at line 1): source package 'x' has the Directory '/etc', which is not a path "
                        "inside the repository"));
  EXPECT_THAT(error_message_of([&] { find_source_stanzas(stanza("pool/../../x", "x_1.dsc"), "x", "S"); }),
              HasSubstr("which is not a path inside the repository"));
  EXPECT_THAT(error_message_of([&] { find_source_stanzas(stanza("pool/main/x", "../x_1.dsc"), "x", "S"); }),
              HasSubstr("S (the stanza at line 1) line 6: '../x_1.dsc' is not a plain file name"));
  EXPECT_THAT(error_message_of([&] { find_source_stanzas(stanza("pool/main/x", "x_1.tar.gz"), "x", "S"); }),
              HasSubstr("source package 'x' lists no .dsc"));
  EXPECT_THAT(error_message_of([&] {
                find_source_stanzas("Package: x\nVersion: 1\nDirectory: p\nChecksums-Sha256:\n 12 1 x.dsc\n", "x", "S");
              }),
              HasSubstr("a Checksums-Sha256 line must be '<sha256> <size> <file name>'"));
  EXPECT_THAT(error_message_of([&] { find_source_stanzas("Package: x\nDirectory: p\n", "x", "S"); }),
              HasSubstr("source package 'x' has no Version"));
}

TEST(Changelog, TheNewestEntrysDateIsTheSourceDateEpoch) {
  constexpr std::string_view kChangelog =
      "hello (2.10-3) unstable; urgency=medium\n"
      "\n"
      "  * Add some autopkgtests.\n"
      "\n"
      " -- Santiago Vila <sanvila@debian.org>  Sun, 13 Nov 2022 19:45:00 +0100\n"
      "\n"
      "hello (2.10-2) unstable; urgency=medium\n"
      "\n"
      " -- Santiago Vila <sanvila@debian.org>  Sat, 15 Jun 2019 12:00:00 +0200\n";
  EXPECT_EQ(changelog_date(kChangelog, "debian/changelog"), 1668365100);  // 2022-11-13 18:45:00 UTC
  EXPECT_THAT(
      error_message_of([&] { changelog_date("hello (1) unstable; urgency=low\n\n  * x\n", "debian/changelog"); }),
      HasSubstr("debian/changelog: has no entry trailer (' -- NAME <EMAIL>  DATE')"));
  EXPECT_THAT(error_message_of([&] { changelog_date(" -- A <a@b>  yesterday\n", "debian/changelog"); }),
              HasSubstr("debian/changelog: the date 'yesterday' of the newest entry is not an RFC 2822 date"));
}

}  // namespace
}  // namespace sheaf::deb
