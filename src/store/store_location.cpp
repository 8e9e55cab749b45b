#include "store/store_location.hpp"

#include <pwd.h>
#include <unistd.h>

#include "base/error.hpp"

namespace sheaf::store {

std::filesystem::path resolve_store_root(const std::optional<std::string>& option, const EnvLookup& env) {
  auto nonempty = [&](const char* name) -> std::optional<std::string> {
    const char* value = env(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  if (option) {
    if (option->empty()) fail_usage("--store needs a directory");
    return *option;
  }
  if (auto value = nonempty("SHEAF_STORE")) return *value;
  if (auto value = nonempty("XDG_DATA_HOME"); value && value->front() == '/') {
    return std::filesystem::path(*value) / "sheaf";
  }
  std::optional<std::string> home = nonempty("HOME");
  if (!home) {
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir != nullptr) {
      home = entry->pw_dir;
    }
  }
  if (!home || home->empty()) fail("cannot find the store: give --store DIR or set $SHEAF_STORE");
  return std::filesystem::path(*home) / ".local" / "share" / "sheaf";
}

}  // namespace sheaf::store
