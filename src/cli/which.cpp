// sheaf which NAME[@[OP]VERSION]: the images in the store that hold a
// matching package, from the index alone.
#include <fmt/format.h>

#include <cstdio>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "deb/query.hpp"
#include "image/sources.hpp"

namespace sheaf::cli {

namespace {

struct WhichArgs {
  std::string query;
  bool json = false;
};

void which_command(Context& context, const WhichArgs& options) {
  deb::PackageQuery query = deb::PackageQuery::parse(options.query);
  auto store = context.open_store();
  auto& index = store->index();
  std::vector<std::pair<std::string, store::PackageRecord>> found;
  for (auto& [image, package] : index.image_packages_named(query.name)) {
    if (query.matches(package.version)) found.emplace_back(std::move(image), std::move(package));
  }
  // One query for every tag, rather than one per image found.
  std::map<std::string, std::vector<std::string>> tags;
  if (!found.empty()) {
    for (auto& [image, tag] : index.all_tags()) tags[image].push_back(std::move(tag));
  }
  auto own_tags = [&](const std::string& image) {
    auto it = tags.find(image);
    return it == tags.end() ? std::vector<std::string>{} : it->second;
  };
  // An image of an index is named by the index's tags, with its platform.
  struct Holder {
    std::string index, platform;
  };
  std::map<std::string, std::vector<Holder>> holders;
  auto holders_of = [&](const std::string& image) -> const std::vector<Holder>& {
    auto it = holders.find(image);
    if (it != holders.end()) return it->second;
    std::vector<Holder> out;
    for (const auto& idx : index.indexes_with_image(image)) {
      for (const auto& entry : index.index_images(idx)) {
        if (entry.image == image) out.push_back({idx, entry.platform});
      }
    }
    return holders.emplace(image, std::move(out)).first->second;
  };
  auto tags_of = [&](const std::string& image) {
    std::vector<std::string> out = own_tags(image);
    for (const auto& h : holders_of(image)) {
      for (const auto& t : own_tags(h.index)) out.push_back(fmt::format("{} ({})", t, h.platform));
    }
    return out;
  };
  // Where each image's package came from, from the sources it recorded.
  std::map<std::string, image::ImageSources> sources;
  auto source_of = [&](const std::string& image, const std::string& id) {
    auto it = sources.find(image);
    if (it == sources.end()) {
      auto record = index.image(image);
      it = sources.emplace(image, record ? image::read_sources(*record, image).sources : image::ImageSources{}).first;
    }
    return image::package_source(it->second, index, id);
  };
  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [image, p] : found) {
      nlohmann::json in = nlohmann::json::array();
      for (const auto& h : holders_of(image)) {
        in.push_back({{"index", h.index}, {"platform", h.platform}, {"tags", own_tags(h.index)}});
      }
      out.push_back({{"image", image},
                     {"tags", own_tags(image)},
                     {"indexes", in},
                     {"package", {{"name", p.name}, {"version", p.version}, {"arch", p.arch}, {"id", p.id}}},
                     {"source", source_of(image, p.id)}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (found.empty()) {
    fmt::print(stderr, "no image in the store holds {}\n", query.str());
    return;
  }
  std::string text;
  for (const auto& [image, p] : found) {
    auto t = tags_of(image);
    std::string source = source_of(image, p.id);
    fmt::format_to(std::back_inserter(text), "{}  {} {}  {}  {}\n", image.substr(0, 19), p.name, p.version,
                   source.empty() ? "-" : source, t.empty() ? "-" : fmt::format("{}", fmt::join(t, " ")));
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

void register_which(CLI::App& app, Context& context) {
  auto options = std::make_shared<WhichArgs>();
  CLI::App* cmd = app.add_subcommand("which", "List the images that hold a package");
  cmd->footer(
      "QUERY is NAME, NAME@VERSION, or NAME@<VERSION (also <=, =, >= and >),\n"
      "compared by Debian version ordering; quote it for the shell:\n"
      "  sheaf which 'libssl3@<3.0.22-1~deb12u2'\n"
      "One line per image and matching package: digest, name, version, source\n"
      "(\"debian SUITE\", a registry reference, \"directory PATH\"), tags; an image\n"
      "of an image index is named by the index's tags, with its platform:\n"
      "  hello-python:latest (linux/arm64/v8)\n"
      "Answered from the store's index, without reading any image.");
  cmd->add_option("QUERY", options->query, "NAME[@[OP]VERSION]")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { which_command(context, *options); });
}

}  // namespace sheaf::cli
