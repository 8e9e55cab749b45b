#include "pkg/purl.hpp"

#include <fmt/format.h>

namespace sheaf::pkg {

std::string purl_encode(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                 c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string deb_purl(std::string_view name, std::string_view version, std::string_view arch, std::string_view distro) {
  std::string_view epoch;
  if (auto colon = version.find(':'); colon != std::string_view::npos) {
    epoch = version.substr(0, colon);
    version.remove_prefix(colon + 1);
  }
  std::string out =
      fmt::format("pkg:deb/debian/{}@{}?arch={}", purl_encode(name), purl_encode(version), purl_encode(arch));
  if (!distro.empty()) out += "&distro=" + purl_encode(distro);
  if (!epoch.empty()) out += "&epoch=" + purl_encode(epoch);
  return out;
}

std::string generic_purl(std::string_view name, std::string_view version) {
  return fmt::format("pkg:generic/{}@{}", purl_encode(name), purl_encode(version));
}

}  // namespace sheaf::pkg
