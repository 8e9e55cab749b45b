// sheaf sbom IMAGE --format spdx|cyclonedx [-o FILE]: the image's SBOM.
#include <fmt/format.h>

#include "base/fs.hpp"
#include "cli/context.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "sbom/documents.hpp"
#include "sbom/inventory.hpp"

namespace sheaf::cli {

namespace {

struct SbomArgs {
  std::string image;
  std::string format;
  std::string output;
  std::string platform;
};

void sbom_command(Context& context, const SbomArgs& options) {
  auto store = context.open_store();
  store::ImageRecord record = image::select_image(*store, image::resolve_image(store->index(), options.image),
                                                  platform_option(options.platform), options.image);
  sbom::Inventory inventory = sbom::load_inventory(*store, record);
  std::string document = options.format == "spdx" ? sbom::render_spdx(inventory) : sbom::render_cyclonedx(inventory);
  if (options.output.empty() || options.output == "-") {
    std::fwrite(document.data(), 1, document.size(), stdout);
    return;
  }
  write_file_atomically(options.output, document);
  fmt::print(stderr, "wrote the {} SBOM of {} ({} packages) to {}\n",
             options.format == "spdx" ? "SPDX 2.3" : "CycloneDX 1.5", inventory.name, inventory.components.size(),
             options.output);
}

}  // namespace

void register_sbom(CLI::App& app, Context& context) {
  auto options = std::make_shared<SbomArgs>();
  CLI::App* cmd = app.add_subcommand("sbom", "Write an image's SBOM (SPDX 2.3 or CycloneDX 1.5 JSON)");
  cmd->footer(
      "Every package of the image with its version, purl, layer sha256, license,\n"
      "supplier and source package; the OS; the assembly and [[files]] packages;\n"
      "the dependency relationships; the paths drop_paths removed. Made from the\n"
      "manifest and the store's index, never from a layer. The same image gives\n"
      "the same bytes: ids and the document's UUID derive from the image digest,\n"
      "and the timestamp is the image's 'created'. An image index has one SBOM per\n"
      "platform, each of its image: --platform chooses (default: the host's).");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_option("--format", options->format, "spdx or cyclonedx")
      ->required()
      ->check(CLI::IsMember({"spdx", "cyclonedx"}));
  cmd->add_option("-o,--output", options->output, "Write to FILE instead of stdout")->type_name("FILE");
  add_platform_option(cmd, options->platform, "Of an image index, the image for this platform (default: the host's)");
  cmd->callback([&context, options] { sbom_command(context, *options); });
}

}  // namespace sheaf::cli
