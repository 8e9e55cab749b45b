#include "pipeline/update.hpp"

#include <ctime>

#include "base/error.hpp"
#include "base/host.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/registry_sources.hpp"
#include "repo/locking.hpp"

namespace sheaf::pipeline {

namespace {

// Is `ref` the tag that names `digest`? Then the update moves that tag.
void check_request(const UpdateOptions& options) {
  bool changes = !options.set.empty() || !options.add.empty() || !options.remove.empty();
  if (!changes && options.from_lock.empty())
    fail_usage("nothing to change: give --set, --add, --remove or --from-lock");
  if (changes && !options.from_lock.empty()) {
    fail_usage("--from-lock replaces every Debian package, so it does not combine with --set, --add or --remove");
  }
}

// --from-lock: the lock's packages, fetched from the image's recorded
// sources (with the lock's suites) where the store lacks them.
void replace_from_lock(Session& session, const UpdateOptions& options, const image::StoredComposition& old,
                       unsigned threads, image::UpdateRequest& request, image::ImageSources& sources) {
  auto locks = repo::LockSet::load(options.from_lock);
  const repo::Lockfile* section = locks.find_arch(old.recipe.arch);
  if (!section) {
    std::vector<std::string> names;
    for (const auto& l : locks.arches) names.push_back(l.arch);
    fail("{} is for {}, and {} is {}", quote(options.from_lock.string()), fmt::join(names, ", "), options.image,
         old.recipe.arch);
  }
  const repo::Lockfile& lock = *section;
  if (!repo::missing_packages(session.store(), lock).empty()) {
    auto debian = image::recorded_debian_source(old.sources, options.image);
    debian.suites = lock.suites;
    debian.components = lock.components;
    fetch_missing(session, lock, debian, threads);
  }
  fetch_registry_packages(session, lock);
  request.replace = locked_package_ids(session.store(), lock);
  request.replace_roots = lock.include;
  auto absolute = std::filesystem::absolute(options.from_lock).lexically_normal();
  sources.lock = image::RecordedLock{absolute.string(), Digest::of(locks.render()).hex()};
}

// Where packages the store lacks come from: the image's recorded
// [source.debian], resolved as `sheaf lock` would and fetched.
image::PackageSource recorded_source(Session& session, const UpdateOptions& options,
                                     const image::StoredComposition& old, unsigned threads) {
  return [&session, &options, &old, threads](
             const std::vector<spec::PackagePin>& include, const std::map<std::string, std::string>& favor,
             const std::function<bool(const std::string&, const std::string&)>& wanted) {
    spec::Spec spec = old.recipe.spec;
    spec.path = "the sources of " + options.image;
    spec.debian = image::recorded_debian_source(old.sources, options.image);
    spec.packages.include = include;
    Reporter& reporter = session.reporter();
    repo::LockRequest lock_request{.allow_unsigned = options.allow_unsigned,
                                   .now = static_cast<std::int64_t>(std::time(nullptr)),
                                   .warn = [&reporter](const std::string& w) { reporter.warning(w); },
                                   .note = [&reporter](const std::string& n) { reporter.note(n); },
                                   .registry = registry_resolver(session)};
    repo::Lockfile lock = repo::resolve_lock(spec, session.store(), session.network(), lock_request, favor);
    std::erase_if(lock.packages, [&](const repo::LockedPackage& p) { return !wanted(p.name, p.version); });
    fetch_missing(session, lock, *spec.debian, threads);
    fetch_registry_packages(session, lock);
    std::vector<store::PackageRecord> out;
    for (const auto& id : locked_package_ids(session.store(), lock))
      out.push_back(*session.store().index().package(id));
    return out;
  };
}

std::string assembly_version(const image::ComposeResult& result) {
  for (const auto& layer : result.layers) {
    for (const auto& p : layer.packages) {
      if (p.starts_with("sheaf-assembly ")) return p.substr(15);
    }
  }
  return "";
}

}  // namespace

// Says which paths the workloads used that no package of the updated,
// trimmed image holds any more, naming the package that held each.
void warn_lost_paths(const image::TrimProfile& before, const image::TrimProfile& after, Reporter& reporter) {
  for (const auto& lost : image::lost_paths(before, after)) {
    reporter.warning(fmt::format("{} {} held {} path(s) the trim's workloads used that the update no longer has: {}",
                                 lost.name, lost.version, lost.paths.size(), fmt::join(lost.paths, ", ")));
  }
}

namespace {

// One image's update, planned: what it was and what changes.
struct Planned {
  store::ImageRecord record;
  image::StoredComposition old;
  image::UpdatePlan plan;
  image::ImageSources sources;
};

Planned plan_image(Session& session, const UpdateOptions& options, const store::ImageRecord& record, unsigned threads) {
  store::LocalStore& store = session.store();
  Planned p{record, image::load_composition(store, record, options.image), {}, {}};
  image::UpdateRequest request{.set = options.set, .add = options.add, .remove = options.remove};
  p.sources = p.old.sources;
  p.sources.lock.reset();
  p.sources.updated_from = record.digest;
  if (!options.from_lock.empty()) replace_from_lock(session, options, p.old, threads, request, p.sources);
  p.plan = image::plan_update(store, p.old, request, recorded_source(session, options, p.old, threads));
  return p;
}

// Composes a planned update, tagged `tag` (none: an index's image).
UpdateResult compose_update(Session& session, const UpdateOptions& options, Planned& planned, const Tag& tag,
                            unsigned threads) {
  store::LocalStore& store = session.store();
  Reporter& reporter = session.reporter();
  UpdateResult result;
  result.old_digest = planned.record.digest;
  result.plan = planned.plan;
  result.tag = tag;
  image::StoredComposition& old = planned.old;
  image::Recipe& recipe = old.recipe;
  recipe.spec.packages.include = result.plan.roots;
  image::ComposeRequest compose;
  compose.debian_packages = result.plan.debian;
  compose.files_packages = recipe.files;
  compose.arch = recipe.arch;
  compose.os = recipe.os;
  compose.source_date_epoch = options.source_date_epoch;
  compose.tag_name = tag.name;
  compose.tag = tag.tag;
  compose.sources = planned.sources;
  compose.keep_recorded_sources = true;
  compose.threads = threads;
  compose.warn = [&reporter](const std::string& w) { reporter.warning(w); };
  compose.suggest = [&reporter](const image::Suggestion& s) { reporter.suggestion(s); };
  compose.note = [&reporter](const std::string& n) { reporter.note(n); };
  // A trimmed image: the new set, closed and conflict-free as checked
  // above, is trimmed again to the paths its workloads used.
  const std::optional<image::TrimProfile>& old_trim = old.sources.trim;
  if (old_trim) {
    compose.trim = image::TrimInput{old_trim->source, old_trim->workloads, old_trim->keep, old_trim->used()};
    compose.sources.trim.reset();
  }
  result.composed = image::compose_image(store, recipe.spec, compose);
  if (old_trim) warn_lost_paths(*old_trim, *result.composed.trim, reporter);

  std::string new_assembly = assembly_version(result.composed);
  if (old.assembly && old.assembly->version != new_assembly) {
    result.old_assembly = old.assembly->version;
    result.new_assembly = new_assembly;
  }
  return result;
}

}  // namespace

UpdateResult update(Session& session, const UpdateOptions& options) {
  check_request(options);
  Tag tag;
  if (!options.tag.empty()) std::tie(tag.name, tag.tag) = image::parse_tag(options.tag);
  store::LocalStore& store = session.store();
  unsigned threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  store::ImageRecord record = image::resolve_image(store.index(), options.image);
  if (options.tag.empty()) {
    if (auto named = tag_named_by(store.index(), options.image, record.digest)) tag = *named;
  }
  if (!record.is_index()) {
    Planned planned = plan_image(session, options, record, threads);
    UpdateResult result = compose_update(session, options, planned, tag, threads);
    write_outputs(session, result.composed.manifest, result.tag, {.layout = options.outputs.layout});
    return result;
  }
  // An index: every platform's image is planned first, so that one that
  // cannot be updated stops the update before anything is composed.
  std::vector<Planned> planned;
  for (const auto& p : image::index_platforms(store.index(), record)) {
    planned.push_back(
        with_context(fmt::format("while updating the image for {} of {}", p.platform.str(), options.image),
                     [&] { return plan_image(session, options, p.record, threads); }));
  }
  UpdateResult result;
  result.old_digest = record.digest;
  result.tag = tag;
  std::vector<image::IndexImage> images;
  for (auto& p : planned) {
    UpdateResult one = compose_update(session, options, p, Tag{}, threads);
    images.push_back({one.composed.manifest, p.old.recipe.arch});
    result.platforms.push_back(std::move(one));
  }
  result.index = image::record_index(store, images, tag.name, tag.tag);
  write_outputs(session, result.index->digest, result.tag, {.layout = options.outputs.layout});
  return result;
}

}  // namespace sheaf::pipeline
