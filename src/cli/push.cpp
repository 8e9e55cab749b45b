// sheaf push IMAGE docker://HOST[:PORT]/REPO[:TAG]: an image, its sheaf
// document and, with --sbom, its SBOMs into an OCI registry.
#include <fmt/format.h>

#include <chrono>

#include "cli/context.hpp"
#include "cli/registry_options.hpp"
#include "pipeline/registry.hpp"

namespace sheaf::cli {

namespace {

struct PushArgs {
  std::string image;
  std::string destination;
  bool sbom = false;
  std::string platform;
  RegistryFlags flags;
  TrustFlags trust;
};

void push_command(Context& context, const PushArgs& options) {
  pipeline::PushOptions push;
  push.image = options.image;
  push.destination = options.destination;
  push.registry = registry_options(options.flags);
  push.sbom = options.sbom;
  push.threads = options.flags.jobs;
  push.trust = trust_options(options.trust);
  push.platform = platform_option(options.platform);
  auto start = std::chrono::steady_clock::now();
  pipeline::Session session = context.session();
  pipeline::PushResult r = pipeline::push(session, push);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.flags.json) {
    nlohmann::json sboms = nlohmann::json::array();
    for (const auto& d : r.sboms) sboms.push_back(d.str());
    nlohmann::json images = nlohmann::json::array();
    for (const auto& d : r.images) images.push_back(d.str());
    nlohmann::json out = {{"reference", r.reference.str()},
                          {"digest", r.manifest.str()},
                          {"images", images},
                          {"document", r.document.str()},
                          {"sboms", sboms},
                          {"blobs", r.blobs},
                          {"present", r.present},
                          {"mounted", r.mounted},
                          {"uploaded", r.uploaded},
                          {"bytes_uploaded", r.bytes_uploaded},
                          {"layers_rebuilt", r.layers_rebuilt},
                          {"referrers_api", r.referrers_api},
                          {"signatures", r.signatures},
                          {"signatures_to", r.signatures_to},
                          {"sigstore_signatures", r.sigstore_signatures},
                          {"sigstore_tag", r.sigstore_tag},
                          {"seconds", seconds}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (!r.images.empty()) fmt::print(stderr, "pushed the index's {} images and the index\n", r.images.size());
  fmt::print(stderr, "pushed {} in {:.1f} s: {} blobs, {} uploaded ({}), {} mounted, {} already there; referrers {}\n",
             r.reference.str(), seconds, r.blobs, r.uploaded, human_bytes(r.bytes_uploaded), r.mounted, r.present,
             r.referrers_api    ? "through the referrers API"
             : r.images.empty() ? "under the tag " + registry::referrers_tag(r.manifest)
                                : "under each image's tag sha256-<hex>");
  if (r.signatures > 0) fmt::print(stderr, "wrote {} signatures to {}\n", r.signatures, r.signatures_to);
  if (!r.sigstore_tag.empty()) {
    fmt::print(stderr, "{} holds {} sigstore signatures\n", r.sigstore_tag, r.sigstore_signatures);
  }
  fmt::print("{}\n", r.manifest.str());
}

}  // namespace

void register_push(CLI::App& app, Context& context) {
  auto options = std::make_shared<PushArgs>();
  CLI::App* cmd = app.add_subcommand("push", "Push an image to an OCI registry");
  cmd->footer(
      "Each blob the registry lacks is uploaded (one PUT, or PATCH chunks for large\n"
      "ones, resumed after a dropped connection), or mounted from another repository\n"
      "of the same registry that the store knows holds it. Then the image manifest,\n"
      "the sheaf document (the packages' documents, FileSets and metadata, the drop\n"
      "filter and the sources: what a pull needs to rebuild the packages), the SBOMs\n"
      "with --sbom, the tag, and last the image's signatures (sheaf sign), written to\n"
      "the lookaside-staging directory that registries.d names for the destination\n"
      "(checked writable before anything is uploaded), and its sigstore signatures\n"
      "(sheaf sign --key), added to the registry's sha256-<hex>.sig manifest.\n"
      "The manifest digest is printed last. An image index goes whole: each of its\n"
      "images as above (untagged), then the index, which the tag names; with\n"
      "--platform, only its image for that platform.\n"
      "DESTINATION is docker://HOST[:PORT]/REPOSITORY[:TAG|@sha256:HEX]\n"
      "(docs/formats/reference.md).");
  cmd->add_option("image", options->image, "The image: NAME[:TAG], a digest or its prefix")->required();
  cmd->add_option("destination", options->destination, "docker://HOST[:PORT]/REPOSITORY[:TAG]")->required();
  add_platform_option(cmd, options->platform, "Of an image index, push only the image for this platform");
  cmd->add_flag("--sbom", options->sbom, "Push the SPDX and CycloneDX documents as referrers of the image");
  add_registry_flags(cmd, options->flags);
  add_registries_d_flag(cmd, options->trust);
  cmd->add_option("--chunk-size", options->flags.chunk_size,
                  "Upload blobs larger than this in chunks of this many bytes (default 16 MiB)")
      ->check(CLI::Range(std::uint64_t{1} << 10, std::uint64_t{1} << 32));
  cmd->callback([&context, options] { push_command(context, *options); });
}

}  // namespace sheaf::cli
