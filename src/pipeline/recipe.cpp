#include "pipeline/recipe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <optional>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/host.hpp"
#include "base/unique_fd.hpp"
#include "build/debian_source.hpp"
#include "build/recipe_build.hpp"
#include "build/sandbox.hpp"
#include "build/shlibdeps.hpp"
#include "fileset/content_sink.hpp"
#include "fileset/directory_reader.hpp"
#include "image/compose.hpp"
#include "image/stored_image.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/registry_common.hpp"
#include "pkg/add_directory.hpp"
#include "pkg/package_ref.hpp"
#include "repo/fetcher.hpp"
#include "repo/repository.hpp"
#include "run/container.hpp"
#include "sign/dsse.hpp"
#include "sign/in_toto.hpp"
#include "sign/keys.hpp"
#include "store/write_batch.hpp"

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

// Everything a build runs from, decided: what build_one resolves from the
// recipe and its lock, and what rebuild_package reads back from the store.
struct BuildPlan {
  const spec::Recipe& recipe;  // its sources' paths may point into the store (a rebuild)
  std::string arch;
  unsigned threads = 1;
  spec::Spec environment;  // the recipe's environment spec (composing reads its image settings)
  std::string suite;       // the release the environment's os-release names
  std::vector<std::string> debian_ids, recipe_ids;
  build::RecipeInputs inputs;
  std::vector<build::DebianSourceRequest> debian_sources;  // in recipe order, with their files
  fs::path build_dir;
};

// What the steps made, before it is a package of the store: the request
// that adds it (or, for a rebuild, reads it), while `work` keeps its
// destination.
struct Built {
  pkg::AddDirectoryRequest output;  // everything but the origin
  std::int64_t source_date_epoch = 0;
  std::int64_t started = 0, finished = 0;
  std::unique_ptr<WorkDir> work;
};

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// Composes and mounts the environment, lays out the sources, runs the
// steps in the sandbox, and describes the destination as the package (its
// Depends with the shared libraries' packages). Nothing enters the store
// but the environment's composed image, and the output is not read yet:
// a build reads it once, as it adds it.
Built execute_build(Session& session, const BuildPlan& plan) {
  Reporter& reporter = session.reporter();
  store::LocalStore& store = session.store();
  const spec::Recipe& recipe = plan.recipe;
  if (::geteuid() != 0) {
    fail("building {} needs root: its environment is an overlay of package trees, as `sheaf run` mounts",
         quote(recipe.path.string()));
  }
  build::find_bwrap();  // before any work, a clear error when it is missing
  Built built;
  built.started = now_seconds();
  // The sources first: a pin that does not hold is refused before anything
  // is composed or run. The work directory's lock also keeps gc from the
  // trees the root will mount. A Debian source package is unpacked by the
  // environment's dpkg-source, so after composing, and its changelog then
  // dates the other sources.
  built.work = std::make_unique<WorkDir>(store, plan.build_dir);
  const fs::path& work = built.work->path;
  std::vector<build::DebianSourceRequest> unpacks = plan.debian_sources;
  // Shallower destinations first: one may unpack inside another.
  std::stable_sort(unpacks.begin(), unpacks.end(), [](const auto& a, const auto& b) { return a.dest < b.dest; });
  std::optional<build::PreparedSources> prepared;
  if (unpacks.empty()) prepared = build::prepare_sources(recipe, work / "src");
  image::ComposeRequest request;
  request.debian_packages = plan.debian_ids;
  request.files_packages = plan.recipe_ids;
  request.arch = plan.arch;
  if (!plan.suite.empty()) request.os = image::os_release_for_suite(plan.suite);
  request.threads = plan.threads;
  request.warn = [&reporter](const std::string& w) { reporter.warning(w); };
  request.on_layer = [&reporter](std::size_t done, std::size_t total) {
    reporter.progress({Progress::Stage::layers, done, total, 0, 0});
  };
  ComposedEnvironments environments(store, request, plan.suite);
  std::optional<Digest> environment = environments.find();
  if (environment) {
    reporter.note(
        fmt::format("{}: the build environment composed before ({})", recipe.package.name, environment->str()));
  } else {
    reporter.note(fmt::format("{}: composing the build environment ({} packages)", recipe.package.name,
                              plan.debian_ids.size() + plan.recipe_ids.size()));
    ProgressScope scope(reporter);
    image::ComposeResult composed =
        with_context(fmt::format("while composing the build environment of {}", quote(recipe.path.string())),
                     [&] { return image::compose_image(store, plan.environment, request); });
    environments.remember(composed.manifest);
    environment = composed.manifest;
  }
  run::ImageRoot root(store, *environment);
  build::SandboxRequest sandbox;
  sandbox.root = root.path();
  sandbox.source_dir = work / "src";
  sandbox.dest_dir = work / "dest";
  sandbox.home_dir = work / "home";
  sandbox.tmp_dir = work / "tmp";
  sandbox.log = work / "log";
  sandbox.timeout = std::chrono::seconds(recipe.build.timeout);
  if (!unpacks.empty()) {
    std::optional<std::int64_t> changelog_date;
    for (const auto& unpack : unpacks) {
      reporter.note(
          fmt::format("{}: unpacking the source package {} {}", recipe.package.name, unpack.name, unpack.version));
      std::int64_t date = build::unpack_debian_source(sandbox, work / "src", unpack);
      if (!changelog_date) changelog_date = date;  // the outermost package's
    }
    prepared = build::prepare_sources(recipe, work / "src", changelog_date);
  }
  sandbox.steps = recipe.build.steps;
  sandbox.env = recipe.build.env;
  sandbox.source_date_epoch = prepared->source_date_epoch;
  sandbox.on_step = [&](std::size_t i, const std::string& step) {
    reporter.note(fmt::format("{}: step {}/{}: {}", recipe.package.name, i + 1, recipe.build.steps.size(),
                              step.substr(0, step.find('\n'))));
  };
  with_context(fmt::format("while building {}", quote(recipe.path.string())), [&] { build::run_steps(sandbox); });
  const fs::path dest = work / "dest";
  if (fs::is_empty(dest)) {
    fail("the steps of {} installed nothing under $DESTDIR (/build/dest), so there is no package",
         quote(recipe.path.string()));
  }

  // Depends on the packages whose shared libraries the output links to.
  std::vector<std::string> depends = recipe.package.depends;
  if (recipe.package.shlibdeps) {
    build::LibraryIndex libraries(plan.arch);
    for (const auto& id : plan.inputs.environment) {
      auto record = store.index().package(id);
      if (!record) fail("the build environment's package {} left the store during the build", id);
      libraries.add(record->name, record->version, image::load_manifest(store, record->fileset));
    }
    build::SharedLibraryDepends found =
        with_context(fmt::format("while finding the shared-library dependencies of {}", quote(recipe.path.string())),
                     [&] { return build::shared_library_depends(dest, libraries, depends); });
    if (!found.added.empty()) {
      reporter.note(fmt::format("{}: depends on {} (its ELF files' shared libraries)", recipe.package.name,
                                fmt::join(found.added, ", ")));
    }
    depends = std::move(found.depends);
  }

  pkg::AddDirectoryRequest& add = built.output;
  add.dir = dest;
  add.name = recipe.package.name;
  add.version = recipe.package.version;
  add.arch = plan.arch;
  add.depends = spec::relation_field(depends);
  add.pre_depends = spec::relation_field(recipe.package.pre_depends);
  add.provides = spec::relation_field(recipe.package.provides);
  add.conflicts = spec::relation_field(recipe.package.conflicts);
  add.breaks = spec::relation_field(recipe.package.breaks);
  add.metadata.license = recipe.package.license;
  add.metadata.homepage = recipe.package.homepage;
  add.metadata.description = recipe.package.description;
  add.metadata.date = prepared->source_date_epoch;
  add.threads = plan.threads;
  add.transform = [&recipe](const fileset::Manifest& m) { return build::shape_output(m, recipe.owners); };
  built.source_date_epoch = prepared->source_date_epoch;
  built.finished = now_seconds();
  return built;
}

// A rebuild's output as a package would hold it, without adding it: its
// document (the id) and its FileSet.
std::pair<pkg::Package, fileset::Manifest> read_output(const Built& built, const spec::Recipe& recipe) {
  pkg::Package package = pkg::make_package(built.output);
  fileset::HashOnlySink sink;
  fileset::Manifest manifest =
      with_context(fmt::format("while reading the output of {}", quote(recipe.path.string())), [&] {
        return built.output.transform(
            fileset::read_directory(built.output.dir, sink, {.threads = built.output.threads}));
      });
  package.fileset = Digest::of(manifest.serialize());
  return {std::move(package), std::move(manifest)};
}

// Adds the output to the store with its origin, and records what a rebuild
// needs: the recipe, every source file, and the provenance statement
// (signed in a DSSE envelope with `provenance_key`).
pkg::AddResult keep_output(Session& session, const BuildPlan& plan, const Built& built,
                           const std::optional<sign::PrivateKey>& provenance_key) {
  store::LocalStore& store = session.store();
  const spec::Recipe& recipe = plan.recipe;
  pkg::AddDirectoryRequest add = built.output;
  add.origin = plan.inputs.origin();
  pkg::AddResult added = with_context(fmt::format("while adding the output of {}", quote(recipe.path.string())),
                                      [&] { return pkg::add_directory(store, add); });

  // The record of the build: the recipe, the sources and the provenance.
  sign::Provenance provenance;
  provenance.package_id = added.id.str();
  provenance.name = add.name;
  provenance.version = add.version;
  provenance.arch = add.arch;
  provenance.key = plan.inputs.key();
  provenance.build_format = build::kBuildFormat;
  provenance.recipe_file = recipe.path.filename().string();
  provenance.source_date_epoch = built.source_date_epoch;
  provenance.builder_version = SHEAF_VERSION;
  provenance.started = built.started;
  provenance.finished = built.finished;
  auto batch = store.begin_write();
  std::vector<std::pair<std::string, Digest>> rows;  // (role, blob)
  Digest recipe_blob = batch->add_blob(read_file(recipe.path.string()));
  if (recipe_blob != plan.inputs.recipe) fail("{} changed during its build", quote(recipe.path.string()));
  rows.emplace_back("recipe", recipe_blob);
  provenance.inputs.push_back({"recipe:" + provenance.recipe_file, recipe_blob.str(), "recipe"});
  std::size_t debian = 0;
  for (const auto& source : recipe.sources) {
    if (source.kind == spec::RecipeSource::Kind::debian) {
      const build::DebianSourceRequest& unpack = plan.debian_sources.at(debian++);
      std::string dsc;
      for (const auto& [name, path] : unpack.files) {
        Digest blob = batch->add_blob_file(path);
        rows.emplace_back("source", blob);
        if (name.ends_with(".dsc")) dsc = blob.str();
        provenance.inputs.push_back({source.path_as_written + "/" + name, blob.str(), "source-file"});
      }
      provenance.inputs.push_back({source.path_as_written, dsc, "source"});
    } else if (source.kind == spec::RecipeSource::Kind::directory) {
      provenance.inputs.push_back({source.path_as_written, source.digest, "source"});  // not kept: see rebuild
    } else {
      Digest blob = batch->add_blob_file(source.path);
      if (blob.str() != source.digest) fail("the source {} changed during the build", quote(source.path_as_written));
      rows.emplace_back("source", blob);
      provenance.inputs.push_back({source.path_as_written, blob.str(), "source"});
    }
  }
  for (const auto& id : plan.debian_ids) {
    auto record = store.index().package(id);
    provenance.inputs.push_back({record ? record->name + " " + record->version : id, id, "environment"});
  }
  for (const auto& id : plan.recipe_ids) {
    auto record = store.index().package(id);
    provenance.inputs.push_back({record ? record->name + " " + record->version : id, id, "environment-recipe"});
  }
  std::string statement = sign::render_provenance(provenance);
  if (provenance_key) {
    statement = sign::render_envelope(sign::sign_envelope(sign::kInTotoPayloadType, statement, *provenance_key));
  }
  rows.emplace_back("provenance", batch->add_blob(statement));
  batch->commit([&](store::Index::Transaction& t) {
    for (const auto& [role, blob] : rows) t.add_package_build_blob(added.id.str(), role, blob.str());
  });
  return added;
}

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
    // A recipe's environment is for one architecture (spec/recipe.cpp).
    lock = std::move(ensure_lock(session, env, options.locked, options.allow_unsigned).arches.front());
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

  // 3. Fetch the Debian source packages' files, then compose, run, add.
  BuildPlan plan{recipe,     arch,       threads, env, lock && !lock->suites.empty() ? lock->suites.front() : "",
                 debian_ids, recipe_ids, inputs,  {},  options.build_dir};
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
    plan.debian_sources.push_back(std::move(unpack));
  }
  // The key that signs the provenance is read before an hour of building.
  std::optional<sign::PrivateKey> provenance_key;
  if (!options.provenance_key.empty()) {
    provenance_key = sign::load_private_key(options.provenance_key, options.passphrase.given, options.passphrase.ask);
  }
  Built built = execute_build(session, plan);
  pkg::AddResult added = keep_output(session, plan, built, provenance_key);
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

namespace {

// What differs between the package's manifest and the rebuilt one, path by
// path, then between their documents' fields.
std::vector<std::string> differences(const fileset::Manifest& before, const fileset::Manifest& after,
                                     const pkg::Package& was, const pkg::Package& now) {
  std::vector<std::string> out;
  auto describe = [](const fileset::Entry& e) {
    switch (e.type) {
      case fileset::EntryType::file:
        return fmt::format("a file of {} bytes, {}, mode {:04o}, owner {}:{}", e.size, e.digest.str(), e.mode, e.uid,
                           e.gid);
      case fileset::EntryType::dir:
        return fmt::format("a directory, mode {:04o}, owner {}:{}", e.mode, e.uid, e.gid);
      case fileset::EntryType::symlink:
        return fmt::format("a symlink to {}, owner {}:{}", quote(e.target), e.uid, e.gid);
      case fileset::EntryType::hardlink:
        return fmt::format("a hard link to {}", quote("/" + e.target));
    }
    return std::string("an entry");
  };
  const auto& a = before.entries();
  const auto& b = after.entries();
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].path < b[j].path)) {
      out.push_back(fmt::format("/{}: only in the package ({})", a[i].path, describe(a[i])));
      ++i;
    } else if (i == a.size() || b[j].path < a[i].path) {
      out.push_back(fmt::format("/{}: only in the rebuild ({})", b[j].path, describe(b[j])));
      ++j;
    } else {
      if (!(a[i] == b[j])) {
        if (a[i].type == fileset::EntryType::file && b[j].type == fileset::EntryType::file &&
            a[i].digest != b[j].digest) {
          out.push_back(fmt::format("/{}: the content differs ({} in the package, {} rebuilt)", a[i].path,
                                    a[i].digest.str(), b[j].digest.str()));
        } else {
          out.push_back(fmt::format("/{}: {} in the package, {} rebuilt", a[i].path, describe(a[i]), describe(b[j])));
        }
      }
      ++i;
      ++j;
    }
  }
  auto field = [&](std::string_view name, const std::string& x, const std::string& y) {
    if (x != y) out.push_back(fmt::format("{}: {} in the package, {} rebuilt", name, quote(x), quote(y)));
  };
  field("Depends", was.depends.str(), now.depends.str());
  field("Pre-Depends", was.pre_depends.str(), now.pre_depends.str());
  field("Provides", was.provides.str(), now.provides.str());
  field("Conflicts", was.conflicts.str(), now.conflicts.str());
  field("Breaks", was.breaks.str(), now.breaks.str());
  return out;
}

}  // namespace

RebuildResult rebuild_package(Session& session, const RebuildOptions& options) {
  Reporter& reporter = session.reporter();
  store::LocalStore& store = session.store();
  pkg::ResolvedPackage resolved = pkg::resolve_package(store.index(), options.package);
  if (!resolved.note.empty()) reporter.note(resolved.note);
  const store::PackageRecord& record = resolved.record;
  RebuildResult result{record.name, record.version, record.id, "", false, {}, std::nullopt, ""};
  // A key that cannot sign is refused before an hour of building.
  std::optional<sign::PrivateKey> key;
  if (options.attest) {
    if (options.key.empty()) fail_usage("--attest needs --key KEY: the attestation is signed");
    key = sign::load_private_key(options.key, options.passphrase.given, options.passphrase.ask);
  }

  // The record: the provenance statement names every input by digest.
  std::optional<sign::Provenance> provenance;
  std::map<std::string, std::string> blobs;  // digest -> role, of what the build kept
  for (const auto& row : store.index().package_build_blobs(record.id)) {
    blobs[row.blob] = row.role;
    if (row.role != "provenance" || provenance) continue;
    auto digest = Digest::parse(row.blob);
    auto bytes = digest ? store.read_blob(*digest) : std::nullopt;
    if (!bytes)
      fail("the store lacks the provenance {} of {} {} (sheaf store verify)", row.blob, record.name, record.version);
    std::string where = fmt::format("the provenance {} of {} {}", row.blob, record.name, record.version);
    provenance = sign::parse_provenance(sign::open_statement(*bytes, where).statement, where);
  }
  if (!provenance) {
    fail(
        "{} {} ({}) has no build record in this store: rebuild needs the recipe, sources and provenance that "
        "`sheaf recipe build` keeps with the packages it builds",
        record.name, record.version, record.id);
  }
  if (provenance->package_id != record.id) {
    fail("the provenance of {} {} names another package ({})", record.name, record.version, provenance->package_id);
  }
  if (provenance->build_format != build::kBuildFormat) {
    fail(
        "{} {} was built by a sheaf whose build format was {}, and this one's is {}: the rebuild would not compare "
        "like with like",
        record.name, record.version, provenance->build_format, build::kBuildFormat);
  }
  auto kept_path = [&](const std::string& digest, const std::string& what) {
    auto d = Digest::parse(digest);
    if (!d || !blobs.count(digest) || !store.has_blob(*d)) {
      fail("the build record of {} {} lacks {} ({}); it cannot be rebuilt from this store", record.name, record.version,
           what, digest);
    }
    return store.blob_path(*d);
  };
  std::string recipe_digest;
  std::map<std::string, std::string> source_digests;                              // path as written -> digest
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> files;  // debian:N=V -> (file, digest)
  std::vector<std::string> debian_ids, recipe_ids;
  for (const auto& input : provenance->inputs) {
    if (input.role == "recipe") recipe_digest = input.digest;
    if (input.role == "source") source_digests[input.name] = input.digest;
    if (input.role == "source-file") {
      auto slash = input.name.rfind('/');
      files[input.name.substr(0, slash)].emplace_back(input.name.substr(slash + 1), input.digest);
    }
    if (input.role == "environment") debian_ids.push_back(input.digest);
    if (input.role == "environment-recipe") recipe_ids.push_back(input.digest);
  }
  if (recipe_digest.empty()) fail("the provenance of {} {} names no recipe", record.name, record.version);
  fs::path recipe_blob = kept_path(recipe_digest, "the recipe");
  spec::Recipe recipe = spec::Recipe::parse(read_file(recipe_blob.string()), provenance->recipe_file);

  // The recipe's sources, read from the store.
  build::RecipeInputs inputs;
  inputs.recipe = *Digest::parse(recipe_digest);
  std::vector<build::DebianSourceRequest> debian_sources;
  for (auto& source : recipe.sources) {
    auto digest = source_digests.find(source.path_as_written);
    if (digest == source_digests.end()) {
      fail("the provenance of {} {} does not name the source {}", record.name, record.version,
           quote(source.path_as_written));
    }
    inputs.sources.emplace_back(source.path_as_written, digest->second);
    if (source.kind == spec::RecipeSource::Kind::directory) {
      fail(
          "the source {} of {} {} is a directory, which the build record does not keep; rebuild it from its recipe "
          "with `sheaf recipe build --rebuild`",
          quote(source.path_as_written), record.name, record.version);
    }
    if (source.kind == spec::RecipeSource::Kind::debian) {
      build::DebianSourceRequest unpack{source.package, source.version, {}, source.dest};
      for (const auto& [name, file_digest] : files[source.path_as_written]) {
        unpack.files.emplace_back(name, kept_path(file_digest, quote(source.path_as_written + "/" + name)));
      }
      debian_sources.push_back(std::move(unpack));
      continue;
    }
    source.path = kept_path(digest->second, "the source " + quote(source.path_as_written));
  }
  for (const auto& id : debian_ids) {
    if (!store.index().package(id)) fail("the build environment's package {} is not in the store any more", id);
  }
  for (const auto& id : recipe_ids) {
    if (!store.index().package(id)) fail("the build environment's recipe output {} is not in the store any more", id);
  }
  inputs.environment = debian_ids;
  inputs.environment.insert(inputs.environment.end(), recipe_ids.begin(), recipe_ids.end());
  std::sort(inputs.environment.begin(), inputs.environment.end());
  inputs.arch = provenance->arch;
  if (inputs.key() != provenance->key) {
    fail("the inputs the provenance of {} {} names give the key {}, not the {} it records", record.name, record.version,
         inputs.key(), provenance->key);
  }
  if (provenance->arch != host_debian_arch()) {
    fail("{} {} was built for {}; this host builds {}", record.name, record.version, provenance->arch,
         host_debian_arch());
  }

  reporter.note(
      fmt::format("rebuilding {} {} from its build record (key {})", record.name, record.version, provenance->key));
  BuildPlan plan{recipe,
                 provenance->arch,
                 options.jobs == 0 ? hardware_threads() : options.jobs,
                 recipe.environment_spec(),
                 recipe.debian && !recipe.debian->suites.empty() ? recipe.debian->suites.front() : "",
                 debian_ids,
                 recipe_ids,
                 inputs,
                 debian_sources,
                 options.build_dir};
  Built built = execute_build(session, plan);
  auto [rebuilt, manifest] = read_output(built, recipe);
  result.rebuilt_id = rebuilt.id().str();
  result.equal = result.rebuilt_id == record.id;
  if (!result.equal) {
    auto document = store.read_blob(*Digest::parse(record.id));
    pkg::Package was = pkg::Package::from_document(*document, record.id);
    result.differences = differences(image::load_manifest(store, record.fileset), manifest, was, rebuilt);
    return result;
  }
  if (key) {
    sign::RebuildAttestation attestation{record.id,   record.name,     record.version,
                                         record.arch, provenance->key, SHEAF_VERSION};
    std::string envelope = sign::render_envelope(
        sign::sign_envelope(sign::kInTotoPayloadType, sign::render_rebuild_attestation(attestation), *key));
    result.key_id = key->public_key().key_id();
    auto batch = store.begin_write();
    result.attestation = batch->add_blob(envelope);
    batch->commit([&](store::Index::Transaction& t) {
      t.add_package_signature(record.id, result.attestation->str(), result.key_id);
    });
  }
  return result;
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

repo::RecipeOutputResolver recipe_output_resolver(Session& session, const RecipeBuildOptions& options) {
  return [&session, options](const spec::RecipeRef& ref) {
    RecipeBuildResult built = build_recipe(session, spec::Recipe::load(ref.path), options);
    auto id = Digest::parse(built.package_id);
    auto document = id ? session.store().read_blob(*id) : std::nullopt;
    if (!document)
      fail("the output of the recipe {} ({}) is not in the store", quote(ref.path_as_written), built.package_id);
    return package_candidate(pkg::Package::from_document(*document, built.package_id));
  };
}

repo::LockOutcome lock_recipe(Session& session, const spec::Recipe& recipe, const LockOptions& options) {
  if (!recipe.debian) {
    fail("{} has no [source.debian]: its environment holds recipe outputs only, and has no lock",
         quote(recipe.path.string()));
  }
  return lock(session, recipe.environment_spec(), options);
}

}  // namespace sheaf::pipeline
