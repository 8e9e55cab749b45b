// The files a package contributes to dpkg's database in a distroless image:
// var/lib/dpkg/status.d/<name> and var/lib/dpkg/status.d/<name>.md5sums.
// trivy and syft read this layout to learn which packages an image holds.
#pragma once

#include <string>
#include <string_view>

#include "deb/deb_archive.hpp"

namespace sheaf::deb {

// The status stanza dpkg 1.21 writes for the package once it is installed:
// the control fields in dpkg's field order and spelling, "Status: install ok
// installed" after Package (and Essential), Conffiles with each file's md5,
// and the fields dpkg does not know at the end, in their original order.
// Ends with one newline.
std::string dpkg_status_stanza(const DebArchive& deb);

// The package's md5sums, with every path in the merged-/usr layout: the
// shipped md5sums when there is one, else one line per file (and hardlink)
// computed while reading data.tar, sorted by path. Throws ParseError naming
// `where` when a shipped line is not "<32 hex digits>  <path>".
std::string dpkg_md5sums(const DebArchive& deb, std::string_view where);

}  // namespace sheaf::deb
