// sheaf image diff A B: what changed from image A to image B, package by
// package and field by field, from the manifests and configs alone.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/context.hpp"
#include "image/compose.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "image/stored_image.hpp"

namespace sheaf::cli {

namespace {

using nlohmann::json;

struct ImageDiffArgs {
  std::string a;
  std::string b;
  bool json = false;
  std::string platform;
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

// The difference of two images, as JSON.
json diff_of(const std::string& digest_a, const image::StoredImage& a, const std::string& digest_b,
             const image::StoredImage& b) {
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
  return {{"a", digest_a},
          {"b", digest_b},
          {"packages", {{"added", added}, {"removed", removed}, {"changed", changed}}},
          {"config", config},
          {"layers",
           {{"shared", shared},
            {"only_a", layers_a.size() - shared},
            {"only_b", layers_b.size() - shared},
            {"only_b_bytes", bytes_b_only}}}};
}

void print_diff(const json& out) {
  const std::string digest_a = out["a"], digest_b = out["b"];
  if (digest_a == digest_b) {
    fmt::print("the same image: {}\n", digest_a);
    return;
  }
  fmt::print("--- {}\n+++ {}\n", digest_a, digest_b);
  const json& packages = out["packages"];
  for (const auto& p : packages["added"]) {
    fmt::print("+ {} {}\n", p["name"].get<std::string>(), p["version"].get<std::string>());
  }
  for (const auto& p : packages["removed"]) {
    fmt::print("- {} {}\n", p["name"].get<std::string>(), p["version"].get<std::string>());
  }
  for (const auto& p : packages["changed"]) {
    fmt::print("~ {} {} -> {}\n", p["name"].get<std::string>(), p["from"].get<std::string>(),
               p["to"].get<std::string>());
  }
  for (const auto& [key, change] : out["config"].items()) {
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
  const json& layers = out["layers"];
  fmt::print("layers: {} shared, {} only in A, {} only in B ({})\n", layers["shared"].get<std::size_t>(),
             layers["only_a"].get<std::size_t>(), layers["only_b"].get<std::size_t>(),
             human_bytes(layers["only_b_bytes"].get<std::uint64_t>()));
}

void image_diff_command(Context& context, const ImageDiffArgs& options) {
  auto store = context.open_store();
  auto platform = platform_option(options.platform);
  store::ImageRecord ra = image::resolve_image(store->index(), options.a);
  store::ImageRecord rb = image::resolve_image(store->index(), options.b);
  auto load = [&](const store::ImageRecord& record) {
    return image::load_image(*store, *Digest::parse(record.digest));
  };
  if (ra.is_index() && rb.is_index() && !platform) {
    // Two indexes: the platforms each has, and each shared platform's images.
    auto pa = image::index_platforms(store->index(), ra), pb = image::index_platforms(store->index(), rb);
    json out = {{"a", ra.digest},
                {"b", rb.digest},
                {"platforms", json::array()},
                {"added", json::array()},
                {"removed", json::array()}};
    for (const auto& b : pb) {
      auto match = std::find_if(pa.begin(), pa.end(), [&](const image::PlatformImage& a) {
        return oci::platform_matches(a.platform, b.platform);
      });
      if (match == pa.end()) {
        out["added"].push_back(b.platform.str());
        continue;
      }
      json diff = diff_of(match->record.digest, load(match->record), b.record.digest, load(b.record));
      out["platforms"].push_back({{"platform", b.platform.str()}, {"diff", diff}});
    }
    for (const auto& a : pa) {
      bool kept = std::any_of(pb.begin(), pb.end(), [&](const image::PlatformImage& b) {
        return oci::platform_matches(a.platform, b.platform);
      });
      if (!kept) out["removed"].push_back(a.platform.str());
    }
    if (options.json) {
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("--- index {}\n+++ index {}\n", ra.digest, rb.digest);
    for (const auto& p : out["added"]) fmt::print("+ platform {}\n", p.get<std::string>());
    for (const auto& p : out["removed"]) fmt::print("- platform {}\n", p.get<std::string>());
    for (const auto& p : out["platforms"]) {
      fmt::print("\nplatform {}:\n", p["platform"].get<std::string>());
      print_diff(p["diff"]);
    }
    return;
  }
  // An image against an index: the index's image for the image's platform.
  if (!platform && ra.is_index() != rb.is_index()) {
    const store::ImageRecord& single = ra.is_index() ? rb : ra;
    platform = oci::platform_of_debian_arch(load(single).config.platform.architecture);
  }
  store::ImageRecord a = image::select_image(*store, ra, platform, options.a);
  store::ImageRecord b = image::select_image(*store, rb, platform, options.b);
  json out = diff_of(a.digest, load(a), b.digest, load(b));
  if (options.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  print_diff(out);
}

}  // namespace

void register_image_diff(CLI::App& image, Context& context) {
  auto options = std::make_shared<ImageDiffArgs>();
  CLI::App* cmd = image.add_subcommand("diff", "Show what changed from one image to another");
  cmd->footer(
      "Packages added (+), removed (-) and changed (~, with both versions), then\n"
      "config fields that differ, then how many layers the two share. Answered from\n"
      "the manifests and configs, without reading any layer. Two image indexes are\n"
      "compared platform by platform (platforms added and removed, then each shared\n"
      "platform's images), or for the one --platform names; an index against an image,\n"
      "by the index's image for that image's platform.");
  cmd->add_option("A", options->a, "The image to compare from")->required();
  cmd->add_option("B", options->b, "The image to compare to")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  add_platform_option(cmd, options->platform, "Compare the images of this platform (of indexes)");
  cmd->callback([&context, options] { image_diff_command(context, *options); });
}

}  // namespace sheaf::cli
