// sheaf image export IMAGE --rootfs DIR: the flattened root of an image.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "pipeline/run.hpp"

namespace sheaf::cli {

namespace {

struct ImageExportArgs {
  std::string image;
  std::string rootfs;
  std::string platform;
};

void image_export_command(Context& context, const ImageExportArgs& options) {
  pipeline::Session session = context.session();
  pipeline::Exported exported =
      pipeline::export_rootfs(session, options.image, options.rootfs, platform_option(options.platform));
  fmt::print(stderr, "wrote {} files of {} to {}\n", exported.files, exported.digest, options.rootfs);
}

}  // namespace

void register_image_export(CLI::App& image, Context& context) {
  auto options = std::make_shared<ImageExportArgs>();
  CLI::App* cmd = image.add_subcommand("export", "Write an image's flattened root to a directory");
  cmd->footer(
      "The union of the image's layers, as the container sees it: modes, xattrs,\n"
      "symlinks and hardlinks, and owners when run as root. DIR must be absent or empty.\n"
      "Of an image index, the image for --platform (default: the host's).");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_option("--rootfs", options->rootfs, "The directory to write")->type_name("DIR")->required();
  add_platform_option(cmd, options->platform, "Of an image index, the image for this platform (default: the host's)");
  cmd->callback([&context, options] { image_export_command(context, *options); });
}

}  // namespace sheaf::cli
