// sheaf pkg files PACKAGE: the FileSet, like `tar tv`.
#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "fileset/listing.hpp"
#include "fileset/manifest.hpp"

namespace sheaf::cli {

namespace {

struct PkgFilesArgs {
  std::string ref;
};

void pkg_files_command(Context& context, const PkgFilesArgs& options) {
  auto store = context.open_store();
  store::PackageRecord record = resolve_package_ref(*store, options.ref);
  Digest fileset_id = *Digest::parse(record.fileset);
  auto bytes = store->read_blob(fileset_id);
  if (!bytes) fail("the FileSet manifest {} is missing from the store (run 'sheaf store verify')", fileset_id.str());
  fmt::print("{}", fileset::format_listing(fileset::Manifest::parse(*bytes, fileset_id.str())));
}

}  // namespace

void register_pkg_files(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PkgFilesArgs>();
  CLI::App* cmd = pkg.add_subcommand("files", "List a package's files: mode, uid/gid, size and path");
  cmd->add_option("PACKAGE", options->ref, "NAME[@VERSION], NAME:ARCH or an id (prefix)")->required();
  cmd->callback([&context, options] { pkg_files_command(context, *options); });
}

}  // namespace sheaf::cli
