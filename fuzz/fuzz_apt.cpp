// What a mirror or the host's apt configuration hands sheaf, on arbitrary
// bytes: Release files, clearsign armour, sources lists (both syntaxes) and
// auth.conf. Each parser may only throw ParseError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "repo/apt_config.hpp"
#include "repo/release.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto release = sheaf::repo::Release::parse(sheaf::repo::strip_clearsign(text), "fuzz");
    for (const auto& hex : release.sha256_hexes()) {
      if (hex.size() != 64) __builtin_trap();
    }
  } catch (const sheaf::ParseError&) {
  }
  (void)sheaf::repo::parse_release_date(text);
  try {
    (void)sheaf::repo::parse_sources_list(text, "fuzz.list");
  } catch (const sheaf::ParseError&) {
  }
  try {
    (void)sheaf::repo::parse_sources_deb822(text, "fuzz.sources");
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto entries = sheaf::repo::parse_auth_conf(text, "auth.conf");
    (void)sheaf::repo::find_credentials(entries, "http://127.0.0.1:8000/debian/dists/x");
  } catch (const sheaf::ParseError&) {
  }
  (void)sheaf::repo::parse_apt_config_dump(text);
  return 0;
}
