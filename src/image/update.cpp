#include "image/update.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/error.hpp"
#include "deb/closure.hpp"
#include "deb/version.hpp"
#include "pkg/package.hpp"
#include "pkg/package_ref.hpp"

namespace sheaf::image {

namespace {

using Members = std::map<std::string, store::PackageRecord>;  // by name

struct Graph {
  std::vector<std::string> names;
  std::vector<deb::ClosureMember> members;
};

// Each package's relations, read from its document once however many sets
// the plan checks.
class RelationCache {
 public:
  explicit RelationCache(store::LocalStore& store) : store_(store) {}

  Graph graph_of(const Members& set) {
    Graph g;
    for (const auto& [name, record] : set) {
      g.names.push_back(name);
      g.members.push_back(member(record));
    }
    return g;
  }

 private:
  const deb::ClosureMember& member(const store::PackageRecord& record) {
    if (auto it = by_id_.find(record.id); it != by_id_.end()) return it->second;
    auto digest = Digest::parse(record.id);
    auto document = digest ? store_.read_blob(*digest) : std::nullopt;
    if (!document) {
      fail("the package document of {} {} is missing from the store; run 'sheaf store verify'", record.name,
           record.version);
    }
    auto p = pkg::Package::from_document(*document, record.id);
    deb::ClosureMember m{p.name, p.version, p.pre_depends, p.depends, p.provides, p.conflicts, p.breaks};
    return by_id_.emplace(record.id, std::move(m)).first->second;
  }

  store::LocalStore& store_;
  std::map<std::string, deb::ClosureMember> by_id_;
};

// The names in `set` reachable from `roots` along dependencies.
std::set<std::string> needed(const Graph& g, const std::vector<spec::PackagePin>& roots) {
  std::vector<std::size_t> start;
  for (const auto& r : roots) {
    auto it = std::lower_bound(g.names.begin(), g.names.end(), r.name);
    if (it != g.names.end() && *it == r.name) start.push_back(static_cast<std::size_t>(it - g.names.begin()));
  }
  auto seen = deb::reachable(deb::dependency_edges(g.members), start);
  std::set<std::string> out;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) out.insert(g.names[i]);
  }
  return out;
}

bool looks_like_id(std::string_view text) {
  if (text.starts_with("sha256:")) return true;
  return text.size() >= pkg::kMinIdPrefix &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The store's package NAME at VERSION (Debian equality) for the image's
// architecture; nullopt when the store has none.
std::optional<store::PackageRecord> stored_version(store::Index& index, const std::string& name,
                                                   const std::string& version, const std::string& arch) {
  auto want = deb::Version::try_parse(version);
  if (!want) fail_usage("{} is not a valid Debian version (in {}={})", quote(version), name, version);
  std::vector<store::PackageRecord> matches;
  for (auto& r : index.packages_named(name)) {
    auto have = deb::Version::try_parse(r.version);
    if (have && *have == *want && (r.arch == arch || r.arch == "all")) matches.push_back(std::move(r));
  }
  if (matches.empty()) return std::nullopt;
  if (matches.size() > 1) {
    std::vector<std::string> ids;
    for (const auto& m : matches) ids.push_back(m.id);
    fail_usage("the store holds {} packages {} {}; give one by id: {}", matches.size(), name, version,
               fmt::join(ids, ", "));
  }
  return matches.front();
}

// One update, step by step: plan_update below calls the steps in order.
// `after` is the new Debian set as it forms, by name.
class Updater {
 public:
  Updater(store::LocalStore& store, const StoredComposition& image, const UpdateRequest& request)
      : store_(store), image_(image), request_(request), label_(image.recipe.spec.path.string()), relations_(store) {
    for (const auto& r : image.debian) {
      if (!before_.emplace(r.name, r).second) {
        fail("{} holds two packages named {}; sheaf image update cannot tell them apart", label_, r.name);
      }
    }
    after_ = before_;
    plan_.roots = image.recipe.spec.packages.include;
  }

  void check_names() const;
  void replace_from_lock();
  void apply_pins(const PackageSource& source);
  void remove_unneeded();
  void check_closed() const;
  UpdatePlan finish();

 private:
  bool store_answers(std::vector<spec::PackagePin>& pins, Members& tentative) const;
  void resolve_pins(const std::vector<spec::PackagePin>& pins, const PackageSource& source);

  store::LocalStore& store_;
  const StoredComposition& image_;
  const UpdateRequest& request_;
  const std::string label_;
  mutable RelationCache relations_;  // a cache
  Members before_;
  Members after_;
  std::map<std::string, std::string> why_;
  UpdatePlan plan_;
};

// Every name first, so a typo fails before anything is resolved.
void Updater::check_names() const {
  auto member = [&](const std::string& name, std::string_view flag) {
    if (before_.find(name) == before_.end()) {
      fail_usage("{} {}: {} holds no Debian package named {}{}", flag, name, label_, quote(name),
                 flag == "--set" ? "; add it with --add" : "");
    }
  };
  for (const auto& [name, value] : request_.set) member(name, "--set");
  for (const auto& name : request_.remove) member(name, "--remove");
  for (const auto& pin : request_.add) {
    if (auto it = before_.find(pin.name); it != before_.end()) {
      fail_usage("--add {}: {} already holds {} {}; change its version with --set", pin.str(), label_, pin.name,
                 it->second.version);
    }
  }
}

// --from-lock: the lock's packages replace the whole Debian set.
void Updater::replace_from_lock() {
  if (!request_.replace) return;
  after_.clear();
  for (const auto& id : *request_.replace) {
    auto r = store_.index().package(id);
    if (!r) fail("package {} is not in the store", id);
    after_[r->name] = *r;
  }
  plan_.roots = request_.replace_roots;
}

// Looks for each --set and versioned --add in the store; fills `pins` with
// every one of them as NAME[=VERSION] and `tentative` with the set they
// give. True when the store answers them all and that set then lacks
// nothing they need.
bool Updater::store_answers(std::vector<spec::PackagePin>& pins, Members& tentative) const {
  const std::string& arch = image_.recipe.arch;
  bool answered = true;
  for (const auto& [name, value] : request_.set) {
    std::optional<store::PackageRecord> target;
    if (looks_like_id(value) && !deb::Version::try_parse(value)) {
      target = pkg::resolve_package(store_.index(), value.starts_with("sha256:") ? value : "sha256:" + value).record;
    } else if (!(target = stored_version(store_.index(), name, value, arch)) && looks_like_id(value)) {
      target = pkg::resolve_package(store_.index(), "sha256:" + value).record;
    }
    if (target && target->name != name) {
      fail_usage("--set {}={}: that package is {} {}, not {}", name, value, target->name, target->version, name);
    }
    if (target) tentative[name] = *target;
    answered = answered && target;
    pins.push_back({name, target ? target->version : value, {}});
  }
  for (const auto& pin : request_.add) {
    auto found = pin.version ? stored_version(store_.index(), pin.name, *pin.version, arch) : std::nullopt;
    if (found) tentative[pin.name] = *found;
    answered = answered && found;
    pins.push_back(pin);
  }
  if (answered && !pins.empty()) {
    Members kept = tentative;
    for (const auto& name : request_.remove) kept.erase(name);
    answered = deb::unmet_dependencies(relations_.graph_of(kept).members, "").empty();
  }
  return answered;
}

// Resolves the pins from the image's recorded sources, which brings in the
// dependencies the image lacks.
void Updater::resolve_pins(const std::vector<spec::PackagePin>& pins, const PackageSource& source) {
  std::set<std::string> pinned;
  for (const auto& p : pins) pinned.insert(p.name);
  std::vector<spec::PackagePin> include = plan_.roots;
  std::erase_if(include, [&](const spec::PackagePin& p) { return pinned.count(p.name) > 0; });
  include.insert(include.end(), pins.begin(), pins.end());
  std::map<std::string, std::string> favor;
  for (const auto& [name, r] : after_) {
    if (!pinned.count(name)) favor[name] = r.version;
  }
  std::set<std::string> removing(request_.remove.begin(), request_.remove.end());
  auto wanted = [&](const std::string& name, const std::string&) {
    return pinned.count(name) > 0 || (!after_.count(name) && !removing.count(name));
  };
  for (auto& r : source(include, favor, wanted)) {
    if (!pinned.count(r.name)) why_[r.name] = "dependency";
    after_[r.name] = std::move(r);
  }
  for (const auto& p : pins) {
    auto it = after_.find(p.name);
    bool answered = it != after_.end() &&
                    (!p.version || deb::version_satisfies(it->second.version, deb::RelationOp::equal, *p.version));
    if (!answered) fail("{}: the image's sources do not have it", p.str());
  }
}

// --set and --add: from the store when it answers them all (nothing is
// resolved then), else from the image's recorded sources.
void Updater::apply_pins(const PackageSource& source) {
  std::vector<spec::PackagePin> pins;
  Members tentative = after_;
  if (store_answers(pins, tentative)) {
    after_ = std::move(tentative);
  } else {
    resolve_pins(pins, source);
  }
  plan_.roots.insert(plan_.roots.end(), request_.add.begin(), request_.add.end());
}

// --remove: the package, and every member only it needed (reachable from
// the roots before, no longer after).
void Updater::remove_unneeded() {
  if (request_.remove.empty()) return;
  auto needed_before = needed(relations_.graph_of(after_), plan_.roots);
  for (const auto& name : request_.remove) {
    after_.erase(name);
    std::erase_if(plan_.roots, [&](const spec::PackagePin& p) { return p.name == name; });
  }
  auto needed_after = needed(relations_.graph_of(after_), plan_.roots);
  for (const auto& name : needed_before) {
    if (after_.count(name) && !needed_after.count(name)) {
      after_.erase(name);
      why_[name] = "no longer needed";
    }
  }
}

// The new set must stand on its own.
void Updater::check_closed() const {
  Graph g = relations_.graph_of(after_);
  auto problems = deb::unmet_dependencies(g.members, "the updated image");
  auto conflicts = deb::member_conflicts(g.members, "the updated image");
  problems.insert(problems.end(), conflicts.begin(), conflicts.end());
  if (!problems.empty()) {
    fail("the update would leave {} without a closed, conflict-free set of packages, so nothing was written:\n  - {}",
         label_, fmt::join(problems, "\n  - "));
  }
}

// The new set by id, and its changes by name.
UpdatePlan Updater::finish() {
  for (const auto& [name, r] : after_) plan_.debian.push_back(r.id);
  for (const auto& [name, r] : after_) {
    auto old = before_.find(name);
    if (old == before_.end()) {
      plan_.changes.push_back({name, "", r.version, why_[name]});
    } else if (old->second.id != r.id) {
      plan_.changes.push_back({name, old->second.version, r.version, why_[name]});
    }
  }
  for (const auto& [name, r] : before_) {
    if (!after_.count(name)) plan_.changes.push_back({name, r.version, "", why_[name]});
  }
  std::sort(plan_.changes.begin(), plan_.changes.end(),
            [](const PackageChange& a, const PackageChange& b) { return a.name < b.name; });
  return std::move(plan_);
}

}  // namespace

StoredComposition load_composition(store::LocalStore& store, const store::ImageRecord& record,
                                   const std::string& label) {
  StoredComposition c;
  c.record = record;
  RecordedSources recorded = read_sources(record, label);
  if (!recorded.recipe) {
    fail("{} records no recipe: it was built by an older sheaf, or pulled without its sheaf document (pushed by "
         "another tool); build it again with 'sheaf build'",
         label);
  }
  c.recipe = parse_recipe(*recorded.recipe, label);
  c.sources = std::move(recorded.sources);
  std::set<std::string> files(c.recipe.files.begin(), c.recipe.files.end());
  // A trimmed image is updated as the set it was trimmed from, and trimmed
  // again with its profile (pipeline/update.cpp).
  std::vector<std::string> ids =
      c.sources.trim ? c.sources.trim->untrimmed_ids() : store.index().image_packages(record.digest);
  for (const auto& id : ids) {
    if (files.count(id)) continue;
    auto p = store.index().package(id);
    if (!p && c.sources.trim) {
      fail(
          "{} is a trimmed image, and the package {} it was trimmed from is not in the store (a pulled trimmed image "
          "brings only what it kept); pull or build the image it was trimmed from ({}) first",
          label, id, c.sources.trim->source);
    }
    if (!p) fail("{} holds the package {}, which is not in the store; run 'sheaf store verify'", label, id);
    if (pkg::has_origin_type(store.index(), id, "assembly")) {
      c.assembly = std::move(*p);
    } else {
      c.debian.push_back(std::move(*p));
    }
  }
  std::sort(c.debian.begin(), c.debian.end(),
            [](const auto& a, const auto& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); });
  return c;
}

UpdatePlan plan_update(store::LocalStore& store, const StoredComposition& image, const UpdateRequest& request,
                       const PackageSource& source) {
  Updater updater(store, image, request);
  updater.check_names();
  updater.replace_from_lock();
  updater.apply_pins(source);
  updater.remove_unneeded();
  updater.check_closed();
  return updater.finish();
}

}  // namespace sheaf::image
