// sheaf store gc: remove what no package references.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/repository.hpp"
#include "store/maintenance.hpp"

namespace sheaf::cli {

namespace {

struct Options {
  bool dry_run = false;
};

void run(Context& context, const Options& options) {
  auto store = context.open_store();
  store::GcReport report = store::collect_garbage(*store, {.dry_run = options.dry_run});
  fmt::print("{} {} objects and {} blobs ({}), {} staging leftovers and {} package trees\n",
             options.dry_run ? "would remove" : "removed", report.objects_removed, report.blobs_removed,
             human_bytes(report.bytes_freed), report.staging_removed, report.trees_removed);
  repo::CachePruneReport cache;
  {
    store::StoreLock held = store->lock(store::StoreLock::Mode::exclusive);  // lock and fetch hold it shared
    cache = repo::prune_cache(store->root() / "cache" / "apt", options.dry_run);
  }
  fmt::print("{} {} cached repository files ({})\n", options.dry_run ? "would remove" : "removed", cache.files,
             human_bytes(cache.bytes));
}

}  // namespace

void register_store_gc(CLI::App& store, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = store.add_subcommand("gc", "Remove objects and blobs that no package references");
  cmd->footer(
      "gc takes the store lock exclusively: it waits for running writers to commit,\n"
      "and writers wait for it, so it never removes an object a writer relies on.\n"
      "It also prunes the repository cache (cache/apt): indexes no cached Release\n"
      "lists any more, and temporary or partial downloads older than an hour.");
  cmd->add_flag("-n,--dry-run", options->dry_run, "Report what would be removed, remove nothing");
  cmd->callback([&context, options] { run(context, *options); });
}

}  // namespace sheaf::cli
