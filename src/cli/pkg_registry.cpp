// sheaf pkg push PKG docker://... and sheaf pkg pull docker://...: one
// package through an OCI registry, as an artifact whose layer is the one
// images use (docs/formats/package-artifact.md).
#include <fmt/format.h>

#include <chrono>

#include "base/text.hpp"
#include "cli/context.hpp"
#include "cli/registry_options.hpp"
#include "pipeline/registry.hpp"

namespace sheaf::cli {

namespace {

struct PushOptions {
  std::string package;
  std::string destination;
  RegistryFlags flags;
};

void run_push(Context& context, const PushOptions& options) {
  pipeline::PackagePushOptions push{options.package, options.destination, registry_options(options.flags),
                                    options.flags.jobs};
  pipeline::Session session = context.session();
  pipeline::PackagePushResult r = pipeline::push_package(session, push);
  if (options.flags.json) {
    nlohmann::json out = {{"reference", r.reference.str()}, {"digest", r.manifest.str()},
                          {"package", {{"name", r.name}, {"version", r.version}, {"id", r.id}}},
                          {"layer", r.layer.str()},       {"blobs", r.blobs},
                          {"present", r.present},         {"mounted", r.mounted},
                          {"uploaded", r.uploaded},       {"bytes_uploaded", r.bytes_uploaded},
                          {"signatures", r.signatures}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print(stderr, "pushed {} {} to {}: {} blobs, {} uploaded ({}), {} mounted, {} already there; {} signatures\n",
             r.name, r.version, r.reference.str(), r.blobs, r.uploaded, human_bytes(r.bytes_uploaded), r.mounted,
             r.present, r.signatures);
  fmt::print("{}\n", r.manifest.str());
}

struct PullOptions {
  std::string source;
  RegistryFlags flags;
};

void run_pull(Context& context, const PullOptions& options) {
  pipeline::PackagePullOptions pull{options.source, registry_options(options.flags), std::nullopt};
  auto start = std::chrono::steady_clock::now();
  pipeline::Session session = context.session();
  pipeline::PackagePullResult r = pipeline::pull_package(session, pull);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.flags.json) {
    nlohmann::json out = {{"reference", r.reference.str()},
                          {"digest", r.manifest.str()},
                          {"package", {{"name", r.name}, {"version", r.version}, {"arch", r.arch}, {"id", r.id}}},
                          {"added", r.added},
                          {"layer_downloaded", r.layer_downloaded},
                          {"layer_made", r.layer_made},
                          {"bytes_downloaded", r.bytes_downloaded},
                          {"signatures", r.signatures},
                          {"seconds", seconds}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  const char* how = !r.added ? "the store had it" : r.layer_downloaded ? "layer downloaded" : "layer made from the store";
  fmt::print(stderr, "pulled {} {} from {} in {:.1f} s ({}; {} downloaded; {} signatures)\n", r.name, r.version,
             r.reference.str(), seconds, how, human_bytes(r.bytes_downloaded), r.signatures);
  fmt::print("{}\n", r.id);
}

}  // namespace

void register_pkg_push(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PushOptions>();
  CLI::App* cmd = pkg.add_subcommand("push", "Push a package to an OCI registry as an artifact");
  cmd->footer(
      "The artifact is an OCI image manifest (artifactType\n"
      "application/vnd.sheaf.package.v1+json, empty config) whose layers are the package\n"
      "document, its FileSet manifest, its metadata, its maintainer scripts when it has\n"
      "any, and the package's layer: the same blob as in every image that holds the\n"
      "package without drop_paths, so a registry stores it once.\n"
      "Without a tag in the reference, the package's version is the tag (when it is a\n"
      "valid OCI tag; otherwise name one). The package's signatures (sheaf pkg sign)\n"
      "go with it, as referrers of the artifact. The artifact's digest is printed last.");
  cmd->add_option("package", options->package, "NAME, NAME@VERSION, NAME:ARCH or an id (prefix)")->required();
  cmd->add_option("destination", options->destination, "docker://HOST[:PORT]/REPOSITORY[:TAG]")->required();
  add_registry_flags(cmd, options->flags);
  cmd->callback([&context, options] { run_push(context, *options); });
}

void register_pkg_pull(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PullOptions>();
  CLI::App* cmd = pkg.add_subcommand("pull", "Pull a package artifact from an OCI registry into the store");
  cmd->footer(
      "Checks everything against the package id: the package document must hash to\n"
      "it, the FileSet manifest must be the one the document names, and the layer must\n"
      "be exactly the canonical layer of that FileSet. When the store already holds every\n"
      "file's content, the layer is made here instead of downloaded. The store records\n"
      "the reference as the package's origin. The package id is printed last.");
  cmd->add_option("source", options->source, "docker://HOST[:PORT]/REPOSITORY[:TAG|@sha256:HEX]")->required();
  add_registry_flags(cmd, options->flags);
  cmd->callback([&context, options] { run_pull(context, *options); });
}

}  // namespace sheaf::cli
