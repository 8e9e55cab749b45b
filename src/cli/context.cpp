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

CLI::Option* add_platform_option(CLI::App* cmd, std::string& platform, const std::string& help) {
  return cmd->add_option("--platform", platform, help)->type_name("OS/ARCH[/VARIANT]");
}

std::optional<oci::Platform> platform_option(const std::string& platform) {
  if (platform.empty()) return std::nullopt;
  return oci::parse_platform(platform);
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}
bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
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

void TerminalReporter::warning(const std::string& text) {
  std::lock_guard guard(mutex_);
  bar_.finish();
  fmt::print(stderr, "warning: {}\n", text);
}

void TerminalReporter::note(const std::string& text) {
  std::lock_guard guard(mutex_);
  bar_.finish();
  fmt::print(stderr, "{}\n", text);
}

void TerminalReporter::suggestion(const image::Suggestion& suggestion) {
  std::lock_guard guard(mutex_);
  bar_.finish();
  fmt::print(stderr, "suggestion: include {} ({})\n", suggestion.package, suggestion.reason);
}

void TerminalReporter::progress(const pipeline::Progress& p) {
  if (!stderr_is_terminal()) return;
  std::lock_guard guard(mutex_);
  bool done = p.done == p.total;
  if (p.stage == pipeline::Progress::Stage::layers) {
    bar_.update(p.total ? static_cast<double>(p.done) / static_cast<double>(p.total) : 1.0,
                fmt::format("making layers {}/{}", p.done, p.total), done);
    return;
  }
  double fraction = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 1.0;
  std::string_view what = p.stage == pipeline::Progress::Stage::uploading     ? "pushing {}/{} blobs, {} / {}"
                          : p.stage == pipeline::Progress::Stage::downloading ? "pulling {}/{} layers, {} / {}"
                                                                              : "fetching {}/{} packages, {} / {}";
  bar_.update(fraction,
              fmt::format(fmt::runtime(what), p.done, p.total, human_bytes(p.bytes_done), human_bytes(p.bytes_total)),
              done);
}

void TerminalReporter::progress_end() {
  std::lock_guard guard(mutex_);
  bar_.finish();
}

pipeline::Session Context::session() {
  return pipeline::Session([this] { return open_store(); }, reporter);
}

}  // namespace sheaf::cli
