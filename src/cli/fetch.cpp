// sheaf fetch [-f sheaf.toml] [-j N]: download the locked .deb files into the
// store.
#include <fmt/format.h>

#include <chrono>

#include "cli/context.hpp"
#include "pipeline/fetch.hpp"

namespace sheaf::cli {

namespace {

struct FetchArgs {
  std::string spec = "sheaf.toml";
  unsigned jobs = 4;
};

void fetch_command(Context& context, const FetchArgs& options) {
  auto spec = spec::Spec::load(options.spec);
  auto start = std::chrono::steady_clock::now();
  pipeline::Session session = context.session();
  pipeline::FetchOutcome outcome = pipeline::fetch(session, spec, {.jobs = options.jobs});
  const repo::FetchReport& report = outcome.report;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string registry = outcome.registry_pulled + outcome.registry_present > 0
                             ? fmt::format(", pulled {} registry packages", outcome.registry_pulled)
                             : "";
  fmt::print(stderr, "fetched {} of {} locked packages ({} downloaded){} in {:.1f} s; {} already in the store{}\n",
             report.downloaded, outcome.locked, human_bytes(report.bytes), registry, seconds,
             report.present + outcome.registry_present, pipeline::shared_summary(report));
}

}  // namespace

void register_fetch(CLI::App& app, Context& context) {
  auto options = std::make_shared<FetchArgs>();
  CLI::App* cmd = app.add_subcommand("fetch", "Download the locked .deb files into the store");
  cmd->footer(
      "Every package in sheaf.lock that the store lacks is downloaded (in parallel,\n"
      "with retries, resuming a transfer that broke), checked against the lock's size\n"
      "and sha256, and imported as 'sheaf pkg import' does, all in one batch. A package\n"
      "the store already holds from the same .deb is not downloaded again.");
  cmd->add_option("-f,--file", options->spec, "The spec (default: sheaf.toml)")->type_name("SPEC");
  cmd->add_option("-j,--jobs", options->jobs, "Downloads at once (default 4)");
  cmd->callback([&context, options] { fetch_command(context, *options); });
}

}  // namespace sheaf::cli
