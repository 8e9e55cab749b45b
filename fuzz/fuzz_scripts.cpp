// Maintainer scripts on arbitrary bytes: the reader never throws, never
// runs anything, stays within its bounds, and what it derives survives its
// JSON form. The shell parser may only throw ParseError; the filters only
// FilterError.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "deb/program_needs.hpp"
#include "deb/script_effects.hpp"
#include "deb/shell_filters.hpp"
#include "deb/shell_script.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)sheaf::deb::parse_shell(text, "fuzz");
  } catch (const sheaf::ParseError&) {
  }
  sheaf::deb::PackageFiles files{{"/usr/bin/tool", sheaf::fileset::EntryType::file},
                                 {"/etc/tool", sheaf::fileset::EntryType::dir},
                                 {"/etc/tool/tool.conf", sheaf::fileset::EntryType::file}};
  auto read = [](const std::string& path) -> std::optional<std::string> {
    if (path == "/etc/tool/tool.conf") return std::string("port = 1\n");
    return std::nullopt;
  };
  auto effects = sheaf::deb::derive_script_effects({{"postinst", text}}, files, "tool", "amd64", read);
  auto json = sheaf::deb::effects_to_json(effects);
  (void)sheaf::canonical_json(json);  // every string is valid UTF-8
  if (sheaf::deb::effects_from_json(json) != effects) __builtin_trap();
  (void)sheaf::deb::shell_script_commands(text);
  (void)sheaf::deb::interpreter_needs(text);
  try {
    (void)sheaf::deb::run_filter({"sed", text}, "a line\nanother\n");
  } catch (const sheaf::deb::FilterError&) {
  }
  return 0;
}
