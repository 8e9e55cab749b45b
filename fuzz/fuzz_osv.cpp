// OSV records on arbitrary bytes: parsing never crashes, every kept entry's
// versions parse as Debian versions, and evaluating them never crashes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "deb/version.hpp"
#include "sbom/osv.hpp"

using namespace sheaf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> problems;
  bool other = false;
  try {
    sbom::OsvRecord record = sbom::parse_osv(text, "Debian:12", "fuzz.json", problems, other);
    for (const auto& affected : record.affected) {
      for (const auto& v : affected.versions) {
        if (v != "0" && !deb::Version::try_parse(v)) __builtin_trap();
      }
      for (const char* installed : {"0", "1.0-1", "1:2.3~rc1-1+b1", "3.0.11-1~deb12u2"}) {
        (void)sbom::evaluate(affected, installed);
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
