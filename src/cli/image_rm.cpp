// sheaf image rm IMAGE...: drop images from the store's index.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"

namespace sheaf::cli {

namespace {

struct ImageRmArgs {
  std::vector<std::string> refs;
};

void image_rm_command(Context& context, const ImageRmArgs& options) {
  auto store = context.open_store();
  std::vector<store::ImageRecord> records;
  for (const auto& ref : options.refs) records.push_back(image::resolve_image(store->index(), ref));
  std::vector<std::string> removed = image::images_to_remove(store->index(), records);
  store->index().write([&](store::Index::Transaction& transaction) {
    for (const auto& digest : removed) transaction.remove_image(digest);
  });
  for (const auto& digest : removed) fmt::print("{}\n", digest);
  fmt::print(stderr, "removed {} image(s); their blobs go at the next 'sheaf store gc'\n", removed.size());
}

}  // namespace

void register_image_rm(CLI::App& image, Context& context) {
  auto options = std::make_shared<ImageRmArgs>();
  CLI::App* cmd = image.add_subcommand("rm", "Remove images from the store (gc frees their blobs)");
  cmd->footer(
      "IMAGE is a manifest digest (sha256:<hex>, or at least 12 hex digits), NAME[:TAG]\n"
      "or an OCI layout path (DIR or DIR:REF). Removing an image removes its tags;\n"
      "the packages it held stay in the store. Removing an image index removes the\n"
      "images it holds that no tag and no other index keeps; an image an index holds\n"
      "is removed with its index, not alone.");
  cmd->add_option("IMAGE", options->refs, "The images to remove")->required();
  cmd->callback([&context, options] { image_rm_command(context, *options); });
}

}  // namespace sheaf::cli
