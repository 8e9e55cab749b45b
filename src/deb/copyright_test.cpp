#include "deb/copyright.hpp"

#include <gtest/gtest.h>

#include "testing/deb_fixture.hpp"

namespace sheaf::deb {
namespace {

constexpr std::string_view kHeader = sheaf::testing::kDep5Format;

TEST(Copyright, ReadsTheLicenseOfAMachineReadableFile) {
  std::string text = std::string(kHeader) + "Upstream-Name: x\n\nFiles: *\nCopyright: 2020 A\nLicense: MIT\n";
  EXPECT_EQ(license_from_copyright(text), "MIT");
}

TEST(Copyright, CombinesTheLicensesOfEveryFilesParagraph) {
  std::string text = std::string(kHeader) +
                     "\nFiles: *\nCopyright: A\nLicense: GPL-2+ or Artistic\n"
                     "\nFiles: lib/*\nCopyright: B\nLicense: LGPL-2.1+\n"
                     "\nFiles: debian/*\nCopyright: C\nLicense: GPL-2+ or Artistic\n"
                     "\nLicense: LGPL-2.1+\n The full text, which is not a Files paragraph.\n";
  EXPECT_EQ(license_from_copyright(text), "(GPL-2+ OR Artistic) AND LGPL-2.1+");
}

TEST(Copyright, FallsBackToTheHeaderLicense) {
  std::string text = std::string(kHeader) + "License: BSD-3-clause\n";
  EXPECT_EQ(license_from_copyright(text), "BSD-3-clause");
}

TEST(Copyright, GivesNothingForAFreeFormFile) {
  EXPECT_EQ(license_from_copyright("This package was debianized by someone.\n\nLicense: GPL\n"), std::nullopt);
  EXPECT_EQ(license_from_copyright(""), std::nullopt);
  EXPECT_EQ(license_from_copyright(std::string(kHeader) + "\nFiles: *\nCopyright: A\n"), std::nullopt);
}

}  // namespace
}  // namespace sheaf::deb
