#include "cli/context.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
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

nlohmann::json package_json(const Digest& id, const pkg::Package& package, const pkg::PackageMetadata& metadata) {
  nlohmann::json out = {
      {"id", id.str()},
      {"name", package.name},
      {"version", package.version},
      {"arch", package.arch},
      {"fileset", package.fileset.str()},
      {"license", metadata.license},
      {"source", {{"name", metadata.source_name}, {"version", metadata.source_version}}},
  };
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) out[key] = value;
  };
  put("depends", package.depends.str());
  put("pre-depends", package.pre_depends.str());
  put("provides", package.provides.str());
  put("conflicts", package.conflicts.str());
  put("breaks", package.breaks.str());
  put("replaces", package.replaces.str());
  put("homepage", metadata.homepage);
  put("maintainer", metadata.maintainer);
  put("section", metadata.section);
  put("priority", metadata.priority);
  put("multi_arch", metadata.multi_arch);
  put("description", metadata.description);
  if (metadata.essential) out["essential"] = true;
  if (metadata.installed_size) out["installed_size"] = *metadata.installed_size;
  if (!metadata.skipped_scripts.empty()) out["skipped_scripts"] = metadata.skipped_scripts;
  if (!metadata.conffiles.empty()) out["conffiles"] = metadata.conffiles;
  return out;
}

void print_lock_changes(std::FILE* out, const std::vector<repo::LockChange>& changes) {
  for (const auto& change : changes) {
    if (change.old_version.empty()) {
      fmt::print(out, "+ {} {}\n", change.name, change.new_version);
    } else if (change.new_version.empty()) {
      fmt::print(out, "- {} {}\n", change.name, change.old_version);
    } else {
      fmt::print(out, "~ {} {} -> {}\n", change.name, change.old_version, change.new_version);
    }
  }
}

void ProgressBar::update(double fraction, const std::string& text, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  fmt::print(stderr, "\r[{:<{}}] {}  ", std::string(static_cast<std::size_t>(filled), '#'), kWidth, text);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) fmt::print(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace sheaf::cli
