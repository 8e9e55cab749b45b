#include "sbom/licenses.hpp"

#include <gtest/gtest.h>

namespace sheaf::sbom {
namespace {

TEST(SpdxLicense, DebianShortNamesBecomeSpdxIds) {
  EXPECT_EQ(to_spdx("GPL-2+").expression, "GPL-2.0-or-later");
  EXPECT_EQ(to_spdx("Expat").expression, "MIT");
  EXPECT_EQ(to_spdx("BSD-3-clause AND GPL-2+ AND LGPL-2.1+").expression,
            "BSD-3-Clause AND GPL-2.0-or-later AND LGPL-2.1-or-later");
  EXPECT_EQ(to_spdx("(GPL-2+ OR Artistic) AND BSD-2-clause").expression,
            "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND BSD-2-Clause");
  EXPECT_TRUE(to_spdx("GPL-2+").refs.empty());
}

TEST(SpdxLicense, UnknownNamesBecomeLicenseRefsWithTheirDebianText) {
  SpdxLicense l = to_spdx("public-domain AND GPL-2+");
  EXPECT_EQ(l.expression, "LicenseRef-Debian-public-domain AND GPL-2.0-or-later");
  ASSERT_EQ(l.refs.size(), 1u);
  EXPECT_EQ(l.refs.at("LicenseRef-Debian-public-domain"), "public-domain");
  // '+' and other characters an SPDX id cannot hold are spelt out.
  EXPECT_EQ(to_spdx("Custom+").expression, "LicenseRef-Debian-Customp");
}

TEST(SpdxLicense, WithKeepsKnownExceptionsAndFoldsOthersIntoOneRef) {
  EXPECT_EQ(to_spdx("GPL-3+ WITH GCC-exception-3.1").expression, "GPL-3.0-or-later WITH GCC-exception-3.1");
  SpdxLicense l = to_spdx("GPL-2+ with OpenSSL-exception-mine");
  EXPECT_EQ(l.expression, "LicenseRef-Debian-GPL-2p-with-OpenSSL-exception-mine");
  EXPECT_EQ(l.refs.at(l.expression), "GPL-2+ with OpenSSL-exception-mine");
}

TEST(SpdxLicense, NoAssertionStays) {
  EXPECT_EQ(to_spdx("NOASSERTION").expression, "NOASSERTION");
  EXPECT_EQ(to_spdx("").expression, "NOASSERTION");
}

}  // namespace
}  // namespace sheaf::sbom
