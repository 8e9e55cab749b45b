// The license of a Debian package, read from its machine-readable copyright
// file (DEP-5, "copyright-format/1.0") at usr/share/doc/<package>/copyright.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sheaf::deb {

// Returns the package's license expression when `text` is a DEP-5 copyright
// file, and std::nullopt otherwise (the caller then records NOASSERTION).
//
// The expression combines the short names on the first line of every `Files`
// paragraph's License field (the header's License when no Files paragraph has
// one). Distinct expressions are sorted and joined with " AND "; DEP-5's
// "or", "and" and "with" become OR, AND and WITH, and a compound part is
// parenthesised. The names stay Debian's ("GPL-2+", "BSD-3-clause"); mapping
// them to SPDX identifiers is left to SBOM writers.
std::optional<std::string> license_from_copyright(std::string_view text);

}  // namespace sheaf::deb
