// sheaf image ls and sheaf image show IMAGE: what the store's images hold,
// answered from the index and the manifests, never from the layers.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/json_fields.hpp"
#include "cli/context.hpp"
#include "image/compose.hpp"
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
  json out = json::array();
  for (const auto& record : store->index().images()) {
    image::StoredImage image = image::load_image(*store, *Digest::parse(record.digest));
    std::uint64_t size = image.manifest_bytes.size() + image.manifest.config.size;
    for (const auto& layer : image.manifest.layers) size += layer.size;
    out.push_back({{"digest", record.digest},
                   {"tags", tags_of(store->index(), record.digest)},
                   {"created", record.created},
                   {"packages", store->index().image_packages(record.digest).size()},
                   {"layers", image.manifest.layers.size()},
                   {"size", size}});
  }
  if (options.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (stdout_is_terminal())
    fmt::print("{:<19}  {:<20}  {:>8}  {:>10}  {}\n", "DIGEST", "CREATED", "PACKAGES", "SIZE", "TAGS");
  for (const auto& i : out) {
    std::vector<std::string> tags = i["tags"];
    fmt::print("{:<19}  {:<20}  {:>8}  {:>10}  {}\n", i["digest"].get<std::string>().substr(0, 19),
               i["created"].get<std::string>(), i["packages"].get<std::size_t>(),
               human_bytes(i["size"].get<std::uint64_t>()),
               tags.empty() ? "-" : fmt::format("{}", fmt::join(tags, " ")));
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

void run_show(Context& context, const ShowOptions& options) {
  auto store = context.open_store();
  store::ImageRecord record = image::resolve_image(store->index(), options.image);
  image::StoredImage image = image::load_image(*store, *Digest::parse(record.digest));
  const image::ImageSources sources = image::read_sources(record, options.image).sources;
  json layers = json::array();
  for (const auto& layer : image.manifest.layers) {
    layers.push_back({{"digest", layer.digest.str()},
                      {"size", layer.size},
                      {"packages", layer_packages(layer, sources, store->index())}});
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
      auto row = store->index().package(p.id);
      if (row && row->name == "sheaf-assembly") effects = pkg::PackageMetadata::from_json(row->metadata).effects;
    }
  }
  json out = {{"digest", record.digest},
              {"tags", tags_of(store->index(), record.digest)},
              {"created", image.config.created},
              {"architecture", image.config.platform.architecture},
              {"config", config},
              {"layers", layers},
              {"effects", deb::effects_to_json(effects)}};
  if (sources.trim) out["trim"] = image::trim_profile_json(*sources.trim);
  if (options.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("digest:  {}\n", record.digest);
  auto tags = tags_of(store->index(), record.digest);
  fmt::print("tags:    {}\n", tags.empty() ? "-" : fmt::format("{}", fmt::join(tags, " ")));
  fmt::print("created: {}\narch:    {}\n", image.config.created, image.config.platform.architecture);
  if (!c.entrypoint.empty()) fmt::print("entrypoint: {}\n", json(c.entrypoint).dump());
  if (!c.cmd.empty()) fmt::print("cmd:     {}\n", json(c.cmd).dump());
  for (const auto& e : c.env) fmt::print("env:     {}\n", e);
  if (!c.user.empty()) fmt::print("user:    {}\n", c.user);
  if (!c.working_dir.empty()) fmt::print("workdir: {}\n", c.working_dir);
  for (const auto& p : c.exposed_ports) fmt::print("port:    {}\n", p);
  fmt::print("packages ({} layers):\n", image.manifest.layers.size());
  for (const auto& layer : layers) {
    for (const auto& p : layer["packages"]) {
      fmt::print("  {:<32} {:<28} {:>10}  {}  {}\n", string_field(p, "name"), string_field(p, "version"),
                 human_bytes(layer["size"].get<std::uint64_t>()), layer["digest"].get<std::string>().substr(0, 19),
                 string_field(p, "source", "-"));
    }
  }
  auto lines = deb::describe_effects(effects);
  if (!lines.empty()) {
    fmt::print("effects of maintainer scripts (in sheaf-assembly):\n");
    for (const auto& line : lines) fmt::print("  {}\n", line);
  }
  if (sources.trim) print_trim(*sources.trim);
}

}  // namespace

void register_image_ls(CLI::App& image, Context& context) {
  auto options = std::make_shared<LsOptions>();
  CLI::App* cmd = image.add_subcommand("ls", "List the images in the store");
  cmd->footer("One line per image: digest, created, packages, compressed size and tags.");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { run_ls(context, *options); });
}

void register_image_show(CLI::App& image, Context& context) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* cmd = image.add_subcommand("show", "Show an image's config and packages");
  cmd->footer(
      "Each package's name, version, layer size and digest, and its source (\"debian SUITE\", the\n"
      "registry reference the spec included, \"directory PATH\", \"files PATH\"), and the config.");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { run_show(context, *options); });
}

}  // namespace sheaf::cli
