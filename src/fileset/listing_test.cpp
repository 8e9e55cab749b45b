#include "fileset/listing.hpp"

#include <gtest/gtest.h>

namespace sheaf::fileset {
namespace {

TEST(Listing, FormatsSpecialBitsLikeLs) {
  EXPECT_EQ(format_mode(EntryType::file, 04755), "-rwsr-xr-x");
  EXPECT_EQ(format_mode(EntryType::file, 04644), "-rwSr--r--");
  EXPECT_EQ(format_mode(EntryType::dir, 01777), "drwxrwxrwt");
  EXPECT_EQ(format_mode(EntryType::dir, 01770), "drwxrwx--T");
  EXPECT_EQ(format_mode(EntryType::file, 02711), "-rwx--s--x");
  EXPECT_EQ(format_mode(EntryType::symlink, 0777), "lrwxrwxrwx");
}

TEST(Listing, ShowsOwnersSizesTargetsAndEscapesControlBytes) {
  Entry d{.path = "bin", .type = EntryType::dir, .mode = 0755};
  Entry f{.path = "bin/a\nb",
          .type = EntryType::file,
          .mode = 0750,
          .uid = 1,
          .gid = 2,
          .size = 42,
          .digest = Digest::of("x")};
  Entry h{.path = "bin/c", .type = EntryType::hardlink, .target = "bin/a\nb"};
  Entry l{.path = "bin/d", .type = EntryType::symlink, .mode = 0777, .target = "/etc/x"};
  std::string listing = format_listing(Manifest::from_entries({d, f, h, l}));
  EXPECT_EQ(listing,
            "drwxr-xr-x 0/0          0 bin/\n"
            "-rwxr-x--- 1/2         42 bin/a\\x0ab\n"
            "hrwxr-x--- 1/2          0 bin/c link to bin/a\\x0ab\n"
            "lrwxrwxrwx 0/0          0 bin/d -> /etc/x\n");
}

}  // namespace
}  // namespace sheaf::fileset
