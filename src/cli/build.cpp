// sheaf build [-f sheaf.toml] [-o DIR] [--oci-archive FILE] [--docker-archive FILE]
//             [--tag NAME[:TAG]] [--locked] [--sbom] [-j N]: compose the spec's image.
#include <fmt/format.h>

#include <chrono>
#include <set>

#include "cli/context.hpp"
#include "pipeline/build.hpp"

namespace sheaf::cli {

namespace {

struct BuildArgs {
  std::string spec = "sheaf.toml";
  std::string package_policy;
  pipeline::BuildOptions build;
};

void build_command(Context& context, BuildArgs& options) {
  auto start = std::chrono::steady_clock::now();
  auto spec = spec::Spec::load(options.spec);
  options.build.source_date_epoch = pipeline::source_date_epoch_from_environment();
  if (!options.package_policy.empty()) options.build.package_policy = options.package_policy;
  pipeline::Session session = context.session();
  pipeline::BuildResult result = pipeline::build(session, spec, options.build);
  std::string tag = result.tag.str();
  if (result.index) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::size_t layers = 0, made = 0, members = 0;
    std::set<std::string> blobs;
    std::uint64_t bytes = 0;
    for (const auto& one : result.platforms) {
      members += one.members;
      for (const auto& layer : one.layers) {
        layers += 1;
        made += layer.made ? 1 : 0;
        if (blobs.insert(layer.descriptor.digest.str()).second) bytes += layer.descriptor.size;
      }
    }
    fmt::print(stderr,
               "built {}: an index of {} images ({} packages in {} layers, {} of them shared, {} made), {} "
               "compressed, in {:.2f} s\n",
               tag.empty() ? "an untagged index" : tag, result.platforms.size(), members, layers, layers - blobs.size(),
               made, human_bytes(bytes), seconds);
    fmt::print("{}\n", result.index->digest.str());
    return;
  }
  std::size_t made = 0;
  std::uint64_t bytes = 0;
  for (const auto& layer : result.composed.layers) {
    made += layer.made ? 1 : 0;
    bytes += layer.descriptor.size;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "built {}: {} packages in {} layers ({} made, {} reused), {} compressed, in {:.2f} s\n",
             tag.empty() ? "an untagged image" : tag, result.composed.members, result.composed.layers.size(), made,
             result.composed.layers.size() - made, human_bytes(bytes), seconds);
  if (result.trim) {
    const pipeline::TrimSummary& t = *result.trim;
    fmt::print(stderr, "trimmed (traced on {}): {} of {} packages, {} of {} entries, {} of {} of file content\n",
               result.untrimmed->substr(0, 19), t.packages_after, t.packages_before, t.entries_after, t.entries_before,
               human_bytes(t.bytes_after), human_bytes(t.bytes_before));
  }
  fmt::print("{}\n", result.composed.manifest.str());
}

}  // namespace

void register_build(CLI::App& app, Context& context) {
  auto options = std::make_shared<BuildArgs>();
  CLI::App* cmd = app.add_subcommand("build", "Compose the spec's image from its packages");
  cmd->footer(
      "Uses sheaf.lock beside the spec while it satisfies the spec; otherwise locks\n"
      "again and says so (--locked fails instead). Fetches every locked package the\n"
      "store lacks, checks that the packages form a closed, conflict-free set, and\n"
      "composes one layer per package plus the assembly layer. With the lock in place\n"
      "and every package in the store, the build does not touch the network.\n"
      "The image is recorded in the store, tagged with --tag or [image] name (tag\n"
      "'latest'); -o, --oci-archive and --docker-archive write it out as well.\n"
      "The manifest digest is the last line of stdout. With [source.debian] arch a\n"
      "list, the build composes one image per architecture and an OCI image index\n"
      "of them, which the tag names; the index's digest is the last line of stdout.\n"
      "SOURCE_DATE_EPOCH sets the image's 'created'; otherwise it is the newest\n"
      "package's build date.\n"
      "What the packages' maintainer scripts would have done is made in the assembly\n"
      "(never by running them); a step that could not be read, and per-host state\n"
      "such as host keys, is a warning. What Debian's Essential set would have given\n"
      "is printed on stderr, one line per package, exactly as\n"
      "  suggestion: include PACKAGE (REASON)\n"
      "Registry packages must carry the signatures the package policy asks for\n"
      "(--package-policy, else ~/.config/sheaf/package-policy.toml, else\n"
      "/etc/sheaf/package-policy.toml; with none, no signature is needed).\n"
      "With [trim], the composed image is traced while the workloads run, and the\n"
      "trimmed image gets the tag and the outputs (as 'sheaf trim'; needs root).");
  cmd->add_option("-f,--file", options->spec, "The spec (default: sheaf.toml)")->type_name("SPEC");
  cmd->add_option("-o,--output", options->build.outputs.layout, "Write (or add to) an OCI layout directory")
      ->type_name("DIR");
  cmd->add_option("--oci-archive", options->build.outputs.oci_archive, "Write an oci-archive tar")->type_name("FILE");
  cmd->add_option("--docker-archive", options->build.outputs.docker_archive,
                  "Write a docker-archive tar (docker/podman load)")
      ->type_name("FILE");
  cmd->add_option("--tag", options->build.tag, "Name the image NAME[:TAG] (default: [image] name, tag latest)")
      ->type_name("NAME[:TAG]");
  cmd->add_flag("--locked", options->build.locked, "Fail instead of creating or changing sheaf.lock");
  cmd->add_option("--runtime", options->build.runtime, "For [trim]'s workloads: runc or crun (default: one that works)")
      ->type_name("NAME");
  cmd->add_flag("--sbom", options->build.outputs.sbom,
                "Attach SPDX and CycloneDX SBOMs to the -o layout (OCI 1.1 artifacts whose subject is the image)");
  cmd->add_flag("--allow-unsigned", options->build.allow_unsigned,
                "When locking: accept unsigned repositories (local test repositories)");
  cmd->add_option("-j,--jobs", options->build.jobs, "Threads (default: one per core)");
  cmd->add_option("--package-policy", options->package_policy,
                  "Which keys must have signed registry packages (docs/formats/package-policy.md), instead of the "
                  "host's")
      ->type_name("FILE");
  cmd->callback([&context, options] { build_command(context, *options); });
}

}  // namespace sheaf::cli
