// Package::from_document on arbitrary bytes: ParseError, or a document that
// re-serialises to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "pkg/package.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto package = sheaf::pkg::Package::from_document(bytes, "fuzz");
    if (package.document() != bytes) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
  return 0;
}
