// sheaf image diff A B: what changed from image A to image B, package by
// package and field by field, from the manifests and configs alone.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/context.hpp"
#include "image/compose.hpp"
#include "image/image_ref.hpp"
#include "image/stored_image.hpp"

namespace sheaf::cli {

namespace {

using nlohmann::json;

struct ImageDiffArgs {
  std::string a;
  std::string b;
  bool json = false;
};

// name -> version, from the layer annotations. The assembly and [[files]]
// packages count too: their versions name their content.
std::map<std::string, std::string> packages_of(const oci::ImageManifest& manifest) {
  std::map<std::string, std::string> out;
  for (const auto& layer : manifest.layers) {
    for (const auto& p : image::layer_packages(layer)) out[p.name] = p.version;
  }
  return out;
}

json config_fields(const oci::ImageConfig& c) {
  json env = json::object();
  for (const auto& e : c.config.env) {
    auto eq = e.find('=');
    env[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  return {{"architecture", c.platform.architecture},
          {"created", c.created},
          {"entrypoint", c.config.entrypoint},
          {"cmd", c.config.cmd},
          {"env", env},
          {"user", c.config.user},
          {"workdir", c.config.working_dir},
          {"ports", c.config.exposed_ports},
          {"labels", c.config.labels},
          {"stop_signal", c.config.stop_signal}};
}

void image_diff_command(Context& context, const ImageDiffArgs& options) {
  auto store = context.open_store();
  auto load = [&](const std::string& ref) {
    auto record = image::resolve_image(store->index(), ref);
    return std::make_pair(record.digest, image::load_image(*store, *Digest::parse(record.digest)));
  };
  auto [digest_a, a] = load(options.a);
  auto [digest_b, b] = load(options.b);

  auto pa = packages_of(a.manifest), pb = packages_of(b.manifest);
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const auto& [name, version] : pb) {
    auto it = pa.find(name);
    if (it == pa.end()) {
      added.push_back({{"name", name}, {"version", version}});
    } else if (it->second != version) {
      changed.push_back({{"name", name}, {"from", it->second}, {"to", version}});
    }
  }
  for (const auto& [name, version] : pa) {
    if (!pb.count(name)) removed.push_back({{"name", name}, {"version", version}});
  }

  json ca = config_fields(a.config), cb = config_fields(b.config), config = json::object();
  for (const auto& [key, value] : ca.items()) {
    if (cb[key] != value) config[key] = {{"from", value}, {"to", cb[key]}};
  }

  std::set<std::string> layers_a, layers_b;
  std::uint64_t bytes_b_only = 0;
  for (const auto& l : a.manifest.layers) layers_a.insert(l.digest.str());
  for (const auto& l : b.manifest.layers) {
    layers_b.insert(l.digest.str());
    if (!layers_a.count(l.digest.str())) bytes_b_only += l.size;
  }
  std::size_t shared = 0;
  for (const auto& d : layers_b) shared += layers_a.count(d);
  json out = {{"a", digest_a},
              {"b", digest_b},
              {"packages", {{"added", added}, {"removed", removed}, {"changed", changed}}},
              {"config", config},
              {"layers",
               {{"shared", shared},
                {"only_a", layers_a.size() - shared},
                {"only_b", layers_b.size() - shared},
                {"only_b_bytes", bytes_b_only}}}};
  if (options.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (digest_a == digest_b) {
    fmt::print("the same image: {}\n", digest_a);
    return;
  }
  fmt::print("--- {}\n+++ {}\n", digest_a, digest_b);
  for (const auto& p : added) fmt::print("+ {} {}\n", p["name"].get<std::string>(), p["version"].get<std::string>());
  for (const auto& p : removed) fmt::print("- {} {}\n", p["name"].get<std::string>(), p["version"].get<std::string>());
  for (const auto& p : changed) {
    fmt::print("~ {} {} -> {}\n", p["name"].get<std::string>(), p["from"].get<std::string>(),
               p["to"].get<std::string>());
  }
  for (const auto& [key, change] : config.items()) {
    if (key == "env") {
      const json& from = change["from"];
      const json& to = change["to"];
      for (const auto& [k, v] : to.items()) {
        if (!from.contains(k)) {
          fmt::print("+ env {}={}\n", k, v.get<std::string>());
        } else if (from[k] != v) {
          fmt::print("~ env {}: {} -> {}\n", k, from[k].get<std::string>(), v.get<std::string>());
        }
      }
      for (const auto& [k, v] : from.items()) {
        if (!to.contains(k)) fmt::print("- env {}={}\n", k, v.get<std::string>());
      }
      continue;
    }
    fmt::print("~ {}: {} -> {}\n", key, change["from"].dump(), change["to"].dump());
  }
  fmt::print("layers: {} shared, {} only in A, {} only in B ({})\n", shared, layers_a.size() - shared,
             layers_b.size() - shared, human_bytes(bytes_b_only));
}

}  // namespace

void register_image_diff(CLI::App& image, Context& context) {
  auto options = std::make_shared<ImageDiffArgs>();
  CLI::App* cmd = image.add_subcommand("diff", "Show what changed from one image to another");
  cmd->footer(
      "Packages added (+), removed (-) and changed (~, with both versions), then\n"
      "config fields that differ, then how many layers the two share. Answered from\n"
      "the manifests and configs, without reading any layer.");
  cmd->add_option("A", options->a, "The image to compare from")->required();
  cmd->add_option("B", options->b, "The image to compare to")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&context, options] { image_diff_command(context, *options); });
}

}  // namespace sheaf::cli
