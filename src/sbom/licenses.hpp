// Debian's license names, as SPDX license expressions.
//
// A package's license comes from its DEP-5 copyright file in Debian's short
// names, joined with AND, OR and WITH (deb/copyright.hpp). An SBOM needs an
// SPDX expression: a known short name becomes its SPDX id ("GPL-2+" ->
// "GPL-2.0-or-later", "Expat" -> "MIT"); any other becomes
// "LicenseRef-Debian-<name>", which an SPDX document then defines in
// hasExtractedLicensingInfos. "X WITH Y" keeps WITH only when Y is an SPDX
// exception id; otherwise the pair becomes one LicenseRef.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace sheaf::sbom {

struct SpdxLicense {
  std::string expression;  // "NOASSERTION" when Debian's is
  // Every LicenseRef the expression uses -> the Debian text it stands for.
  std::map<std::string, std::string> refs;
};

SpdxLicense to_spdx(std::string_view debian_expression);

}  // namespace sheaf::sbom
