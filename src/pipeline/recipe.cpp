#include "pipeline/recipe.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/host.hpp"
#include "base/unique_fd.hpp"
#include "build/debian_source.hpp"
#include "build/recipe_build.hpp"
#include "build/sandbox.hpp"
#include "image/compose.hpp"
#include "pipeline/fetch.hpp"
#include "pkg/add_directory.hpp"
#include "repo/fetcher.hpp"
#include "repo/repository.hpp"
#include "run/container.hpp"

namespace sheaf::pipeline {

namespace fs = std::filesystem;

namespace {

// The build's scratch directory, under the store's tmp/ unless the options
// name another place, removed when done. It holds the store's shared lock
// while it exists: a writer that finds the store unlocked takes what is in
// tmp/ for a dead writer's and removes it.
struct WorkDir {
  store::StoreLock held;
  fs::path path;
  WorkDir(const store::LocalStore& store, const fs::path& parent)
      : held(store.lock(store::StoreLock::Mode::shared)),
        path((parent.empty() ? store.root() / "tmp" : fs::absolute(parent)) / ("recipe-" + random_hex(8))) {
    if (!parent.empty() && !fs::is_directory(parent)) {
      fail("the build directory {} is not a directory", quote(parent.string()));
    }
    for (const char* d : {"src", "dest", "home", "tmp"}) fs::create_directories(path / d);
    ::chmod(path.c_str(), 0700);
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
};

// A build environment's image is composed once per set of what composing
// reads: the package ids, the architecture, the release the lock's first
// suite names (its os-release), and the sheaf that composes. The store keeps
// each composed environment's manifest digest under cache/recipe-env/, named
// by the hash of those, and a later build with the same ones mounts that
// image again: composing 119 packages was most of every build's fixed cost
// (docs/decisions.md).
class ComposedEnvironments {
 public:
  static fs::path directory(const store::LocalStore& store) { return store.root() / "cache" / "recipe-env"; }

  // The image a record names, while the index still holds it and the store
  // its manifest (`image rm` and then gc take them away).
  static std::optional<Digest> image_of(store::LocalStore& store, const fs::path& record) {
    std::error_code ec;
    if (!fs::is_regular_file(record, ec)) return std::nullopt;
    std::string text = read_file(record.string());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    auto manifest = Digest::parse(text);
    if (!manifest || !store.index().image(manifest->str()) || !store.has_blob(*manifest)) return std::nullopt;
    return manifest;
  }

  ComposedEnvironments(store::LocalStore& store, const image::ComposeRequest& request, std::string_view suite)
      : store_(store) {
    std::vector<std::string> debian = request.debian_packages;
    std::sort(debian.begin(), debian.end());
    Digest key = Digest::of(canonical_json({{"sheaf-recipe-environment", SHEAF_VERSION},
                                            {"debian", debian},
                                            {"recipes", request.files_packages},
                                            {"arch", request.arch},
                                            {"suite", suite}}));
    record_ = directory(store) / key.hex();
  }

  // The image composed before, if it is still there (the build's work
  // directory keeps gc waiting from here on).
  std::optional<Digest> find() const { return image_of(store_, record_); }

  void remember(const Digest& manifest) const {
    fs::create_directories(record_.parent_path());
    write_file_atomically(record_, manifest.str() + "\n");
  }

 private:
  store::LocalStore& store_;
  fs::path record_;
};

RecipeBuildResult build_one(Session& session, const spec::Recipe& recipe, const RecipeBuildOptions& options,
                            std::vector<fs::path>& stack) {
  Reporter& reporter = session.reporter();
  store::LocalStore& store = session.store();
  fs::path self = fs::absolute(recipe.path).lexically_normal();
  if (std::find(stack.begin(), stack.end(), self) != stack.end()) {
    std::string cycle;
    for (const auto& p : stack) cycle += p.string() + " -> ";
    fail("the recipes' environments form a cycle: {}{}", cycle, self.string());
  }
  stack.push_back(self);
  const std::string arch = recipe.debian ? recipe.debian->arch : host_debian_arch();
  if (arch != host_debian_arch()) {
    fail("{} builds for {}, but recipes build for the host's architecture ({}) only in this version of sheaf",
         quote(recipe.path.string()), arch, host_debian_arch());
  }
  unsigned threads = options.jobs == 0 ? hardware_threads() : options.jobs;

  // 1. The environment.
  spec::Spec env = recipe.environment_spec();
  std::vector<std::string> debian_ids;
  std::optional<repo::Lockfile> lock;
  if (recipe.debian) {
    lock = ensure_lock(session, env, options.locked, options.allow_unsigned);
    fetch_missing(session, *lock, *recipe.debian, threads);
    debian_ids = locked_package_ids(store, *lock);
    for (const auto& p : lock->packages) {
      if (p.name == recipe.package.name && p.version == recipe.package.version) {
        fail(
            "{} builds {} {}, which is also the Debian package of that name and version in its environment; give "
            "the output a version of its own (for example {}+local1)",
            quote(recipe.path.string()), p.name, p.version, p.version);
      }
    }
  }
  std::vector<std::string> recipe_ids;
  for (std::size_t i = 0; i < recipe.environment.recipes.size(); ++i) {
    const fs::path& other = recipe.environment.recipes[i];
    RecipeBuildResult built =
        with_context(fmt::format("while building {}, which {} names in its environment ({})", quote(other.string()),
                                 quote(recipe.path.string()), recipe.where(recipe.environment.recipe_positions[i])),
                     [&] { return build_one(session, spec::Recipe::load(other), options, stack); });
    recipe_ids.push_back(built.package_id);
  }

  // The Debian source packages, as the lock pins them.
  std::vector<const repo::LockedSource*> debian_sources(recipe.sources.size(), nullptr);
  for (std::size_t i = 0; i < recipe.sources.size(); ++i) {
    const spec::RecipeSource& source = recipe.sources[i];
    if (source.kind != spec::RecipeSource::Kind::debian) continue;
    const repo::LockedSource* locked = lock ? lock->find_source(source.package, source.version) : nullptr;
    if (!locked || !locked->dsc()) {
      fail("{} has no source package {} {}; run 'sheaf recipe lock'", quote(recipe.lock_path().string()),
           source.package, source.version);
    }
    if (!source.digest.empty() && source.digest != locked->dsc()->sha256.str()) {
      fail(
          "the source {} ({}) pins the .dsc's sha256 {}, but the suite's Sources index has {} for {}; nothing was "
          "built",
          quote(source.path_as_written), recipe.where(source.position), source.digest, locked->dsc()->sha256.str(),
          locked->dsc()->name);
    }
    debian_sources[i] = locked;
  }

  // 2. The key, and the store's answer to it.
  build::RecipeInputs inputs;
  inputs.recipe = Digest::of(read_file(recipe.path.string()));
  for (std::size_t i = 0; i < recipe.sources.size(); ++i) {
    const spec::RecipeSource& s = recipe.sources[i];
    inputs.sources.emplace_back(s.path_as_written,
                                debian_sources[i] ? debian_sources[i]->dsc()->sha256.str() : s.digest);
  }
  inputs.environment = debian_ids;
  inputs.environment.insert(inputs.environment.end(), recipe_ids.begin(), recipe_ids.end());
  std::sort(inputs.environment.begin(), inputs.environment.end());
  inputs.environment.erase(std::unique(inputs.environment.begin(), inputs.environment.end()), inputs.environment.end());
  inputs.arch = arch;
  RecipeBuildResult result;
  result.key = inputs.key();
  result.name = recipe.package.name;
  result.version = recipe.package.version;
  std::string origin = inputs.origin();
  if (!options.rebuild) {
    for (const auto& record : store.index().packages_with_origin(origin)) {
      result.package_id = record.id;
      result.cached = true;
      reporter.note(
          fmt::format("{} {}: built before with the same inputs (key {})", result.name, result.version, result.key));
      stack.pop_back();
      return result;
    }
  }

  // 3. Compose and mount the environment; prepare, run, add.
  if (::geteuid() != 0) {
    fail("building {} needs root: its environment is an overlay of package trees, as `sheaf run` mounts",
         quote(recipe.path.string()));
  }
  build::find_bwrap();  // before any work, a clear error when it is missing
  // The sources first: a pin that does not hold is refused before anything
  // is composed or run. The work directory's lock also keeps gc from the
  // trees the root will mount.
  WorkDir work(store, options.build_dir);
  // A Debian source package's files are fetched and checked now; it is
  // unpacked by the environment's dpkg-source, so after composing, and its
  // changelog then dates the other sources.
  std::vector<build::DebianSourceRequest> unpacks;
  for (std::size_t i = 0; i < recipe.sources.size(); ++i) {
    if (!debian_sources[i]) continue;
    const repo::LockedSource& locked = *debian_sources[i];
    build::DebianSourceRequest unpack{locked.name, locked.version, {}, recipe.sources[i].dest};
    unpack.files = with_context(fmt::format("while fetching the source package {} {} ({})", locked.name, locked.version,
                                            recipe.where(recipe.sources[i].position)),
                                [&] {
                                  return repo::fetch_source_package(
                                      repo::apt_cache_dir(store.root()), locked,
                                      repo::plan_suites(*recipe.debian, session.network().apt), session.network());
                                });
    unpacks.push_back(std::move(unpack));
  }
  // Shallower destinations first: one may unpack inside another.
  std::stable_sort(unpacks.begin(), unpacks.end(), [](const auto& a, const auto& b) { return a.dest < b.dest; });
  std::optional<build::PreparedSources> prepared;
  if (unpacks.empty()) prepared = build::prepare_sources(recipe, work.path / "src");
  image::ComposeRequest request;
  request.debian_packages = debian_ids;
  request.files_packages = recipe_ids;
  request.arch = arch;
  if (lock && !lock->suites.empty()) request.os = image::os_release_for_suite(lock->suites.front());
  request.threads = threads;
  request.warn = [&reporter](const std::string& w) { reporter.warning(w); };
  request.on_layer = [&reporter](std::size_t done, std::size_t total) {
    reporter.progress({Progress::Stage::layers, done, total, 0, 0});
  };
  ComposedEnvironments environments(store, request, lock && !lock->suites.empty() ? lock->suites.front() : "");
  std::optional<Digest> environment = environments.find();
  if (environment) {
    reporter.note(
        fmt::format("{}: the build environment composed before ({})", recipe.package.name, environment->str()));
  } else {
    reporter.note(fmt::format("{}: composing the build environment ({} packages)", recipe.package.name,
                              debian_ids.size() + recipe_ids.size()));
    ProgressScope scope(reporter);
    image::ComposeResult composed =
        with_context(fmt::format("while composing the build environment of {}", quote(recipe.path.string())),
                     [&] { return image::compose_image(store, env, request); });
    environments.remember(composed.manifest);
    environment = composed.manifest;
  }
  run::ImageRoot root(store, *environment);
  build::SandboxRequest sandbox;
  sandbox.root = root.path();
  sandbox.source_dir = work.path / "src";
  sandbox.dest_dir = work.path / "dest";
  sandbox.home_dir = work.path / "home";
  sandbox.tmp_dir = work.path / "tmp";
  sandbox.log = work.path / "log";
  sandbox.timeout = std::chrono::seconds(recipe.build.timeout);
  if (!unpacks.empty()) {
    std::optional<std::int64_t> changelog_date;
    for (const auto& unpack : unpacks) {
      reporter.note(
          fmt::format("{}: unpacking the source package {} {}", recipe.package.name, unpack.name, unpack.version));
      std::int64_t date = build::unpack_debian_source(sandbox, work.path / "src", unpack);
      if (!changelog_date) changelog_date = date;  // the outermost package's
    }
    prepared = build::prepare_sources(recipe, work.path / "src", changelog_date);
  }
  sandbox.steps = recipe.build.steps;
  sandbox.env = recipe.build.env;
  sandbox.source_date_epoch = prepared->source_date_epoch;
  sandbox.on_step = [&](std::size_t i, const std::string& step) {
    reporter.note(fmt::format("{}: step {}/{}: {}", recipe.package.name, i + 1, recipe.build.steps.size(),
                              step.substr(0, step.find('\n'))));
  };
  with_context(fmt::format("while building {}", quote(recipe.path.string())), [&] { build::run_steps(sandbox); });
  if (fs::is_empty(work.path / "dest")) {
    fail("the steps of {} installed nothing under $DESTDIR (/build/dest), so there is no package",
         quote(recipe.path.string()));
  }

  pkg::AddDirectoryRequest add;
  add.dir = work.path / "dest";
  add.name = recipe.package.name;
  add.version = recipe.package.version;
  add.arch = arch;
  add.depends = spec::relation_field(recipe.package.depends);
  add.pre_depends = spec::relation_field(recipe.package.pre_depends);
  add.provides = spec::relation_field(recipe.package.provides);
  add.conflicts = spec::relation_field(recipe.package.conflicts);
  add.breaks = spec::relation_field(recipe.package.breaks);
  add.metadata.license = recipe.package.license;
  add.metadata.homepage = recipe.package.homepage;
  add.metadata.description = recipe.package.description;
  add.metadata.date = prepared->source_date_epoch;
  add.threads = threads;
  add.transform = [&](const fileset::Manifest& m) { return build::shape_output(m, recipe.owners); };
  add.origin = origin;
  pkg::AddResult added = with_context(fmt::format("while adding the output of {}", quote(recipe.path.string())),
                                      [&] { return pkg::add_directory(store, add); });
  result.package_id = added.id.str();
  reporter.note(
      fmt::format("built {} {} ({} entries, key {})", result.name, result.version, added.entries, result.key));
  stack.pop_back();
  return result;
}

}  // namespace

RecipeBuildResult build_recipe(Session& session, const spec::Recipe& recipe, const RecipeBuildOptions& options) {
  std::vector<fs::path> stack;
  return build_one(session, recipe, options, stack);
}

std::size_t prune_composed_environments(store::LocalStore& store, bool dry_run) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ComposedEnvironments::directory(store), ec)) {
    if (entry.path().filename().string().starts_with(".")) continue;  // a record being written
    if (ComposedEnvironments::image_of(store, entry.path())) continue;
    ++removed;
    if (!dry_run) fs::remove(entry.path(), ec);
  }
  return removed;
}

repo::LockOutcome lock_recipe(Session& session, const spec::Recipe& recipe, const LockOptions& options) {
  if (!recipe.debian) {
    fail("{} has no [source.debian]: its environment holds recipe outputs only, and has no lock",
         quote(recipe.path.string()));
  }
  return lock(session, recipe.environment_spec(), options);
}

}  // namespace sheaf::pipeline
