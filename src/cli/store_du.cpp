// sheaf store du: logical size, stored size and the deduplication ratio.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "repo/repository.hpp"
#include "store/maintenance.hpp"

namespace sheaf::cli {

namespace {

struct StoreDuArgs {
  bool json = false;
};

void store_du_command(Context& context, const StoreDuArgs& options) {
  auto store = context.open_store();
  store::DiskUsage usage = store::disk_usage(*store);
  std::uint64_t cache = repo::cache_size(repo::apt_cache_dir(store->root()));
  if (options.json) {
    nlohmann::json out = {
        {"packages", usage.packages},           {"objects", usage.objects},           {"blobs", usage.blobs},
        {"logical_bytes", usage.logical_bytes}, {"object_bytes", usage.object_bytes}, {"blob_bytes", usage.blob_bytes},
        {"disk_bytes", usage.disk_bytes},       {"dedup_ratio", usage.dedup_ratio()}, {"cache_bytes", cache}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("packages:     {}\n", usage.packages);
  fmt::print("logical:      {} ({} bytes of file content across all packages)\n", human_bytes(usage.logical_bytes),
             usage.logical_bytes);
  fmt::print("stored:       {} ({} bytes in {} distinct objects)\n", human_bytes(usage.object_bytes),
             usage.object_bytes, usage.objects);
  fmt::print("metadata:     {} in {} blobs\n", human_bytes(usage.blob_bytes), usage.blobs);
  fmt::print("on disk:      {} (allocated blocks, including the index)\n", human_bytes(usage.disk_bytes));
  fmt::print("dedup ratio:  {:.2f}\n", usage.dedup_ratio());
  fmt::print("cache:        {} (repository indexes and partial downloads; store gc prunes it)\n", human_bytes(cache));
}

}  // namespace

void register_store_du(CLI::App& store, Context& context) {
  auto options = std::make_shared<StoreDuArgs>();
  CLI::App* cmd = store.add_subcommand("du", "Show the store's size and its deduplication ratio");
  cmd->footer(
      "logical is what the packages' files would take with a copy each; stored is\n"
      "each distinct content once; the ratio is logical / stored.");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { store_du_command(context, *options); });
}

}  // namespace sheaf::cli
