// Control paragraphs, DEP-5 copyright files, Sources index stanzas and
// debian/changelog trailers on arbitrary bytes. The control, Sources and
// changelog readers may only throw ParseError; the copyright reader never
// throws.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "deb/control.hpp"
#include "deb/copyright.hpp"
#include "deb/source_package.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    sheaf::deb::Control control = sheaf::deb::Control::parse(text, "fuzz");
    for (const auto& field : control.fields()) {
      if (control.find(field.name) != &field) __builtin_trap();  // names are unique
    }
  } catch (const sheaf::ParseError&) {
  }
  (void)sheaf::deb::license_from_copyright(text);
  try {
    for (const auto& stanza : sheaf::deb::find_source_stanzas(text, "hello", "fuzz")) {
      // Whatever is accepted stays inside the pool: plain names, one .dsc.
      if (!stanza.dsc()) __builtin_trap();
      for (const auto& file : stanza.files) {
        if (file.name.find('/') != std::string::npos) __builtin_trap();
      }
      if (stanza.directory.starts_with('/')) __builtin_trap();
    }
  } catch (const sheaf::ParseError&) {
  }
  try {
    (void)sheaf::deb::changelog_date(text, "fuzz");
  } catch (const sheaf::ParseError&) {
  }
  return 0;
}
