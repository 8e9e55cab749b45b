// sheaf image ls and sheaf image show IMAGE: what the store's images hold,
// answered from the index and the manifests, never from the layers.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/json_fields.hpp"
#include "cli/context.hpp"
#include "image/compose.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "image/sources.hpp"
#include "image/stored_image.hpp"

namespace sheaf::cli {

namespace {

using nlohmann::json;

struct LsOptions {
  bool json = false;
};

struct ShowOptions {
  std::string image;
  bool json = false;
  std::string platform;
};

std::vector<std::string> tags_of(store::Index& index, const std::string& digest) {
  std::vector<std::string> out;
  for (const auto& [name, tag] : index.image_tags(digest)) out.push_back(name + ":" + tag);
  return out;
}

// One layer's packages as its annotations name them, with where each came from.
json layer_packages(const oci::Descriptor& layer, const image::ImageSources& sources, store::Index& index) {
  json out = json::array();
  for (const auto& p : image::layer_packages(layer)) {
    out.push_back({{"name", p.name},
                   {"version", p.version},
                   {"id", p.id},
                   {"source", image::package_source(sources, index, p.id)}});
  }
  return out;
}

void run_ls(Context& context, const LsOptions& options) {
  auto store = context.open_store();
  store::Index& index = store->index();
  json out = json::array();
  for (const auto& record : index.images()) {
    json row = {{"digest", record.digest}, {"tags", tags_of(index, record.digest)}, {"created", record.created}};
    if (record.is_index()) {
      // An index: its platforms, the packages of all of them, and every blob once.
      std::set<std::string> packages;
      std::set<std::string> blobs;
      std::uint64_t size = record.size;
      json platforms = json::array();
      for (const auto& p : image::index_platforms(index, record)) {
        platforms.push_back({{"platform", p.platform.str()}, {"digest", p.record.digest}});
        for (auto& id : index.image_packages(p.record.digest)) packages.insert(std::move(id));
        image::StoredImage image = image::load_image(*store, *Digest::parse(p.record.digest));
        size += image.manifest_bytes.size() + image.manifest.config.size;
        for (const auto& layer : image.manifest.layers) {
          if (blobs.insert(layer.digest.str()).second) size += layer.size;
        }
      }
      row["index"] = platforms;
      row["packages"] = packages.size();
      row["size"] = size;
      out.push_back(std::move(row));
      continue;
    }
    image::StoredImage image = image::load_image(*store, *Digest::parse(record.digest));
    std::uint64_t size = image.manifest_bytes.size() + image.manifest.config.size;
    for (const auto& layer : image.manifest.layers) size += layer.size;
    row["packages"] = index.image_packages(record.digest).size();
    row["layers"] = image.manifest.layers.size();
    row["size"] = size;
    row["indexes"] = index.indexes_with_image(record.digest);
    out.push_back(std::move(row));
  }
  if (options.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (stdout_is_terminal())
    fmt::print("{:<19}  {:<20}  {:>8}  {:>10}  {}\n", "DIGEST", "CREATED", "PACKAGES", "SIZE", "TAGS");
  for (const auto& i : out) {
    std::vector<std::string> tags = i["tags"];
    std::string names = tags.empty() ? "-" : fmt::format("{}", fmt::join(tags, " "));
    if (i.contains("index")) {
      std::vector<std::string> platforms;
      for (const auto& p : i["index"]) platforms.push_back(p["platform"].get<std::string>());
      names += fmt::format("  [index: {}]", fmt::join(platforms, " "));
    } else {
      for (const auto& holder : i["indexes"])
        names += fmt::format("  [in {}]", holder.get<std::string>().substr(0, 19));
    }
    fmt::print("{:<19}  {:<20}  {:>8}  {:>10}  {}\n", i["digest"].get<std::string>().substr(0, 19),
               i["created"].get<std::string>(), i["packages"].get<std::size_t>(),
               human_bytes(i["size"].get<std::uint64_t>()), names);
  }
}

// A trimmed image's profile, in short (the whole of it is in --json).
void print_trim(const image::TrimProfile& trim) {
  std::uint64_t entries = 0, kept = 0;
  for (const auto& p : trim.packages) {
    entries += p.entries;
    kept += p.kept;
  }
  fmt::print(
      "trimmed: traced on {}; {} of {} packages kept, {} of their {} entries; closure not checked (a trimmed "
      "image leaves out what its workloads did not use)\n",
      trim.source, trim.packages.size(), trim.packages.size() + trim.dropped.size(), kept, entries);
  for (const auto& w : trim.workloads) {
    std::vector<std::string> argv;
    if (w.entrypoint) argv.push_back(*w.entrypoint);
    if (w.args) argv.insert(argv.end(), w.args->begin(), w.args->end());
    fmt::print("  workload {}: {}{}\n", quote(w.name), argv.empty() ? "the image's command" : json(argv).dump(),
               w.server() ? ", a server probed with " + json(w.ready).dump() : "");
  }
  if (!trim.keep.empty()) fmt::print("  keep: {}\n", fmt::join(trim.keep, " "));
  for (const auto& p : trim.packages) {
    fmt::print("  {:<32} {:>6} of {:<6} entries, {} used paths\n", p.name, p.kept, p.entries, p.used.size());
  }
  for (const auto& d : trim.dropped) fmt::print("  {:<32} left out: nothing used\n", d.name);
}

// What `image show` says of one image: the JSON (the text is printed from
// it), and its trim profile, for the text.
struct Shown {
  json doc;
  std::optional<image::TrimProfile> trim;
};

Shown show_image(store::LocalStore& store, const store::ImageRecord& record, const std::string& label) {
  image::StoredImage image = image::load_image(store, *Digest::parse(record.digest));
  const image::ImageSources sources = image::read_sources(record, label).sources;
  json layers = json::array();
  for (const auto& layer : image.manifest.layers) {
    layers.push_back({{"digest", layer.digest.str()},
                      {"size", layer.size},
                      {"packages", layer_packages(layer, sources, store.index())}});
  }
  const auto& c = image.config.config;
  json config = {{"entrypoint", c.entrypoint},
                 {"cmd", c.cmd},
                 {"env", c.env},
                 {"user", c.user},
                 {"workdir", c.working_dir},
                 {"ports", c.exposed_ports},
                 {"labels", c.labels},
                 {"stop_signal", c.stop_signal}};
  // What the maintainer scripts did: the assembly's recorded effects.
  deb::ScriptEffects effects;
  if (!image.manifest.layers.empty()) {
    for (const auto& p : image::layer_packages(image.manifest.layers.back())) {
      auto row = store.index().package(p.id);
      if (row && row->name == "sheaf-assembly") effects = pkg::PackageMetadata::from_json(row->metadata).effects;
    }
  }
  json out = {{"digest", record.digest},
              {"tags", tags_of(store.index(), record.digest)},
              {"created", image.config.created},
              {"architecture", image.config.platform.architecture},
              {"config", config},
              {"layers", layers},
              {"effects", deb::effects_to_json(effects)}};
  if (sources.trim) out["trim"] = image::trim_profile_json(*sources.trim);
  return {std::move(out), sources.trim};
}

void print_image(const Shown& one) {
  const json& shown = one.doc;
  fmt::print("digest:  {}\n", shown["digest"].get<std::string>());
  std::vector<std::string> tags = shown["tags"];
  fmt::print("tags:    {}\n", tags.empty() ? "-" : fmt::format("{}", fmt::join(tags, " ")));
  fmt::print("created: {}\narch:    {}\n", shown["created"].get<std::string>(),
             shown["architecture"].get<std::string>());
  const json& c = shown["config"];
  if (!c["entrypoint"].empty()) fmt::print("entrypoint: {}\n", c["entrypoint"].dump());
  if (!c["cmd"].empty()) fmt::print("cmd:     {}\n", c["cmd"].dump());
  for (const auto& e : c["env"]) fmt::print("env:     {}\n", e.get<std::string>());
  if (!c["user"].get<std::string>().empty()) fmt::print("user:    {}\n", c["user"].get<std::string>());
  if (!c["workdir"].get<std::string>().empty()) fmt::print("workdir: {}\n", c["workdir"].get<std::string>());
  for (const auto& p : c["ports"]) fmt::print("port:    {}\n", p.get<std::string>());
  const json& layers = shown["layers"];
  fmt::print("packages ({} layers):\n", layers.size());
  for (const auto& layer : layers) {
    for (const auto& p : layer["packages"]) {
      fmt::print("  {:<32} {:<28} {:>10}  {}  {}\n", string_field(p, "name"), string_field(p, "version"),
                 human_bytes(layer["size"].get<std::uint64_t>()), layer["digest"].get<std::string>().substr(0, 19),
                 string_field(p, "source", "-"));
    }
  }
  auto lines = deb::describe_effects(deb::effects_from_json(shown["effects"]));
  if (!lines.empty()) {
    fmt::print("effects of maintainer scripts (in sheaf-assembly):\n");
    for (const auto& line : lines) fmt::print("  {}\n", line);
  }
  if (one.trim) print_trim(*one.trim);
}

void run_show(Context& context, const ShowOptions& options) {
  auto store = context.open_store();
  store::ImageRecord named = image::resolve_image(store->index(), options.image);
  auto platform = platform_option(options.platform);
  if (!named.is_index() || platform) {
    Shown one = show_image(*store, image::select_image(*store, named, platform, options.image), options.image);
    if (named.is_index()) one.doc["index"] = named.digest;
    if (options.json) {
      fmt::print("{}\n", one.doc.dump(2));
    } else {
      if (named.is_index()) fmt::print("index:   {} ({})\n", named.digest, platform->str());
      print_image(one);
    }
    return;
  }
  // An index: every platform's image, under it.
  std::vector<std::pair<std::string, Shown>> shown;
  for (const auto& p : image::index_platforms(store->index(), named)) {
    shown.emplace_back(p.platform.str(), show_image(*store, p.record, options.image));
  }
  if (options.json) {
    json out = {{"digest", named.digest},
                {"tags", tags_of(store->index(), named.digest)},
                {"index", true},
                {"platforms", json::array()}};
    for (const auto& [platform_name, one] : shown) {
      out["platforms"].push_back({{"platform", platform_name}, {"image", one.doc}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("index:   {}\n", named.digest);
  auto tags = tags_of(store->index(), named.digest);
  fmt::print("tags:    {}\n", tags.empty() ? "-" : fmt::format("{}", fmt::join(tags, " ")));
  for (const auto& [platform_name, one] : shown) {
    fmt::print("\nplatform: {}\n", platform_name);
    print_image(one);
  }
}

}  // namespace

void register_image_ls(CLI::App& image, Context& context) {
  auto options = std::make_shared<LsOptions>();
  CLI::App* cmd = image.add_subcommand("ls", "List the images in the store");
  cmd->footer(
      "One line per image: digest, created, packages, compressed size and tags. An image\n"
      "index (sheaf build of a spec whose arch is a list) has a line of its own, with its\n"
      "platforms; its images follow on lines of theirs, marked with the index they are in.");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { run_ls(context, *options); });
}

void register_image_show(CLI::App& image, Context& context) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* cmd = image.add_subcommand("show", "Show an image's config and packages");
  cmd->footer(
      "Each package's name, version, layer size and digest, and its source (\"debian SUITE\", the\n"
      "registry reference the spec included, \"directory PATH\", \"files PATH\"), and the config.\n"
      "Of an image index, every platform's image in turn, or the one --platform names.");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  add_platform_option(cmd, options->platform, "Of an image index, show only the image for this platform");
  cmd->callback([&context, options] { run_show(context, *options); });
}

}  // namespace sheaf::cli
