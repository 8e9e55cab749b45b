// sheaf store gc [--dry-run] [--wait SECONDS]: remove what no package references.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "pipeline/recipe.hpp"
#include "pkg/package.hpp"
#include "repo/repository.hpp"
#include "store/maintenance.hpp"

namespace sheaf::cli {

namespace {

struct StoreGcArgs {
  bool dry_run = false;
  unsigned wait_seconds = static_cast<unsigned>(store::kDefaultGcWait.count());
};

void store_gc_command(Context& context, const StoreGcArgs& options) {
  auto store = context.open_store();
  repo::CachePruneReport cache;
  std::size_t environments = 0;
  store::GcOptions gc{.dry_run = options.dry_run,
                      .wait = std::chrono::seconds(options.wait_seconds),
                      .also =
                          [&] {
                            cache = repo::prune_cache(repo::apt_cache_dir(store->root()), options.dry_run);
                            environments = pipeline::prune_composed_environments(*store, options.dry_run);
                          },
                      .package_blobs = pkg::metadata_blobs};
  store::GcReport report = store::collect_garbage(*store, gc);
  const char* verb = options.dry_run ? "would remove" : "removed";
  fmt::print("{} {} objects and {} blobs ({}), {} staging leftovers and {} package trees\n", verb,
             report.objects_removed, report.blobs_removed, human_bytes(report.bytes_freed), report.staging_removed,
             report.trees_removed);
  if (report.trees_in_use > 0 || report.runs_removed > 0) {
    fmt::print("{} {} directories of dead sheaf runs; kept {} package trees that running containers use\n", verb,
               report.runs_removed, report.trees_in_use);
  }
  fmt::print("{} {} cached repository files ({})\n", verb, cache.files, human_bytes(cache.bytes));
  if (environments > 0) {
    fmt::print("{} {} record(s) of composed build environments whose image is gone\n", verb, environments);
  }
}

}  // namespace

void register_store_gc(CLI::App& store, Context& context) {
  auto options = std::make_shared<StoreGcArgs>();
  CLI::App* cmd = store.add_subcommand("gc", "Remove objects and blobs that no package references");
  cmd->footer(
      "gc takes the store lock exclusively, so it never removes an object a writer\n"
      "relies on. Once gc waits, new sheaf commands on the store wait behind it\n"
      "while the running ones finish, so a stream of builds cannot starve it; after\n"
      "--wait seconds (default 300) it gives up, naming the processes it waited for,\n"
      "removes nothing, and exits 3. Package trees that a running container uses\n"
      "are kept. It also prunes the repository cache (cache/apt): indexes no cached\n"
      "Release lists any more, and downloads no fetch finished within an hour; and\n"
      "the records of composed build environments (cache/recipe-env) whose image\n"
      "'sheaf image rm' removed.");
  cmd->add_flag("-n,--dry-run", options->dry_run, "Report what would be removed, remove nothing");
  cmd->add_option("--wait", options->wait_seconds, "Seconds to wait for running sheaf commands (default 300)")
      ->type_name("SECONDS");
  cmd->callback([&context, options] { store_gc_command(context, *options); });
}

}  // namespace sheaf::cli
