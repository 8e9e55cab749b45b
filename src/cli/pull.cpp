// sheaf pull docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX]: an image into the
// store, as a set of packages.
#include <fmt/format.h>

#include <chrono>

#include "base/host.hpp"
#include "cli/context.hpp"
#include "cli/registry_options.hpp"
#include "pipeline/registry.hpp"

namespace sheaf::cli {

namespace {

struct PullArgs {
  std::string source;
  std::string tag;
  std::string arch;
  std::string platform;
  RegistryFlags flags;
  TrustFlags trust;
};

void pull_command(Context& context, const PullArgs& options) {
  pipeline::PullOptions pull;
  pull.source = options.source;
  pull.registry = registry_options(options.flags);
  if (!options.tag.empty()) pull.tag = options.tag;
  if (!options.arch.empty() && !options.platform.empty()) fail_usage("give --arch or --platform, not both");
  pull.arch = options.arch;
  pull.platform = platform_option(options.platform);
  pull.threads = options.flags.jobs;
  pull.trust = trust_options(options.trust);
  auto start = std::chrono::steady_clock::now();
  pipeline::Session session = context.session();
  pipeline::PullResult r = pipeline::pull(session, pull);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.flags.json) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& d : r.images) images.push_back(d.str());
    nlohmann::json out = {{"reference", r.reference.str()},
                          {"digest", r.manifest.str()},
                          {"images", images},
                          {"tag", r.local_name},
                          {"layers", r.layers},
                          {"layers_present", r.layers_present},
                          {"layers_made", r.layers_made},
                          {"layers_downloaded", r.layers_downloaded},
                          {"bytes_downloaded", r.bytes_downloaded},
                          {"packages_added", r.packages_added},
                          {"sheaf_document", r.used_document},
                          {"signatures", r.signatures},
                          {"seconds", seconds}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print(stderr,
             "pulled {}{} as {} in {:.1f} s: {} layers, {} downloaded ({} in all), {} made from packages in the store, "
             "{} already there; {} new packages; {} signatures\n",
             r.reference.str(), r.images.empty() ? "" : fmt::format(" (an index of {} images)", r.images.size()),
             r.local_name, seconds, r.layers, r.layers_downloaded, human_bytes(r.bytes_downloaded), r.layers_made,
             r.layers_present, r.packages_added, r.signatures);
  fmt::print("{}\n", r.manifest.str());
}

}  // namespace

void register_pull(CLI::App& app, Context& context) {
  auto options = std::make_shared<PullArgs>();
  CLI::App* cmd = app.add_subcommand("pull", "Pull an image from an OCI registry into the store");
  cmd->footer(
      "The image stays a set of packages: each is rebuilt from its layer and the\n"
      "sheaf document that sheaf push wrote, and checked (the layer must be exactly the\n"
      "canonical layer of the package's FileSet, and the package document must hash to\n"
      "its id). A layer of packages the store already holds is made here, not\n"
      "downloaded. Images whose layers are not packages (no dev.sheaf.* annotations)\n"
      "are refused. An image index is pulled whole (each of its images, then the\n"
      "index, which the tag names; if one image fails, the images it stored go again),\n"
      "or, with --platform or --arch, only its image for that platform.\n"
      "The image is tagged HOST_PORT/REPOSITORY:TAG (':' in the host becomes '_';\n"
      "a digest reference gets the tag sha256-HEX) unless --tag names another, and the\n"
      "store records the reference it came from. The manifest digest is printed last.\n"
      "The trust policy (policy.json, as podman reads it) must accept the image first,\n"
      "with the simple signatures of the lookaside store that registries.d names for\n"
      "it and the sigstore signatures of its sha256-<hex>.sig tag; a refused image is\n"
      "not stored. The signatures are kept with the image, so\n"
      "that sheaf run checks it again under the policy of the day.");
  cmd->add_option("source", options->source, "docker://HOST[:PORT]/REPOSITORY[:TAG|@sha256:HEX]")->required();
  cmd->add_option("--tag", options->tag, "Tag the image NAME[:TAG] in the store instead")->type_name("NAME[:TAG]");
  cmd->add_option("--arch", options->arch, "Of an image index, take only the image for this Debian architecture");
  add_platform_option(cmd, options->platform, "Of an image index, take only the image for this platform");
  add_registry_flags(cmd, options->flags);
  add_policy_flag(cmd, options->trust);
  add_registries_d_flag(cmd, options->trust);
  cmd->callback([&context, options] { pull_command(context, *options); });
}

}  // namespace sheaf::cli
