// sheaf image update IMAGE [--set NAME=VERSION|ID]... [--add NAME[=VERSION]]...
//                          [--remove NAME]... [--from-lock FILE] [-o DIR] [--tag NAME[:TAG]]
// A new image from a stored one with some packages changed (image/update.hpp).
#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/host.hpp"
#include "cli/context.hpp"
#include "image/compose.hpp"
#include "image/export.hpp"
#include "image/image_ref.hpp"
#include "image/update.hpp"
#include "repo/apt_config.hpp"
#include "repo/fetcher.hpp"
#include "repo/locking.hpp"

namespace sheaf::cli {

namespace {

struct Options {
  std::string image;
  std::vector<std::string> set;
  std::vector<std::string> add;
  std::vector<std::string> remove;
  std::string from_lock;
  std::string layout;
  std::string tag;
  bool allow_unsigned = false;
  unsigned jobs = 0;
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

// [source.debian] as the image's sources document records it.
spec::DebianSource recorded_debian_source(const nlohmann::json& sources, const std::string& label) {
  if (!sources.contains("debian")) {
    fail("{} records no [source.debian], so sheaf does not know where its packages come from", label);
  }
  const auto& d = sources.at("debian");
  spec::DebianSource source;
  source.suites = d.at("suites").get<std::vector<std::string>>();
  source.components = d.at("components").get<std::vector<std::string>>();
  source.arch = d.at("arch").get<std::string>();
  if (d.contains("mirror")) source.mirror = d.at("mirror").get<std::string>();
  if (d.contains("keyring")) source.keyring = d.at("keyring").get<std::string>();
  return source;
}

// Is `ref` the tag that names `digest`? Then the update moves that tag.
std::optional<std::pair<std::string, std::string>> tag_named_by(store::Index& index, const std::string& ref,
                                                                const std::string& digest) {
  if (ref.starts_with("sha256:") || ref.find('/') != std::string::npos) return std::nullopt;
  try {
    auto tag = image::parse_tag(ref);
    if (index.tagged_image(tag.first, tag.second) == digest) return tag;
  } catch (const Error&) {
  }
  return std::nullopt;
}

void run(Context& context, const Options& options) {
  auto start = std::chrono::steady_clock::now();
  image::UpdateRequest request;
  for (const auto& s : options.set) {
    auto pin = parse_pin(s, "--set", true);
    request.set.emplace_back(pin.name, *pin.version);
  }
  for (const auto& a : options.add) request.add.push_back(parse_pin(a, "--add", false));
  request.remove = options.remove;
  if (request.set.empty() && request.add.empty() && request.remove.empty() && options.from_lock.empty()) {
    fail_usage("nothing to change: give --set, --add, --remove or --from-lock");
  }
  if (!options.from_lock.empty() && !(request.set.empty() && request.add.empty() && request.remove.empty())) {
    fail_usage("--from-lock replaces every Debian package, so it does not combine with --set, --add or --remove");
  }
  std::string tag_name, tag = "latest";
  if (!options.tag.empty()) std::tie(tag_name, tag) = image::parse_tag(options.tag);

  auto store = context.open_store();
  unsigned threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  store::ImageRecord record = image::resolve_image(store->index(), options.image);
  image::StoredComposition old = image::load_composition(*store, record, options.image);
  if (options.tag.empty()) {
    if (auto named = tag_named_by(store->index(), options.image, record.digest)) std::tie(tag_name, tag) = *named;
  }

  std::optional<repo::NetworkSettings> network;  // only made when the network is needed
  auto ensure_network = [&]() -> repo::NetworkSettings& {
    if (!network) {
      network.emplace();
      network->apt = repo::load_host_apt_config();
    }
    return *network;
  };
  nlohmann::json sources = old.sources;
  sources.erase("lock");
  sources["updated_from"] = record.digest;

  if (!options.from_lock.empty()) {
    auto lock = repo::Lockfile::load(options.from_lock);
    if (lock.arch != old.recipe.arch) {
      fail("{} is for {}, and {} is {}", quote(options.from_lock), lock.arch, options.image, old.recipe.arch);
    }
    if (!repo::missing_packages(*store, lock).empty()) {
      auto debian = recorded_debian_source(old.sources, options.image);
      debian.suites = lock.suites;
      debian.components = lock.components;
      fetch_with_progress(*store, lock, repo::plan_suites(debian, ensure_network().apt), *network, threads);
    }
    request.replace = locked_package_ids(*store, lock);
    request.replace_roots = lock.include;
    auto absolute = std::filesystem::absolute(options.from_lock).lexically_normal();
    sources["lock"] = {{"path", absolute.string()}, {"sha256", Digest::of(lock.render()).hex()}};
  }

  image::PackageSource source = [&](const std::vector<spec::PackagePin>& include,
                                    const std::map<std::string, std::string>& favor,
                                    const std::function<bool(const std::string&, const std::string&)>& wanted) {
    spec::Spec spec = old.recipe.spec;
    spec.path = "the sources of " + options.image;
    spec.debian = recorded_debian_source(old.sources, options.image);
    spec.packages.include = include;
    repo::LockRequest lock_request{.allow_unsigned = options.allow_unsigned,
                                   .now = static_cast<std::int64_t>(std::time(nullptr)),
                                   .warn = [](const std::string& w) { fmt::print(stderr, "warning: {}\n", w); },
                                   .note = [](const std::string& n) { fmt::print(stderr, "{}\n", n); }};
    repo::Lockfile lock = repo::resolve_lock(spec, *store, ensure_network(), lock_request, favor);
    std::erase_if(lock.packages, [&](const repo::LockedPackage& p) { return !wanted(p.name, p.version); });
    if (!repo::missing_packages(*store, lock).empty()) {
      fetch_with_progress(*store, lock, repo::plan_suites(*spec.debian, network->apt), *network, threads);
    }
    std::vector<store::PackageRecord> out;
    for (const auto& id : locked_package_ids(*store, lock)) out.push_back(*store->index().package(id));
    return out;
  };
  image::UpdatePlan plan = image::plan_update(*store, old, request, source);

  image::Recipe& recipe = old.recipe;
  recipe.spec.packages.include = plan.roots;
  image::ComposeRequest compose;
  compose.debian_packages = plan.debian;
  compose.files_packages = recipe.files;
  compose.arch = recipe.arch;
  compose.os = recipe.os;
  compose.source_date_epoch = source_date_epoch();
  compose.tag_name = tag_name;
  compose.tag = tag;
  compose.sources = canonical_json(sources);
  compose.keep_recorded_sources = true;
  compose.threads = threads;
  compose.warn = [](const std::string& w) { fmt::print(stderr, "warning: {}\n", w); };
  compose.suggest = print_suggestion;
  compose.note = [](const std::string& n) { fmt::print(stderr, "{}\n", n); };
  image::ComposeResult result = image::compose_image(*store, recipe.spec, compose);

  for (const auto& c : plan.changes) {
    std::string why = c.why.empty() ? "" : " (" + c.why + ")";
    fmt::print("{}: {} -> {}{}\n", c.name, c.old_version.empty() ? "(none)" : c.old_version,
               c.new_version.empty() ? "(removed)" : c.new_version, why);
  }
  std::string new_assembly;
  for (const auto& layer : result.layers) {
    for (const auto& p : layer.packages) {
      if (p.starts_with("sheaf-assembly ")) new_assembly = p.substr(15);
    }
  }
  if (old.assembly && old.assembly->version != new_assembly) {
    fmt::print("sheaf-assembly: {} -> {}\n", old.assembly->version, new_assembly);
  }
  std::size_t made = 0;
  for (const auto& layer : result.layers) made += layer.made ? 1 : 0;
  std::string repo_tag = tag_name.empty() ? "" : tag_name + ":" + tag;
  if (!options.layout.empty()) {
    auto stats = image::write_oci_layout(*store, result.manifest, options.layout, tag_name.empty() ? "" : tag);
    fmt::print(stderr, "wrote the OCI layout {}{} ({} copied)\n", options.layout, tag_name.empty() ? "" : ":" + tag,
               human_bytes(stats.bytes_copied));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.manifest.str() == record.digest) {
    fmt::print(stderr, "nothing changed: the update gives the same image\n");
  } else {
    fmt::print(stderr, "updated {}{}: {} package change(s), {} layers ({} made, {} reused), in {:.0f} ms\n",
               options.image, repo_tag.empty() ? "" : " as " + repo_tag, plan.changes.size(), result.layers.size(),
               made, result.layers.size() - made, seconds * 1000);
  }
  fmt::print("{}\n", result.manifest.str());
}

}  // namespace

void register_image_update(CLI::App& image, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = image.add_subcommand("update", "Make a new image from a stored one with some packages changed");
  cmd->footer(
      "Every unchanged package keeps its layer blob; the new image is the one a fresh\n"
      "'sheaf build' of the same packages gives, digest for digest. New packages come\n"
      "from the store, or from the image's recorded [source.debian]. The result must\n"
      "be closed and conflict-free, or nothing is written.\n"
      "Prints each change as 'NAME: OLD -> NEW', then the new manifest digest as the\n"
      "last line. When IMAGE is NAME[:TAG], that tag moves to the new image unless\n"
      "--tag names another; a digest or layout path leaves tags alone.");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path")
      ->required();
  cmd->add_option("--set", options->set, "Change a package's version: NAME=VERSION or NAME=ID")
      ->type_name("NAME=VERSION|ID")
      ->allow_extra_args(false);
  cmd->add_option("--add", options->add, "Add a package (and its missing dependencies)")
      ->type_name("NAME[=VERSION]")
      ->allow_extra_args(false);
  cmd->add_option("--remove", options->remove, "Remove a package (and what only it needed)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  cmd->add_option("--from-lock", options->from_lock, "Take the Debian packages from this lock file")->type_name("FILE");
  cmd->add_option("-o,--output", options->layout, "Write (or add to) an OCI layout directory")->type_name("DIR");
  cmd->add_option("--tag", options->tag, "Name the new image NAME[:TAG]")->type_name("NAME[:TAG]");
  cmd->add_flag("--allow-unsigned", options->allow_unsigned,
                "When resolving: accept unsigned repositories (local test repositories)");
  cmd->add_option("-j,--jobs", options->jobs, "Threads (default: one per core)");
  cmd->callback([&context, options] { run(context, *options); });
}

}  // namespace sheaf::cli
