#include "pkg/purl.hpp"

#include <gtest/gtest.h>

namespace sheaf::pkg {
namespace {

TEST(Purl, DebianPackagesAsTrivyAndSyftSpellThem) {
  EXPECT_EQ(deb_purl("libssl3", "3.0.11-1~deb12u2", "amd64", "debian-12"),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
  EXPECT_EQ(deb_purl("python3", "3.11.2-1+b1", "amd64", "debian-12"),
            "pkg:deb/debian/python3@3.11.2-1%2Bb1?arch=amd64&distro=debian-12");
}

TEST(Purl, AnEpochBecomesAQualifier) {
  EXPECT_EQ(deb_purl("libgcrypt20", "1:1.10.1-3", "amd64", "debian-12"),
            "pkg:deb/debian/libgcrypt20@1.10.1-3?arch=amd64&distro=debian-12&epoch=1");
}

TEST(Purl, GenericPackages) {
  EXPECT_EQ(generic_purl("sheaf-assembly", "0+ab12"), "pkg:generic/sheaf-assembly@0%2Bab12");
}

}  // namespace
}  // namespace sheaf::pkg
