// Control paragraphs and DEP-5 copyright files on arbitrary bytes. The control
// parser may only throw ParseError; the copyright reader never throws.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "deb/control.hpp"
#include "deb/copyright.hpp"

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
  return 0;
}
