// Package URLs (github.com/package-url/purl-spec): the one spelling of a
// package's identity that layer annotations, SBOMs and audits share.
//
//   Debian:  pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12
//            with "&epoch=N" when the version has an epoch, which then
//            leaves the version ("1:2.3-1" -> "2.3-1", epoch=1)
//   others:  pkg:generic/NAME@VERSION   (local files, the assembly layer)
//
// Qualifiers are in byte order and values percent-encoded, so "+" in
// "3.11.2-1+b1" becomes "%2B", as trivy and syft write it.
#pragma once

#include <string>
#include <string_view>

namespace sheaf::pkg {

// `distro` is "debian-12" (or "debian-<codename>" for an unnumbered release).
std::string deb_purl(std::string_view name, std::string_view version, std::string_view arch, std::string_view distro);
std::string generic_purl(std::string_view name, std::string_view version);

// purl's percent-encoding: everything but ASCII letters, digits and ".-_~".
std::string purl_encode(std::string_view text);

}  // namespace sheaf::pkg
