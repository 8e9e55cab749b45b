// sheaf store verify: re-hash everything and check every package.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/host.hpp"
#include "cli/context.hpp"
#include "pkg/package.hpp"
#include "store/maintenance.hpp"

namespace sheaf::cli {

namespace {

struct StoreVerifyArgs {
  bool json = false;
  unsigned jobs = 0;
};

void store_verify_command(Context& context, const StoreVerifyArgs& options) {
  auto store = context.open_store();
  store::VerifyReport report =
      store::verify_store(*store, pkg::check_document, pkg::metadata_blobs, options.jobs == 0 ? hardware_threads() : options.jobs);
  if (options.json) {
    nlohmann::json out = {{"objects", report.objects},
                          {"blobs", report.blobs},
                          {"packages", report.packages},
                          {"partial_packages", report.partial_packages},
                          {"images", report.images},
                          {"damage", nlohmann::json::array()}};
    for (const auto& d : report.damage) out["damage"].push_back({{"subject", d.subject}, {"problem", d.problem}});
    fmt::print("{}\n", out.dump(2));
  } else {
    for (const auto& d : report.damage) fmt::print("damaged: {}: {}\n", d.subject, d.problem);
    if (report.partial_packages > 0) {
      fmt::print(stderr,
                 "{} packages are held in part: pulled from layers that drop_paths narrowed, without the files it "
                 "removed\n",
                 report.partial_packages);
    }
    fmt::print(stderr, "checked {} objects, {} blobs, {} packages and {} images: {}\n", report.objects, report.blobs,
               report.packages, report.images,
               report.damage.empty() ? "no damage" : fmt::format("{} problems", report.damage.size()));
  }
  if (!report.damage.empty()) context.exit_code = kExitFound;
}

}  // namespace

void register_store_verify(CLI::App& store, Context& context) {
  auto options = std::make_shared<StoreVerifyArgs>();
  CLI::App* cmd = store.add_subcommand("verify", "Re-hash every object and blob and check every package");
  cmd->footer(
      "Prints one 'damaged: SUBJECT: PROBLEM' line per problem and exits 1 if\n"
      "there is any, 0 if there is none.");
  cmd->add_flag("--json", options->json, "Print a JSON report");
  cmd->add_option("-j,--jobs", options->jobs, "Files hashed at once (default: one per core)");
  cmd->callback([&context, options] { store_verify_command(context, *options); });
}

}  // namespace sheaf::cli
