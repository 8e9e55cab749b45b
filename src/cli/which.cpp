// sheaf which NAME[@[OP]VERSION]: the images in the store that hold a
// matching package, from the index alone.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "deb/query.hpp"

namespace sheaf::cli {

namespace {

struct Options {
  std::string query;
  bool json = false;
};

void run(Context& context, const Options& options) {
  deb::PackageQuery query = deb::PackageQuery::parse(options.query);
  auto store = context.open_store();
  auto& index = store->index();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [image, package] : index.image_packages_named(query.name)) {
    if (!query.matches(package.version)) continue;
    std::vector<std::string> tags;
    for (const auto& [name, tag] : index.image_tags(image)) tags.push_back(name + ":" + tag);
    out.push_back(
        {{"image", image},
         {"tags", tags},
         {"package",
          {{"name", package.name}, {"version", package.version}, {"arch", package.arch}, {"id", package.id}}}});
  }
  if (options.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (out.empty()) {
    fmt::print(stderr, "no image in the store holds {}\n", query.str());
    return;
  }
  for (const auto& m : out) {
    std::vector<std::string> tags = m["tags"];
    fmt::print("{}  {} {}  {}\n", m["image"].get<std::string>().substr(0, 19), m["package"]["name"].get<std::string>(),
               m["package"]["version"].get<std::string>(),
               tags.empty() ? "-" : fmt::format("{}", fmt::join(tags, " ")));
  }
}

}  // namespace

void register_which(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("which", "List the images that hold a package");
  cmd->footer(
      "QUERY is NAME, NAME@VERSION, or NAME@OP VERSION with OP one of < <= = >= >,\n"
      "compared by Debian version ordering; quote it for the shell:\n"
      "  sheaf which 'libssl3@<3.0.22-1~deb12u2'\n"
      "One line per image and matching package: digest, name, version, tags.\n"
      "Answered from the store's index, without reading any image.");
  cmd->add_option("QUERY", options->query, "NAME[@[OP]VERSION]")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { run(context, *options); });
}

}  // namespace sheaf::cli
