#include "cli/context.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/error.hpp"
#include "pkg/import_deb.hpp"
#include "pkg/package_ref.hpp"
#include "repo/fetcher.hpp"
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

void print_suggestion(const image::Suggestion& suggestion) {
  fmt::print(stderr, "suggestion: include {} ({})\n", suggestion.package, suggestion.reason);
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
  if (metadata.derivation != 0) {
    out["derivation"] = metadata.derivation;
    out["effects"] = deb::effects_to_json(metadata.effects);
    out["needs"] = deb::needs_to_json(metadata.needs);
  }
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

std::optional<std::int64_t> source_date_epoch() {
  const char* text = std::getenv("SOURCE_DATE_EPOCH");
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 0) fail_usage("SOURCE_DATE_EPOCH={} is not a number of seconds", text);
  return static_cast<std::int64_t>(value);
}

void fetch_with_progress(store::LocalStore& store, const repo::Lockfile& lock,
                         const std::vector<repo::SuiteSource>& suites, const repo::NetworkSettings& network,
                         unsigned threads) {
  ProgressBar bar;
  // At least four transfers at once; more on a machine with more cores,
  // since each worker also decompresses the .deb it fetched.
  repo::FetchOptions fetch{.jobs = std::max(4u, threads),
                           .note = [](const std::string& n) { fmt::print(stderr, "{}\n", n); }};
  if (stderr_is_terminal()) {
    fetch.on_progress = [&bar](const repo::FetchProgress& p) {
      double f = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 1.0;
      bar.update(f, fmt::format("fetching {}/{} packages, {}", p.files_done, p.files_total, human_bytes(p.bytes_done)));
    };
  }
  repo::FetchReport report;
  try {
    report = repo::fetch_locked(store, lock, suites, network, fetch);
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();
  fmt::print(stderr, "fetched {} packages ({}){}\n", report.downloaded, human_bytes(report.bytes),
             shared_summary(report));
}

std::string shared_summary(const repo::FetchReport& report) {
  std::string out;
  if (report.shared > 0) {
    out += fmt::format("; {} more came from other sheaf processes fetching at the same time", report.shared);
  }
  if (report.taken_over > 0) {
    out += fmt::format("; {} of the downloads were finished from where a sheaf process that died left them",
                       report.taken_over);
  }
  return out;
}

std::vector<std::string> locked_package_ids(store::LocalStore& store, const repo::Lockfile& lock) {
  std::vector<std::string> ids;
  for (const auto& p : lock.packages) {
    auto records = store.index().packages_with_origin(pkg::deb_origin(p.sha256, p.size));
    const store::PackageRecord* match = nullptr;
    for (const auto& r : records) {
      if (r.name == p.name) match = &r;
    }
    if (!match) fail("{} {} is locked but not in the store after fetching", p.name, p.version);
    ids.push_back(match->id);
  }
  return ids;
}

}  // namespace sheaf::cli
