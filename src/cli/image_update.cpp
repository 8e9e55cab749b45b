// sheaf image update IMAGE [--set NAME=VERSION|ID]... [--add NAME[=VERSION]]...
//                          [--remove NAME]... [--from-lock FILE] [-o DIR] [--tag NAME[:TAG]]
// A new image from a stored one with some packages changed (image/update.hpp).
#include <fmt/format.h>

#include <chrono>
#include <set>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "pipeline/update.hpp"

namespace sheaf::cli {

namespace {

struct ImageUpdateArgs {
  std::vector<std::string> set;
  std::vector<std::string> add;
  pipeline::UpdateOptions update;
};

spec::PackagePin parse_pin(const std::string& text, std::string_view flag, bool version_required) {
  auto eq = text.find('=');
  spec::PackagePin pin;
  pin.name = text.substr(0, eq);
  if (eq != std::string::npos) pin.version = text.substr(eq + 1);
  if (pin.name.empty() || (pin.version && pin.version->empty()) || (version_required && !pin.version)) {
    fail_usage("{} {}: give {}", flag, quote(text),
               version_required ? "NAME=VERSION or NAME=ID" : "NAME or NAME=VERSION");
  }
  return pin;
}

// "NAME: OLD -> NEW (WHY)" for each change of one image, and the assembly's,
// each line starting with `prefix` (an index's platform, "linux/amd64: ").
void print_changes(const pipeline::UpdateResult& result, const std::string& prefix) {
  for (const auto& c : result.plan.changes) {
    std::string why = c.why.empty() ? "" : " (" + c.why + ")";
    fmt::print("{}{}: {} -> {}{}\n", prefix, c.name, c.old_version.empty() ? "(none)" : c.old_version,
               c.new_version.empty() ? "(removed)" : c.new_version, why);
  }
  if (!result.old_assembly.empty()) {
    fmt::print("{}sheaf-assembly: {} -> {}\n", prefix, result.old_assembly, result.new_assembly);
  }
}

void image_update_command(Context& context, ImageUpdateArgs& options) {
  auto start = std::chrono::steady_clock::now();
  for (const auto& s : options.set) {
    auto pin = parse_pin(s, "--set", true);
    options.update.set.emplace_back(pin.name, *pin.version);
  }
  for (const auto& a : options.add) options.update.add.push_back(parse_pin(a, "--add", false));
  options.update.source_date_epoch = pipeline::source_date_epoch_from_environment();
  pipeline::Session session = context.session();
  pipeline::UpdateResult result = pipeline::update(session, options.update);
  if (result.index) {
    // Each platform's changes, then the index's digest.
    std::size_t layers = 0, made = 0;
    std::set<std::string> changed;
    for (const auto& one : result.platforms) {
      print_changes(one, oci::platform_of_debian_arch(one.composed.config.platform.architecture).str() + ": ");
      for (const auto& layer : one.composed.layers) {
        layers += 1;
        if (layer.made && changed.insert(layer.descriptor.digest.str()).second) made += 1;
      }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string tag = result.tag.str();
    if (result.index->digest.str() == result.old_digest) {
      fmt::print(stderr, "nothing changed: the update gives the same index\n");
    } else {
      fmt::print(stderr, "updated the index {}{}: {} images, {} layers ({} made), in {:.0f} ms\n", options.update.image,
                 tag.empty() ? "" : " as " + tag, result.platforms.size(), layers, made, seconds * 1000);
    }
    fmt::print("{}\n", result.index->digest.str());
    return;
  }
  print_changes(result, "");
  std::size_t made = 0;
  for (const auto& layer : result.composed.layers) made += layer.made ? 1 : 0;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string tag = result.tag.str();
  if (result.composed.manifest.str() == result.old_digest) {
    fmt::print(stderr, "nothing changed: the update gives the same image\n");
  } else {
    fmt::print(stderr, "updated {}{}: {} package change(s), {} layers ({} made, {} reused), in {:.0f} ms\n",
               options.update.image, tag.empty() ? "" : " as " + tag, result.plan.changes.size(),
               result.composed.layers.size(), made, result.composed.layers.size() - made, seconds * 1000);
  }
  fmt::print("{}\n", result.composed.manifest.str());
}

}  // namespace

void register_image_update(CLI::App& image, Context& context) {
  auto options = std::make_shared<ImageUpdateArgs>();
  CLI::App* cmd = image.add_subcommand("update", "Make a new image from a stored one with some packages changed");
  cmd->footer(
      "Every unchanged package keeps its layer blob; the new image is the one a fresh\n"
      "'sheaf build' of the same packages gives, digest for digest. New packages come\n"
      "from the store, or from the image's recorded [source.debian]. The result must\n"
      "be closed and conflict-free, or nothing is written.\n"
      "Prints each change as 'NAME: OLD -> NEW', then the new manifest digest as the\n"
      "last line. When IMAGE is NAME[:TAG], that tag moves to the new image unless\n"
      "--tag names another; a digest or layout path leaves tags alone.\n"
      "An image index is updated image by image (every platform's, each line of\n"
      "changes starting with its platform) into a new index: the update is planned\n"
      "for every platform first, and when one cannot be updated, nothing is made.");
  cmd->add_option("IMAGE", options->update.image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_option("--set", options->set, "Change a package's version: NAME=VERSION or NAME=ID")
      ->type_name("NAME=VERSION|ID")
      ->allow_extra_args(false);
  cmd->add_option("--add", options->add, "Add a package (and its missing dependencies)")
      ->type_name("NAME[=VERSION]")
      ->allow_extra_args(false);
  cmd->add_option("--remove", options->update.remove, "Remove a package (and what only it needed)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  cmd->add_option("--from-lock", options->update.from_lock, "Take the Debian packages from this lock file")
      ->type_name("FILE");
  cmd->add_option("-o,--output", options->update.outputs.layout, "Write (or add to) an OCI layout directory")
      ->type_name("DIR");
  cmd->add_option("--tag", options->update.tag, "Name the new image NAME[:TAG]")->type_name("NAME[:TAG]");
  cmd->add_flag("--allow-unsigned", options->update.allow_unsigned,
                "When resolving: accept unsigned repositories (local test repositories)");
  cmd->add_option("-j,--jobs", options->update.jobs, "Threads (default: one per core)");
  cmd->callback([&context, options] { image_update_command(context, *options); });
}

}  // namespace sheaf::cli
