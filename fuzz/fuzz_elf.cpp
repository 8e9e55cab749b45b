// The ELF reader (a build's output, a package's files) on arbitrary bytes:
// it may only throw sheaf::Error, and never read outside the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/elf.hpp"
#include "base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto elf = sheaf::read_elf(bytes);
    if (elf && !sheaf::looks_like_elf(bytes)) __builtin_trap();
    if (elf) (void)sheaf::debian_arch_of_elf(*elf);
  } catch (const sheaf::Error&) {
  }
  return 0;
}
