// Manifest::parse on arbitrary bytes: it must either throw ParseError or
// accept exactly the bytes it would write itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "fileset/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto manifest = sheaf::fileset::Manifest::parse(bytes, "fuzz");
    if (manifest.serialize() != bytes) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
  return 0;
}
