// sheaf's entry point: builds the command tree, runs the chosen verb, and is
// the one place that turns errors into messages and exit codes.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "base/error.hpp"
#include "cli/context.hpp"

namespace {

constexpr const char* kFooter = R"(Exit codes:
  0  success
  1  the command worked and found something (damage for 'store verify')
  2  usage error
  3  any other error
  'sheaf run' exits with the container's status, or 125 (it could not run
  the container), 126 (the command cannot be executed) or 127 (the command
  is not in the image)

The store is --store DIR, else $SHEAF_STORE, else $XDG_DATA_HOME/sheaf,
else ~/.local/share/sheaf. It is created on first use.)";

}  // namespace

int main(int argc, char** argv) {
  using namespace sheaf::cli;
  Context context;

  CLI::App app{"sheaf: container images built from unordered sets of packages", "sheaf"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough(false);
  app.add_option("--store", context.store_option, "The store directory")->type_name("DIR");

  CLI::App* pkg = app.add_subcommand("pkg", "Add, list, show and remove packages");
  pkg->require_subcommand(1);
  register_pkg_add(*pkg, context);
  register_pkg_import(*pkg, context);
  register_pkg_ls(*pkg, context);
  register_pkg_show(*pkg, context);
  register_pkg_files(*pkg, context);
  register_pkg_rm(*pkg, context);
  register_pkg_push(*pkg, context);
  register_pkg_pull(*pkg, context);
  register_pkg_sign(*pkg, context);

  register_lock(app, context);
  register_fetch(app, context);
  register_build(app, context);
  register_recipe(app, context);
  register_rebuild(app, context);
  register_run(app, context);
  register_trim(app, context);
  register_push(app, context);
  register_pull(app, context);
  register_sign(app, context);
  register_verify(app, context);
  register_key(app, context);
  register_which(app, context);
  register_sbom(app, context);
  register_audit(app, context);

  CLI::App* image = app.add_subcommand("image", "Manage the images in the store");
  image->require_subcommand(1);
  register_image_rm(*image, context);
  register_image_export(*image, context);
  register_image_ls(*image, context);
  register_image_show(*image, context);
  register_image_diff(*image, context);
  register_image_update(*image, context);

  CLI::App* store = app.add_subcommand("store", "Check, clean and measure the store");
  store->require_subcommand(1);
  register_store_verify(*store, context);
  register_store_gc(*store, context);
  register_store_du(*store, context);

  try {
    app.parse(argc, argv);
    std::fflush(stdout);
    return context.exit_code;
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const sheaf::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "sheaf: error: {}\n", e.describe());
    return context.error_exit_code.value_or(e.kind() == sheaf::ErrorKind::usage ? kExitUsage : kExitFailure);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "sheaf: error: {}\n", e.what());
    return context.error_exit_code.value_or(kExitFailure);
  }
}
