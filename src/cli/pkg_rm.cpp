// sheaf pkg rm PACKAGE: drop a package from the index.
#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/context.hpp"

namespace sheaf::cli {

namespace {

struct PkgRmArgs {
  std::string ref;
};

void pkg_rm_command(Context& context, const PkgRmArgs& options) {
  auto store = context.open_store();
  store::PackageRecord r = resolve_package_ref(*store, options.ref);
  if (auto images = store->index().images_with_package(r.id); !images.empty()) {
    fail("{} {} ({}) is part of {} image(s), for example {}; remove them first with 'sheaf image rm'", r.name,
         r.version, r.arch, images.size(), images.front());
  }
  bool removed = false;
  store->index().write([&](store::Index::Transaction& transaction) { removed = transaction.remove_package(r.id); });
  if (removed) {
    fmt::print(stderr, "removed {} {} ({}); its files go at the next 'sheaf store gc'\n", r.name, r.version, r.arch);
  } else {
    fmt::print(stderr, "{} {} ({}) was already removed\n", r.name, r.version, r.arch);
  }
  fmt::print("{}\n", r.id);
}

}  // namespace

void register_pkg_rm(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PkgRmArgs>();
  CLI::App* cmd = pkg.add_subcommand("rm", "Remove a package from the store's index (gc frees its files)");
  cmd->add_option("PACKAGE", options->ref, "NAME[@VERSION], NAME:ARCH or an id (prefix)")->required();
  cmd->callback([&context, options] { pkg_rm_command(context, *options); });
}

}  // namespace sheaf::cli
