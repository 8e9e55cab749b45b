#include "cli/context.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "pkg/package_ref.hpp"
#include "store/store_location.hpp"

namespace sheaf::cli {

std::unique_ptr<store::LocalStore> Context::open_store() const {
  auto root = store::resolve_store_root(store_option, [](const char* name) { return std::getenv(name); });
  return std::make_unique<store::LocalStore>(root);
}

store::PackageRecord resolve_package_ref(store::LocalStore& store, std::string_view ref) {
  pkg::ResolvedPackage resolved = pkg::resolve_package(store.index(), ref);
  if (!resolved.note.empty()) fmt::print(stderr, "sheaf: {}\n", resolved.note);
  return resolved.record;
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}
bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace sheaf::cli
