// sheaf.toml and sheaf.lock on arbitrary bytes. Both parsers may only throw
// ParseError (a newer lock format is an Error too); a lock that parses must
// render and parse back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "repo/lockfile.hpp"
#include "spec/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)sheaf::spec::Spec::parse(text, "/fuzz/sheaf.toml");
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto lock = sheaf::repo::Lockfile::parse(text, "/fuzz/sheaf.lock");
    std::string rendered = lock.render();
    if (sheaf::repo::Lockfile::parse(rendered, "again").render() != rendered) __builtin_trap();
  } catch (const sheaf::Error&) {
  }
  return 0;
}
