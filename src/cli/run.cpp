// sheaf run IMAGE [options] [-- CMD...]: run an image from the store.
#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "cli/registry_options.hpp"
#include "pipeline/run.hpp"

namespace sheaf::cli {

namespace {

struct RunArgs {
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> env;
  std::vector<std::string> volumes;
  std::string user;
  std::string workdir;
  std::string network = "none";
  bool read_only = false;
  std::string entrypoint;
  std::string runtime;
  bool keep = false;
  std::string platform;
  TrustFlags trust;
};

void run_command(Context& context, const RunArgs& options) {
  run::RunRequest request;
  request.env = options.env;
  request.volumes = options.volumes;
  if (!options.user.empty()) request.user = options.user;
  if (!options.workdir.empty()) {
    if (options.workdir.front() != '/') fail_usage("--workdir must be absolute, not {}", quote(options.workdir));
    request.workdir = options.workdir;
  }
  if (options.network == "host") {
    request.network = run::Network::host;
  } else if (options.network != "none") {
    fail_usage("--network must be none or host, not {}", quote(options.network));
  }
  request.read_only = options.read_only;
  if (!options.entrypoint.empty()) request.entrypoint = options.entrypoint;
  if (!options.command.empty()) request.cmd = options.command;
  request.runtime = options.runtime;
  request.keep = options.keep;
  pipeline::Session session = context.session();
  context.exit_code = pipeline::run(session, options.image, std::move(request), trust_options(options.trust),
                                    platform_option(options.platform));
}

}  // namespace

void register_run(CLI::App& app, Context& context) {
  auto options = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run an image from the store with runc or crun");
  cmd->footer(
      "The root is an overlay of read-only package trees, one per package and shared by\n"
      "every container, with a writable layer per container unless --read-only. A\n"
      "command after the image (or after --) replaces the image's cmd and keeps its\n"
      "entrypoint; --entrypoint replaces the entrypoint. Exit status: the container's;\n"
      "125 when sheaf could not run it, 126 when the command cannot be executed, 127\n"
      "when it is not in the image. Needs root. The trust policy must accept the\n"
      "image: one pulled from a registry under the scopes of the references it was\n"
      "pulled from, one built here under the transport \"sheaf\" (docs/formats/trust-policy.md).\n"
      "An image index runs its image for --platform, else the host's. An image for\n"
      "another architecture runs through qemu-user: a binfmt_misc handler the host\n"
      "has registered, else qemu-ARCH-static (qemu-user-static) as the container's\n"
      "first process, whose child processes are then not emulated. sheaf never\n"
      "registers binfmt handlers itself.");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_option("CMD", options->command, "The command and its arguments");
  // One value per -e or -v, so that the image's name after them stays the image.
  cmd->add_option("-e,--env", options->env, "Set KEY=VALUE (KEY alone: the value sheaf has)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("-v,--volume", options->volumes, "Bind-mount a host path: SRC:DST[:ro]")
      ->type_name("SRC:DST[:ro]")
      ->allow_extra_args(false);
  cmd->add_option("--user", options->user, "NAME, UID, or with :GROUP/:GID")->type_name("USER");
  cmd->add_option("--workdir", options->workdir, "The working directory")->type_name("DIR");
  cmd->add_option("--network", options->network, "none (default) or host")->type_name("MODE");
  cmd->add_flag("--read-only", options->read_only, "No writable layer: the root is read-only");
  cmd->add_option("--entrypoint", options->entrypoint, "Replace the image's entrypoint")->type_name("PATH");
  cmd->add_option("--runtime", options->runtime, "runc or crun (default: one that works on this host)")
      ->type_name("NAME");
  cmd->add_flag("--keep", options->keep, "Keep the bundle directory afterwards (for debugging)");
  add_platform_option(cmd, options->platform,
                      "Of an image index, run the image for this platform (default: the host's)");
  add_policy_flag(cmd, options->trust);
  cmd->callback([&context, options] {
    // podman's convention: 125 when the container could not be run at all.
    context.error_exit_code = run::kExitRunFailed;
    run_command(context, *options);
  });
}

}  // namespace sheaf::cli
