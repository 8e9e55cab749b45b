#include "repo/locking.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <map>
#include <set>
#include <tuple>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/host.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"
#include "deb/essential.hpp"
#include "repo/index_decoder.hpp"
#include "repo/repository.hpp"
#include "repo/resolver.hpp"
#include "spec/recipe.hpp"

namespace sheaf::repo {

namespace {

// The spec's registry include entries, resolved (RegistryResolver), and
// checked: each names a package of a name no other source gives.
std::vector<RegistryPackage> registry_packages(const spec::Spec& spec, const LockRequest& request,
                                               const std::map<std::string, LockedPackage>& keep) {
  std::vector<std::string> references;
  for (const auto& pin : spec.packages.include) {
    if (pin.from_registry()) references.push_back(pin.name);
  }
  if (references.empty()) return {};
  if (!request.registry)
    fail("{} includes registry packages, which this operation cannot resolve", quote(spec.path.string()));
  std::vector<RegistryPackage> out = request.registry(references, keep);
  std::map<std::string, const RegistryPackage*> by_name;
  for (const auto& r : out) {
    auto [it, fresh] = by_name.emplace(r.package.name, &r);
    if (!fresh) {
      fail("two include entries of {} give the package {}: {} and {}; include one of them", quote(spec.path.string()),
           r.package.name, it->second->reference, r.reference);
    }
    for (const auto& pin : spec.packages.include) {
      if (!pin.from_registry() && pin.name == r.package.name) {
        fail("{} includes {} twice: from the Debian suites ({}) and from {} ({}); include one of them",
             quote(spec.path.string()), r.package.name, spec.where(pin.position), r.reference, r.manifest.str());
      }
    }
  }
  return out;
}

// A [[recipes]] entry's output: as its recipe's [package] table describes
// it, or, with LockRequest::recipe_output, as its build came out (its
// Depends then include its shared libraries' packages).
struct RecipeOutput {
  const spec::RecipeRef* ref;
  Digest sha256;
  RegistryCandidate package;
};

std::vector<RecipeOutput> recipe_outputs(const spec::Spec& spec, const std::vector<RegistryPackage>& registry,
                                         const LockRequest& request) {
  std::vector<RecipeOutput> out;
  std::map<std::string, const spec::RecipeRef*> by_name;
  for (const auto& ref : spec.recipes) {
    std::string bytes;
    spec::Recipe recipe =
        with_context(fmt::format("in the recipe {} ({})", quote(ref.path_as_written), spec.where(ref.position)), [&] {
          bytes = read_file(ref.path.string());
          return spec::Recipe::parse(bytes, ref.path);
        });
    const std::string& name = recipe.package.name;
    if (spec.debian->arch != host_debian_arch()) {
      fail(
          "{} is for {}, but recipe outputs ({}) are built for the host's architecture ({}) only in this version of "
          "sheaf",
          quote(spec.path.string()), spec.debian->arch, spec.where(ref.position), host_debian_arch());
    }
    if (auto [it, fresh] = by_name.emplace(name, &ref); !fresh) {
      fail("two recipes of {} build the package {}: {} ({}) and {} ({})", quote(spec.path.string()), name,
           it->second->path_as_written, spec.where(it->second->position), ref.path_as_written,
           spec.where(ref.position));
    }
    for (const auto& pin : spec.packages.include) {
      if (!pin.from_registry() && pin.name == name) {
        fail(
            "{} includes {} twice: from the Debian suites ({}) and as the output of the recipe {} ({}); include one "
            "of them",
            quote(spec.path.string()), name, spec.where(pin.position), ref.path_as_written, spec.where(ref.position));
      }
    }
    for (const auto& r : registry) {
      if (r.package.name == name) {
        fail("{} includes {} twice: from {} and as the output of the recipe {} ({}); include one of them",
             quote(spec.path.string()), name, r.reference, ref.path_as_written, spec.where(ref.position));
      }
    }
    RecipeOutput output{&ref, Digest::of(bytes), {}};
    output.package = {name,
                      recipe.package.version,
                      spec.debian->arch,
                      spec::relation_field(recipe.package.pre_depends),
                      spec::relation_field(recipe.package.depends),
                      spec::relation_field(recipe.package.provides),
                      spec::relation_field(recipe.package.conflicts),
                      spec::relation_field(recipe.package.breaks)};
    if (request.recipe_output) {
      RegistryCandidate built = request.recipe_output(ref);
      if (built.name != output.package.name || built.version != output.package.version) {
        fail("the recipe {} ({}) declares {} {}, but its build is {} {}", quote(ref.path_as_written),
             spec.where(ref.position), output.package.name, output.package.version, built.name, built.version);
      }
      output.package = std::move(built);
    }
    out.push_back(std::move(output));
  }
  return out;
}

// The Debian source packages the spec names, each from the first suite (in
// the spec's order) whose Sources index has that version.
std::vector<LockedSource> lock_source_packages(const spec::Spec& spec, const std::vector<SuiteSource>& suites,
                                               const std::vector<std::vector<deb::SourceStanza>>& stanzas) {
  std::vector<LockedSource> out;
  for (const auto& pin : spec.source_packages) {
    const std::string version = pin.version.value_or("");
    const deb::SourceStanza* chosen = nullptr;
    std::size_t suite = 0;
    std::vector<std::string> seen;  // "VERSION (SUITE)" of the other versions
    for (std::size_t i = 0; i < suites.size() && !chosen; ++i) {
      for (const auto& stanza : stanzas[i]) {
        if (stanza.name != pin.name) continue;
        if (stanza.version == version) {
          chosen = &stanza;
          suite = i;
          break;
        }
        seen.push_back(fmt::format("{} ({})", stanza.version, suites[i].suite));
      }
    }
    if (!chosen) {
      std::vector<std::string> names;
      for (const auto& s : suites) names.push_back(s.suite);
      if (seen.empty()) {
        fail("the source package {} ({}) is in no Sources index of {}", quote(pin.name), spec.where(pin.position),
             fmt::join(names, ", "));
      }
      fail("the source package {} {} ({}) is not in the Sources index of {}; they have {}", pin.name, version,
           spec.where(pin.position), fmt::join(names, ", "), fmt::join(seen, ", "));
    }
    if (std::any_of(out.begin(), out.end(),
                    [&](const LockedSource& s) { return s.name == pin.name && s.version == version; })) {
      continue;
    }
    out.push_back({chosen->name, chosen->version, suites[suite].suite, chosen->directory, chosen->files});
  }
  std::sort(out.begin(), out.end(), [](const LockedSource& a, const LockedSource& b) {
    return std::tie(a.name, a.version) < std::tie(b.name, b.version);
  });
  return out;
}

}  // namespace

Lockfile resolve_lock(const spec::Spec& spec, store::LocalStore& store, const NetworkSettings& network,
                      const LockRequest& request, const std::map<std::string, std::string>& favor, LockOutcome* stats,
                      const std::map<std::string, LockedPackage>& keep_registry) {
  if (!spec.debian)
    fail("{} has no [source.debian]: sheaf does not know where packages come from", quote(spec.path.string()));
  if (spec.packages.include.empty() && !spec.packages.essential && spec.recipes.empty())
    fail("{} includes no packages ([packages] include)", quote(spec.path.string()));
  const auto& source = *spec.debian;
  auto suites = plan_suites(source, network.apt);
  // The cache is part of the store: gc (which prunes it under the exclusive
  // lock) must not remove an index between its download and its use.
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);
  RepositoryCache cache(apt_cache_dir(store.root()), network);
  LoadOptions load_options{.allow_unsigned = request.allow_unsigned,
                           .now = request.now,
                           .sources = !spec.source_packages.empty(),
                           .warn = request.warn};

  Resolver resolver(source.arch);
  Lockfile lock;
  lock.arch = source.arch;
  lock.suites = source.suites;
  lock.components = source.components;
  lock.include = spec.packages.include;
  lock.exclude = spec.packages.exclude;
  lock.recommends = spec.packages.recommends;
  lock.essential = spec.packages.essential;
  // Suites load on threads of their own (each with its own downloader), and
  // each index is parsed as soon as it is verified, so the network and the
  // parsing of different suites overlap. The pool is then filled in the
  // spec's order, which is what the answer depends on.
  std::vector<LoadedSuite> loaded(suites.size());
  // The stanzas of each wanted source package, per suite.
  std::vector<std::vector<deb::SourceStanza>> stanzas(suites.size());
  // Each suite's failure is kept, and the first in the spec's order is
  // reported, so the message does not depend on which thread lost a race.
  std::vector<std::exception_ptr> failures(suites.size());
  parallel_for(suites.size(), static_cast<unsigned>(suites.size()), [&](std::size_t i) {
    try {
      RepositoryCache cache_of_thread(apt_cache_dir(store.root()), network);
      FileLock suite_lock = cache_of_thread.lock_suite(suites[i], request.note);
      loaded[i] = with_context(
          fmt::format("while reading suite {} from {} ({})", quote(suites[i].suite), suites[i].uri, suites[i].origin),
          [&] { return cache_of_thread.load(suites[i], load_options); });
      for (auto& index : loaded[i].indexes) {
        Resolver::prepare_index(index, cache_of_thread);
        index.text.reset();
      }
      for (auto& index : loaded[i].source_indexes) {
        std::string text = index.text ? *index.text : decompress_index(index.file, kMaxIndexText);
        index.text.reset();
        std::string where = fmt::format("{}/dists/{}/{}", suites[i].uri, suites[i].suite, index.path);
        for (const auto& pin : spec.source_packages) {
          for (auto& stanza : deb::find_source_stanzas(text, pin.name, where)) stanzas[i].push_back(std::move(stanza));
        }
      }
    } catch (...) {
      failures[i] = std::current_exception();
    }
  });
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  for (std::size_t i = 0; i < suites.size(); ++i) {
    lock.releases.push_back({loaded[i].source.suite, loaded[i].release_file, loaded[i].release_sha256});
    for (const auto& index : loaded[i].indexes) resolver.add_index(index, i, cache);
    if (stats) stats->downloads += loaded[i].downloads;
  }
  if (stats) {
    stats->suites = suites.size();
    stats->candidates = resolver.package_count();
  }
  // What the Essential set would have given (deb/essential.hpp), when the
  // suites have it.
  lock.implicit = implicit_package_names(spec);
  std::vector<spec::PackagePin> include = spec.packages.include;
  for (const auto& p : deb::implicit_packages(spec.image.env)) {
    if (!std::binary_search(lock.implicit.begin(), lock.implicit.end(), p.name)) continue;
    if (!resolver.has_package(p.name)) {
      if (request.warn)
        request.warn(fmt::format("{}, but the suites have no {}; the image goes without", p.reason, p.name));
      continue;
    }
    if (request.note) request.note(fmt::format("implicit: {} ({})", p.name, p.reason));
    include.push_back({p.name, std::nullopt, {}});
  }
  if (spec.packages.essential) {
    // Debian's Essential set, as the suites mark it, unless excluded.
    std::size_t added = 0;
    for (const auto& name : resolver.essential_names()) {
      if (std::binary_search(spec.packages.exclude.begin(), spec.packages.exclude.end(), name)) continue;
      if (std::any_of(include.begin(), include.end(), [&](const spec::PackagePin& p) { return p.name == name; }))
        continue;
      include.push_back({name, std::nullopt, {}});
      ++added;
    }
    if (added == 0 && request.warn)
      request.warn("the suites mark no package Essential: yes; the environment goes without");
  }
  lock.sources = lock_source_packages(spec, suites, stanzas);
  std::vector<RegistryPackage> registry = registry_packages(spec, request, keep_registry);
  std::vector<RecipeOutput> recipes = recipe_outputs(spec, registry, request);
  {
    // Registry packages, then recipe outputs: one repository of packages
    // that are not Debian's, indexed in that order.
    std::vector<RegistryCandidate> candidates;
    for (const auto& r : registry) candidates.push_back(r.package);
    for (const auto& r : recipes) {
      if (resolver.has_debian_version(r.package.name, r.package.version)) {
        fail(
            "the recipe {} ({}) builds {} {}, which is also a Debian package of the suites; give the output a "
            "version of its own (for example {}+local1)",
            quote(r.ref->path_as_written), spec.where(r.ref->position), r.package.name, r.package.version,
            r.package.version);
      }
      candidates.push_back(r.package);
      include.push_back({r.package.name, r.package.version, r.ref->position});
    }
    resolver.add_registry_packages(candidates);
  }
  ResolveRequest resolve{
      .include = include, .exclude = spec.packages.exclude, .recommends = spec.packages.recommends, .favor = favor};
  for (auto& r : resolver.resolve(resolve)) {
    LockedPackage p;
    if (r.registry && *r.registry >= registry.size()) {
      const RecipeOutput& from = recipes.at(*r.registry - registry.size());
      p.name = from.package.name;
      p.version = from.package.version;
      p.arch = from.package.arch;
      p.recipe = from.ref->path_as_written;
      p.recipe_sha256 = from.sha256;
      p.pre_depends = from.package.pre_depends;
      p.depends = from.package.depends;
      p.provides = from.package.provides;
      lock.packages.push_back(std::move(p));
      continue;
    }
    if (r.registry) {
      const RegistryPackage& from = registry.at(*r.registry);
      p.name = from.package.name;
      p.version = from.package.version;
      p.arch = from.package.arch;
      p.registry = from.reference;
      p.manifest = from.manifest;
      p.id = from.id;
      p.pre_depends = from.package.pre_depends;
      p.depends = from.package.depends;
      p.provides = from.package.provides;
      lock.packages.push_back(std::move(p));
      continue;
    }
    p.name = std::move(r.name);
    p.version = std::move(r.version);
    p.arch = std::move(r.arch);
    p.source = std::move(r.source);
    p.source_version = r.source_version == p.version ? "" : std::move(r.source_version);
    p.suite = suites.at(r.suite).suite;
    p.filename = std::move(r.filename);
    p.sha256 = r.sha256;
    p.size = r.size;
    p.pre_depends = std::move(r.pre_depends);
    p.depends = std::move(r.depends);
    p.provides = std::move(r.provides);
    lock.packages.push_back(std::move(p));
  }
  return lock;
}

LockOutcome lock_spec(const spec::Spec& spec, store::LocalStore& store, const NetworkSettings& network,
                      const LockRequest& request) {
  const auto path = lock_path_for(spec);
  std::optional<LockSet> old;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) old = LockSet::load(path);

  LockOutcome outcome;
  if (!request.update.empty()) {
    if (!old) fail_usage("--update {} needs an existing {}", fmt::join(request.update, " "), quote(path.string()));
    for (const auto& name : request.update) {
      bool locked = std::any_of(old->arches.begin(), old->arches.end(),
                                [&](const Lockfile& l) { return l.find(name) != nullptr; });
      if (!locked) fail_usage("{} is not in {}", quote(name), quote(path.string()));
    }
  }
  if (old && !request.update_all && request.update.empty() && lock_problems(*old, spec).empty()) {
    outcome.lock = std::move(*old);
    return outcome;
  }
  if (!spec.debian)
    fail("{} has no [source.debian]: sheaf does not know where packages come from", quote(spec.path.string()));

  // Recipes build on the host for the host: an index naming another
  // architecture is refused before anything is resolved or built (one
  // architecture's spec is refused by recipe_outputs).
  for (const auto& arch : spec.debian->arches) {
    if (spec.debian->index && !spec.recipes.empty() && arch != host_debian_arch()) {
      fail(
          "{} names recipe outputs ({}), which are built for the host's architecture ({}) only in this version of "
          "sheaf, and its arch names {}",
          quote(spec.path.string()), spec.where(spec.recipes.front().position), host_debian_arch(), arch);
    }
  }
  outcome.lock.index = spec.debian->index;
  const std::set<std::string> freed(request.update.begin(), request.update.end());
  for (const auto& arch : spec.debian->arches) {
    // Each architecture favours what its own section chose (a lock for one
    // architecture is the section of that architecture).
    const Lockfile* before = old ? old->find_arch(arch) : nullptr;
    std::map<std::string, std::string> favor;
    std::map<std::string, LockedPackage> keep_registry;  // by include entry
    if (before && !request.update_all) {
      for (const auto& p : before->packages) {
        if (freed.count(p.name)) continue;
        if (p.from_registry()) {
          keep_registry.emplace(p.registry, p);
        } else {
          favor[p.name] = p.version;
        }
      }
    }
    LockOutcome stats;
    Lockfile lock = spec.debian->index ? with_context(fmt::format("while locking for {}", arch),
                                                      [&] {
                                                        return resolve_lock(spec.for_arch(arch), store, network,
                                                                            request, favor, &stats, keep_registry);
                                                      })
                                       : resolve_lock(spec, store, network, request, favor, &stats, keep_registry);
    outcome.suites = stats.suites;
    outcome.candidates += stats.candidates;
    outcome.downloads += stats.downloads;

    // A change of version, or of the bytes behind one (a .deb or a registry
    // artifact republished under the same version).
    const std::string section = spec.debian->index ? arch : "";
    std::map<std::string, std::pair<std::string, std::string>> was, now;
    auto identity = [](const LockedPackage& p) {
      return p.from_registry() ? p.id.str() : p.from_recipe() ? p.recipe_sha256.str() : p.sha256.str();
    };
    if (before) {
      for (const auto& p : before->packages) was[p.name] = {p.version, identity(p)};
    }
    for (const auto& p : lock.packages) now[p.name] = {p.version, identity(p)};
    for (const auto& [name, after] : now) {
      auto it = was.find(name);
      if (it == was.end()) {
        outcome.changes.push_back({name, "", after.first, section});
      } else if (it->second != after) {
        outcome.changes.push_back({name, it->second.first, after.first, section});
      }
    }
    for (const auto& [name, gone] : was) {
      if (!now.count(name)) outcome.changes.push_back({name, gone.first, "", section});
    }
    outcome.lock.arches.push_back(std::move(lock));
  }
  outcome.resolved = true;
  std::stable_sort(outcome.changes.begin(), outcome.changes.end(),
                   [](const LockChange& a, const LockChange& b) { return a.name < b.name; });

  std::string text = outcome.lock.render();
  if (!old || old->render() != text) {
    write_file_atomically(path, text);
    outcome.written = true;
  }
  return outcome;
}

}  // namespace sheaf::repo
