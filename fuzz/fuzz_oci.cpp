// OCI documents on arbitrary bytes: index.json comes from layouts other tools
// wrote, and manifests and configs from blobs. Each parser may only throw
// ParseError, and what parses must survive a render and a second parse.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "oci/documents.hpp"

namespace {

template <typename Parse>
void round_trip(std::string_view text, Parse parse) {
  try {
    auto first = parse(text);
    auto second = parse(sheaf::oci::render(first));
    if (!(second == first)) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip(text, [](std::string_view t) { return sheaf::oci::parse_index(t, "index.json"); });
  round_trip(text, [](std::string_view t) { return sheaf::oci::parse_manifest(t, "manifest"); });
  round_trip(text, [](std::string_view t) { return sheaf::oci::parse_config(t, "config"); });
  return 0;
}
