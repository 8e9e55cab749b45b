#include "image/glob.hpp"

#include <gtest/gtest.h>

namespace sheaf::image {
namespace {

TEST(Glob, StarAndQuestionMarkStayInOneComponent) {
  EXPECT_TRUE(glob_matches("usr/share/man/*/man1/*.gz", "usr/share/man/de/man1/ls.1.gz"));
  EXPECT_FALSE(glob_matches("usr/share/man/*/man1/*.gz", "usr/share/man/de/x/man1/ls.1.gz"));
  EXPECT_TRUE(glob_matches("usr/bin/python3.1?", "usr/bin/python3.11"));
  EXPECT_FALSE(glob_matches("usr/bin/python3.1?", "usr/bin/python3.1/x"));
  EXPECT_TRUE(glob_matches("*", "etc"));
  EXPECT_FALSE(glob_matches("*", "etc/passwd"));
}

TEST(Glob, DoubleStarSpansComponents) {
  EXPECT_TRUE(glob_matches("usr/share/doc/**", "usr/share/doc/libc6/copyright"));
  EXPECT_TRUE(glob_matches("usr/share/doc/**", "usr/share/doc/libc6"));
  EXPECT_FALSE(glob_matches("usr/share/doc/**", "usr/share/doc"));  // what it holds, not itself
  EXPECT_TRUE(glob_matches("**/__pycache__", "usr/lib/python3/__pycache__"));
  EXPECT_TRUE(glob_matches("**/__pycache__", "__pycache__"));
  EXPECT_TRUE(glob_matches("usr/**/*.pyc", "usr/lib/python3.11/x/y.pyc"));
  EXPECT_TRUE(glob_matches("usr/**/*.pyc", "usr/y.pyc"));
}

TEST(Glob, DroppedByCoversEverythingBelowAMatch) {
  std::vector<std::string> globs{"usr/share/locale"};
  EXPECT_TRUE(dropped_by(globs, "usr/share/locale"));
  EXPECT_TRUE(dropped_by(globs, "usr/share/locale/de/LC_MESSAGES/x.mo"));
  EXPECT_FALSE(dropped_by(globs, "usr/share/localex"));
  EXPECT_FALSE(dropped_by({}, "anything"));
}

}  // namespace
}  // namespace sheaf::image
