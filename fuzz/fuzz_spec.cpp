// sheaf.toml and sheaf.lock on arbitrary bytes. Both parsers may only throw
// ParseError (a newer lock format is an Error too); a lock that parses must
// render and parse back to the same bytes, an index's lock included.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "repo/lockfile.hpp"
#include "spec/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto spec = sheaf::spec::Spec::parse(text, "/fuzz/sheaf.toml");
    // Each architecture of an index gives a spec of its own.
    if (spec.debian) {
      for (const auto& arch : spec.debian->arches) (void)spec.for_arch(arch);
    }
  } catch (const sheaf::ParseError&) {
  }
  try {
    // Every lock format, an index's (format 7) included.
    auto lock = sheaf::repo::LockSet::parse(text, "/fuzz/sheaf.lock");
    std::string rendered = lock.render();
    if (sheaf::repo::LockSet::parse(rendered, "again").render() != rendered) __builtin_trap();
  } catch (const sheaf::Error&) {
  }
  return 0;
}
