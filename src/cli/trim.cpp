// sheaf trim IMAGE [options] [-- CMD...]: an image narrowed to the files its
// workloads use, still one layer per package; --check lists what a trimmed
// image lacks for a workload.
#include <fmt/format.h>

#include "base/error.hpp"
#include "base/text.hpp"
#include "cli/context.hpp"
#include "pipeline/trim.hpp"
#include "spec/trim.hpp"

namespace sheaf::cli {

namespace {

struct TrimArgs {
  std::string image;
  std::vector<std::string> command;
  std::string workloads;
  std::vector<std::string> keep;
  std::vector<std::string> env;
  std::string user;
  std::string workdir;
  std::string entrypoint;
  std::string network;
  unsigned timeout = 60;
  bool allow_failure = false;
  bool check = false;
  std::string tag;
  pipeline::Outputs outputs;
  std::string runtime;
  unsigned jobs = 0;
};

// The workload the command line describes: CMD, or the image's own command.
spec::Workload trim_command_workload(const TrimArgs& a) {
  spec::Workload w;
  w.name = a.command.empty() && a.entrypoint.empty() ? "the image's command" : "the command line";
  if (!a.entrypoint.empty()) w.entrypoint = a.entrypoint;
  if (!a.command.empty()) w.args = a.command;
  w.env = a.env;
  if (!a.user.empty()) w.user = a.user;
  if (!a.workdir.empty()) {
    if (a.workdir.front() != '/') fail_usage("--workdir must be absolute, not {}", quote(a.workdir));
    w.workdir = a.workdir;
  }
  if (!a.network.empty()) {
    if (a.network != "host" && a.network != "none")
      fail_usage("--network must be none or host, not {}", quote(a.network));
    w.host_network = a.network == "host";
  }
  if (a.timeout == 0) fail_usage("--timeout must be at least 1 second");
  w.timeout = a.timeout;
  return w;
}

void trim_check_command(Context& context, const TrimArgs& a) {
  if (!a.workloads.empty() || !a.keep.empty() || !a.tag.empty() || !a.outputs.layout.empty()) {
    fail_usage(
        "--check runs one workload (the command after --) against a trimmed image; it takes no --workloads, "
        "--keep, --tag or -o");
  }
  pipeline::Session session = context.session();
  pipeline::TrimCheck check = pipeline::check_trim(session, a.image, trim_command_workload(a), a.runtime);
  fmt::print(stderr,
             "on the image it was trimmed from, the workload exited with {} and used {} path(s) the trim removed\n",
             check.exit_code, check.removed.size());
  for (const auto& path : check.removed) fmt::print("{}\n", path);
  context.exit_code = check.removed.empty() ? 0 : 1;
}

void trim_command(Context& context, const TrimArgs& a) {
  if (a.check) return trim_check_command(context, a);
  pipeline::TrimOptions options;
  options.image = a.image;
  if (!a.workloads.empty()) options.trim = spec::load_trim_spec(a.workloads);
  for (const auto& glob : a.keep) {
    std::string g = glob;
    g.erase(0, g.find_first_not_of('/'));
    if (g.empty()) fail_usage("--keep {} names no path", quote(glob));
    options.trim.keep.push_back(g);
  }
  if (!a.command.empty() || !a.entrypoint.empty() || a.workloads.empty()) {
    options.trim.workloads.push_back(trim_command_workload(a));
  }
  options.allow_failure = a.allow_failure;
  options.tag = a.tag;
  options.outputs = a.outputs;
  options.runtime = a.runtime;
  options.jobs = a.jobs;
  pipeline::Session session = context.session();
  pipeline::TrimResult result = pipeline::trim(session, options);
  for (const auto& run : result.runs) {
    fmt::print(stderr, "workload {}: exit {}, {} paths used\n", quote(run.name), run.exit_code, run.paths);
  }
  const pipeline::TrimSummary& s = result.summary;
  fmt::print(stderr, "trimmed {}: {} of {} packages, {} of {} entries, {} of {} of file content{}\n",
             result.source.substr(0, 19), s.packages_after, s.packages_before, s.entries_after, s.entries_before,
             human_bytes(s.bytes_after), human_bytes(s.bytes_before),
             result.tag.name.empty() ? "" : ", tagged " + result.tag.str());
  fmt::print("{}\n", result.composed.manifest.str());
}

}  // namespace

void register_trim(CLI::App& app, Context& context) {
  auto options = std::make_shared<TrimArgs>();
  CLI::App* cmd = app.add_subcommand("trim", "Narrow an image to the files its workloads use");
  cmd->footer(
      "Runs each workload in the image (as sheaf run does) with the root served through\n"
      "a tracing filesystem, and composes the image again from what they used: every\n"
      "path opened, executed, stat-ed, read as a link, listed or walked through. Each\n"
      "package keeps the paths it holds that were used, its dpkg status stanza and the\n"
      "directories above them; a package nothing used leaves the image unless --keep\n"
      "covers one of its paths. The result is still one layer per package, its SBOM\n"
      "exact; the profile (workloads, keeps, used paths per package) is recorded with\n"
      "it, shown by 'sheaf image show', and applied again by 'sheaf image update'.\n"
      "\n"
      "A command after the image (or after --) replaces the image's cmd, as in sheaf\n"
      "run; --workloads FILE adds the workloads of a TOML file, servers among them\n"
      "(docs/formats/trim.md). With neither, the image's own command is traced.\n"
      "A workload that exits non-zero is refused unless --allow-failure.\n"
      "\n"
      "--check runs the command on the image the trimmed IMAGE came from (composed again\n"
      "from its profile) and prints the paths it used there that IMAGE lacks, one per\n"
      "line; the exit status is 1 when there are any.\n"
      "Needs root. The digest of the trimmed image is the last line of stdout.");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_option("CMD", options->command, "The command and its arguments");
  cmd->add_option("--workloads", options->workloads, "A TOML file of workloads and keep globs")->type_name("FILE");
  cmd->add_option("--keep", options->keep, "Keep what this glob covers, used or not (repeatable)")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  cmd->add_option("-e,--env", options->env, "Set KEY=VALUE in the command's workload")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--user", options->user, "NAME, UID, or with :GROUP/:GID")->type_name("USER");
  cmd->add_option("--workdir", options->workdir, "The working directory")->type_name("DIR");
  cmd->add_option("--entrypoint", options->entrypoint, "Replace the image's entrypoint")->type_name("PATH");
  cmd->add_option("--network", options->network, "none (default) or host")->type_name("MODE");
  cmd->add_option("--timeout", options->timeout, "Kill the command's workload after this many seconds (60)")
      ->type_name("SECONDS");
  cmd->add_flag("--allow-failure", options->allow_failure, "Trim to workloads that exit non-zero too");
  cmd->add_flag("--check", options->check, "List the paths a workload wants that the trimmed IMAGE lacks");
  cmd->add_option("--tag", options->tag, "Tag the trimmed image NAME[:TAG] (default: IMAGE's name, tag TAG-trimmed)")
      ->type_name("NAME[:TAG]");
  cmd->add_option("-o,--output", options->outputs.layout, "Write (or add to) an OCI layout directory")
      ->type_name("DIR");
  cmd->add_flag("--sbom", options->outputs.sbom, "Attach SPDX and CycloneDX SBOMs to the -o layout");
  cmd->add_option("--runtime", options->runtime, "runc or crun (default: one that works on this host)")
      ->type_name("NAME");
  cmd->add_option("-j,--jobs", options->jobs, "Threads for making layers (default: one per core)")->type_name("N");
  cmd->callback([&context, options] { trim_command(context, *options); });
}

}  // namespace sheaf::cli
