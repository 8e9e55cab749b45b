// What a registry and the user hand the registry client, on arbitrary bytes:
// docker:// references, WWW-Authenticate challenges, and the sheaf document
// and package artifact manifest a pull reads. The reference parser may only
// throw a usage Error, the document and artifact parsers only ParseError;
// the challenge parser never throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/package_artifact.hpp"
#include "image/sheaf_document.hpp"
#include "registry/auth.hpp"
#include "registry/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto ref = sheaf::registry::parse_reference(std::string("docker://") + std::string(text));
    // A parsed reference prints as one that parses to the same thing.
    auto again = sheaf::registry::parse_reference(ref.str());
    if (again.str() != ref.str()) __builtin_trap();
    (void)sheaf::registry::local_name(ref);
  } catch (const sheaf::Error& e) {
    if (e.kind() != sheaf::ErrorKind::usage) __builtin_trap();
  }
  for (const auto& challenge : sheaf::registry::parse_challenges(text)) {
    if (challenge.scheme.empty()) __builtin_trap();
  }
  try {
    auto doc = sheaf::image::parse_image_document(text, "fuzz");
    (void)sheaf::image::render_image_document(doc);
  } catch (const sheaf::ParseError&) {
  }
  try {
    auto layout = sheaf::image::parse_package_artifact(text, "fuzz");
    if (layout.document.media_type != sheaf::image::kMediaTypePackageDocument) __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
  return 0;
}
