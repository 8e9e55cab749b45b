// sheaf build [-f sheaf.toml] [-o DIR] [--oci-archive FILE] [--docker-archive FILE]
//             [--tag NAME[:TAG]] [--locked] [--sbom] [-j N]: compose the spec's image.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "base/canonical_json.hpp"
#include "base/digest.hpp"
#include "base/error.hpp"
#include "base/host.hpp"
#include "cli/context.hpp"
#include "image/compose.hpp"
#include "image/export.hpp"
#include "image/image_ref.hpp"
#include "pkg/import_deb.hpp"
#include "repo/apt_config.hpp"
#include "repo/fetcher.hpp"
#include "repo/locking.hpp"
#include "sbom/attach.hpp"
#include "sbom/documents.hpp"
#include "sbom/inventory.hpp"

namespace sheaf::cli {

namespace {

struct Options {
  std::string spec = "sheaf.toml";
  std::string layout;
  std::string oci_archive;
  std::string docker_archive;
  std::string tag;
  bool locked = false;
  bool sbom = false;
  bool allow_unsigned = false;
  unsigned jobs = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The lock the build uses: the one beside the spec while it still answers
// the spec; otherwise a new one (refused with --locked).
repo::Lockfile ensure_lock(store::LocalStore& store, const spec::Spec& spec, const Options& options,
                           std::optional<repo::NetworkSettings>& network) {
  auto path = repo::lock_path_for(spec.path);
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (exists) {
    auto lock = repo::Lockfile::load(path);
    auto problems = repo::lock_problems(lock, spec);
    if (problems.empty()) return lock;
    if (options.locked) {
      fail("{} no longer satisfies {}, and --locked forbids changing it:\n  - {}", quote(path.string()),
           quote(spec.path.string()), fmt::join(problems, "\n  - "));
    }
  } else if (options.locked) {
    fail("{} does not exist, and --locked forbids creating it; run 'sheaf lock'", quote(path.string()));
  }
  if (!network) {
    network.emplace();
    network->apt = repo::load_host_apt_config();
  }
  repo::LockRequest request{.allow_unsigned = options.allow_unsigned,
                            .now = static_cast<std::int64_t>(std::time(nullptr)),
                            .warn = [](const std::string& w) { fmt::print(stderr, "warning: {}\n", w); },
                            .note = [](const std::string& n) { fmt::print(stderr, "{}\n", n); }};
  auto outcome = repo::lock_spec(spec, store, *network, request);
  print_lock_changes(stderr, outcome.changes);
  fmt::print(stderr, "{} {} ({} packages)\n", exists ? "updated" : "created", path.string(),
             outcome.lock.packages.size());
  return outcome.lock;
}

// Where the image came from, kept beside it in the index (never in the
// image): the spec, the lock's digest and the [source.debian] request. Its
// "mirror" is the spec's; without one, packages come from the host's apt
// sources, resolved again whenever they are fetched. Nothing here depends on
// whether this build fetched, so rebuilds record the same sources.
std::string sources_json(const spec::Spec& spec, const repo::Lockfile& lock) {
  auto absolute = std::filesystem::absolute(spec.path).lexically_normal();
  auto lock_path = repo::lock_path_for(absolute);
  nlohmann::json doc = {{"spec", absolute.string()},
                        {"lock", {{"path", lock_path.string()}, {"sha256", Digest::of(lock.render()).hex()}}}};
  if (spec.debian) {
    const auto& d = *spec.debian;
    nlohmann::json debian = {{"suites", d.suites}, {"components", d.components}, {"arch", d.arch}};
    if (d.mirror) debian["mirror"] = *d.mirror;
    if (d.keyring) debian["keyring"] = d.keyring->string();
    doc["debian"] = debian;
  }
  return canonical_json(doc);
}

void run(Context& context, const Options& options) {
  auto start = std::chrono::steady_clock::now();
  if (options.sbom && options.layout.empty()) {
    fail_usage("--sbom attaches the SBOMs to the OCI layout; give -o DIR too");
  }
  auto spec = spec::Spec::load(options.spec);
  std::string tag_name, tag = "latest";
  if (!options.tag.empty()) {
    std::tie(tag_name, tag) = image::parse_tag(options.tag);
  } else if (!spec.image.name.empty()) {
    tag_name = image::parse_tag(spec.image.name).first;
  }
  auto store = context.open_store();
  unsigned threads = options.jobs == 0 ? hardware_threads() : options.jobs;

  std::optional<repo::NetworkSettings> network;  // only made when the network is needed
  image::ComposeRequest request;
  request.arch = spec.debian ? spec.debian->arch : host_debian_arch();
  std::string sources = canonical_json({{"spec", std::filesystem::absolute(spec.path).lexically_normal().string()}});
  if (spec.debian) {
    repo::Lockfile lock = ensure_lock(*store, spec, options, network);
    if (!repo::missing_packages(*store, lock).empty()) {
      if (!network) {
        network.emplace();
        network->apt = repo::load_host_apt_config();
      }
      fetch_with_progress(*store, lock, repo::plan_suites(*spec.debian, network->apt), *network, threads);
    }
    request.debian_packages = locked_package_ids(*store, lock);
    if (!lock.suites.empty()) request.os = image::os_release_for_suite(lock.suites.front());
    sources = sources_json(spec, lock);
  }
  request.source_date_epoch = source_date_epoch();
  request.tag_name = tag_name;
  request.tag = tag;
  request.sources = sources;
  request.threads = threads;
  request.warn = [](const std::string& w) { fmt::print(stderr, "warning: {}\n", w); };
  request.note = [](const std::string& n) { fmt::print(stderr, "{}\n", n); };
  request.suggest = print_suggestion;
  ProgressBar bar;
  if (stderr_is_terminal()) {
    request.on_layer = [&bar](std::size_t done, std::size_t total) {
      bar.update(static_cast<double>(done) / static_cast<double>(total),
                 fmt::format("making layers {}/{}", done, total), done == total);
    };
  }
  image::ComposeResult result;
  try {
    result = image::compose_image(*store, spec, request);
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();

  std::size_t made = 0;
  std::uint64_t bytes = 0;
  for (const auto& layer : result.layers) {
    made += layer.made ? 1 : 0;
    bytes += layer.descriptor.size;
  }
  std::string repo_tag = tag_name.empty() ? "" : tag_name + ":" + tag;
  std::string ref_name = tag_name.empty() ? "" : tag;
  if (!options.layout.empty()) {
    auto stats = image::write_oci_layout(*store, result.manifest, options.layout, ref_name);
    fmt::print(stderr, "wrote the OCI layout {}{} ({} copied)\n", options.layout,
               ref_name.empty() ? "" : ":" + ref_name, human_bytes(stats.bytes_copied));
    if (options.sbom) {
      auto record = store->index().image(result.manifest.str());
      sbom::Inventory inventory = sbom::load_inventory(*store, *record);
      oci::Descriptor image{
          std::string(oci::kMediaTypeManifest), result.manifest, result.manifest_size, {}, std::nullopt, ""};
      sbom::attach_sboms(options.layout, image, result.config.created,
                         {{std::string(sbom::kMediaTypeSpdx), sbom::render_spdx(inventory)},
                          {std::string(sbom::kMediaTypeCycloneDx), sbom::render_cyclonedx(inventory)}});
      fmt::print(stderr, "attached the SPDX and CycloneDX SBOMs to {}\n", options.layout);
    }
  }
  if (!options.oci_archive.empty()) {
    image::write_oci_archive(*store, result.manifest, options.oci_archive, ref_name);
    fmt::print(stderr, "wrote the oci-archive {}\n", options.oci_archive);
  }
  if (!options.docker_archive.empty()) {
    image::write_docker_archive(*store, result.manifest, options.docker_archive, repo_tag);
    fmt::print(stderr, "wrote the docker-archive {}\n", options.docker_archive);
  }
  fmt::print(stderr, "built {}{}: {} packages in {} layers ({} made, {} reused), {} compressed, in {:.2f} s\n",
             repo_tag.empty() ? "an untagged image" : repo_tag, "", result.members, result.layers.size(), made,
             result.layers.size() - made, human_bytes(bytes), seconds_since(start));
  fmt::print("{}\n", result.manifest.str());
}

}  // namespace

void register_build(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("build", "Compose the spec's image from its packages");
  cmd->footer(
      "Uses sheaf.lock beside the spec while it satisfies the spec; otherwise locks\n"
      "again and says so (--locked fails instead). Fetches every locked package the\n"
      "store lacks, checks that the packages form a closed, conflict-free set, and\n"
      "composes one layer per package plus the assembly layer. With the lock in place\n"
      "and every package in the store, the build does not touch the network.\n"
      "The image is recorded in the store, tagged with --tag or [image] name (tag\n"
      "'latest'); -o, --oci-archive and --docker-archive write it out as well.\n"
      "The manifest digest is the last line of stdout. SOURCE_DATE_EPOCH sets the\n"
      "image's 'created'; otherwise it is the newest package's build date.\n"
      "What the packages' maintainer scripts would have done is made in the assembly\n"
      "(never by running them); a step that could not be read, and per-host state\n"
      "such as host keys, is a warning. What Debian's Essential set would have given\n"
      "is printed on stderr, one line per package, exactly as\n"
      "  suggestion: include PACKAGE (REASON)");
  cmd->add_option("-f,--file", options->spec, "The spec (default: sheaf.toml)")->type_name("SPEC");
  cmd->add_option("-o,--output", options->layout, "Write (or add to) an OCI layout directory")->type_name("DIR");
  cmd->add_option("--oci-archive", options->oci_archive, "Write an oci-archive tar")->type_name("FILE");
  cmd->add_option("--docker-archive", options->docker_archive, "Write a docker-archive tar (docker/podman load)")
      ->type_name("FILE");
  cmd->add_option("--tag", options->tag, "Name the image NAME[:TAG] (default: [image] name, tag latest)")
      ->type_name("NAME[:TAG]");
  cmd->add_flag("--locked", options->locked, "Fail instead of creating or changing sheaf.lock");
  cmd->add_flag("--sbom", options->sbom,
                "Attach SPDX and CycloneDX SBOMs to the -o layout (OCI 1.1 artifacts whose subject is the image)");
  cmd->add_flag("--allow-unsigned", options->allow_unsigned,
                "When locking: accept unsigned repositories (local test repositories)");
  cmd->add_option("-j,--jobs", options->jobs, "Threads (default: one per core)");
  cmd->callback([&context, options] { run(context, *options); });
}

}  // namespace sheaf::cli
