// Relation fields and versions on arbitrary bytes. Checks that the canonical
// spelling parses back to the same relations, and that version ordering is
// antisymmetric.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"

using namespace sheaf::deb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto kind : {RelationKind::dependency, RelationKind::conflict, RelationKind::provides}) {
    try {
      Relations relations = Relations::parse(text, kind, "fuzz");
      Relations again = Relations::parse(relations.str(), kind, "fuzz");
      if (!(again == relations) || again.str() != relations.str()) __builtin_trap();
    } catch (const sheaf::ParseError&) {
    }
  }
  auto newline = text.find('\n');
  if (newline != std::string_view::npos) {
    auto a = Version::try_parse(text.substr(0, newline));
    auto b = Version::try_parse(text.substr(newline + 1));
    if (a && b) {
      auto forward = *a <=> *b;
      auto backward = *b <=> *a;
      if ((forward < 0) != (backward > 0) || (forward == 0) != (backward == 0)) __builtin_trap();
    }
  }
  return 0;
}
