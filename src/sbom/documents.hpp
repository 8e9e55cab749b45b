// SPDX 2.3 and CycloneDX 1.5 JSON documents of an image (sbom/inventory.hpp).
//
// Both are functions of the inventory alone, so the same image gives the
// same bytes on every machine:
//   - ids come from package names and ids (SPDXRef-Package-<name>-<12 hex>;
//     CycloneDX bom-refs are the purls);
//   - SPDX's documentNamespace and CycloneDX's serialNumber are
//     "urn:uuid:" + a UUID made from the sha256 of the image digest (version
//     and variant bits set as RFC 4122 version 5 asks, so validators accept
//     it);
//   - the timestamps are the image's "created".
// Each package carries its name, version, purl (the layer annotation's),
// the sha256 of its layer, its license (SPDX ids where Debian's short name
// has one, LicenseRef-Debian-* otherwise), its supplier (the Maintainer)
// and its source package, in the fields trivy's and grype's readers use.
// The OS is a component of its own ("operating-system"; an SPDX package
// SPDXRef-OperatingSystem-...) that the Debian packages belong to; the
// assembly and every [[files]] package are components of their own; the
// dependency relationships are the members' Depends and Pre-Depends as the
// set answers them; drop_paths are recorded on the image and on each
// package they shrank.
#pragma once

#include <string>

#include "sbom/inventory.hpp"

namespace sheaf::sbom {

std::string render_spdx(const Inventory& inventory);
std::string render_cyclonedx(const Inventory& inventory);

// "urn:uuid:..." derived from `seed` (sha256), for document ids.
std::string uuid_urn(std::string_view seed);

}  // namespace sheaf::sbom
