// sheaf fetch [-f sheaf.toml] [-j N]: download the locked .deb files into the
// store.
#include <fmt/format.h>

#include <chrono>
#include <mutex>

#include "base/error.hpp"
#include "base/host.hpp"
#include "cli/context.hpp"
#include "repo/apt_config.hpp"
#include "repo/fetcher.hpp"

namespace sheaf::cli {

namespace {

struct Options {
  std::string spec = "sheaf.toml";
  unsigned jobs = 4;
};

void run(Context& context, const Options& options) {
  if (options.jobs == 0) fail_usage("--jobs must be at least 1");
  auto spec = spec::Spec::load(options.spec);
  auto path = repo::lock_path_for(spec.path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("{} does not exist; run 'sheaf lock' first", quote(path.string()));
  auto lock = repo::Lockfile::load(path);
  auto problems = repo::lock_problems(lock, spec);
  if (!problems.empty()) {
    fail("{} no longer satisfies {}; run 'sheaf lock':\n  - {}", quote(path.string()), quote(spec.path.string()),
         fmt::join(problems, "\n  - "));
  }
  auto store = context.open_store();
  auto start = std::chrono::steady_clock::now();
  repo::FetchReport report;
  if (repo::missing_packages(*store, lock).empty()) {
    report.present = lock.packages.size();  // nothing to do: no apt configuration, no network
  } else {
    repo::NetworkSettings network;
    network.apt = repo::load_host_apt_config();
    auto suites = repo::plan_suites(*spec.debian, network.apt);
    ProgressBar bar;
    repo::FetchOptions fetch{.jobs = options.jobs,
                             .note = [](const std::string& n) { fmt::print(stderr, "{}\n", n); }};
    if (stderr_is_terminal()) {
      fetch.on_progress = [&bar](const repo::FetchProgress& p) {
        double fraction = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 1.0;
        bar.update(fraction,
                   fmt::format("{}/{} files, {} / {}", p.files_done, p.files_total, human_bytes(p.bytes_done),
                               human_bytes(p.bytes_total)),
                   p.files_done == p.files_total);
      };
    }
    try {
      report = repo::fetch_locked(*store, lock, suites, network, fetch);
    } catch (...) {
      bar.finish();
      throw;
    }
    bar.finish();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "fetched {} of {} locked packages ({} downloaded) in {:.1f} s; {} already in the store{}\n",
             report.downloaded, lock.packages.size(), human_bytes(report.bytes), seconds, report.present,
             shared_summary(report));
}

}  // namespace

void register_fetch(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("fetch", "Download the locked .deb files into the store");
  cmd->footer(
      "Every package in sheaf.lock that the store lacks is downloaded (in parallel,\n"
      "with retries, resuming a transfer that broke), checked against the lock's size\n"
      "and sha256, and imported as 'sheaf pkg import' does, all in one batch. A package\n"
      "the store already holds from the same .deb is not downloaded again.");
  cmd->add_option("-f,--file", options->spec, "The spec (default: sheaf.toml)")->type_name("SPEC");
  cmd->add_option("-j,--jobs", options->jobs, "Downloads at once (default 4)");
  cmd->callback([&context, options] { run(context, *options); });
}

}  // namespace sheaf::cli
