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

}  // namespace

StoredComposition load_composition(store::LocalStore& store, const store::ImageRecord& record,
                                   const std::string& label) {
  StoredComposition c;
  c.record = record;
  c.sources = nlohmann::json::parse(record.sources);
  if (!c.sources.is_object() || !c.sources.contains("recipe")) {
    fail("{} was built by an older sheaf, which did not record its recipe; build it again with 'sheaf build'", label);
  }
  c.recipe = parse_recipe(c.sources["recipe"], label);
  c.sources.erase("recipe");
  std::set<std::string> files(c.recipe.files.begin(), c.recipe.files.end());
  for (const auto& id : store.index().image_packages(record.digest)) {
    if (files.count(id)) continue;
    auto p = store.index().package(id);
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
  const std::string label = image.recipe.spec.path.string();
  const std::string& arch = image.recipe.arch;
  Members before;
  for (const auto& r : image.debian) {
    if (!before.emplace(r.name, r).second) {
      fail("{} holds two packages named {}; sheaf image update cannot tell them apart", label, r.name);
    }
  }
  UpdatePlan plan;
  plan.roots = image.recipe.spec.packages.include;
  RelationCache relations(store);
  Members after = before;
  std::map<std::string, std::string> why;

  if (request.replace) {
    after.clear();
    for (const auto& id : *request.replace) {
      auto r = store.index().package(id);
      if (!r) fail("package {} is not in the store", id);
      after[r->name] = *r;
    }
    plan.roots = request.replace_roots;
  }

  // Check every name first, so a typo fails before anything is resolved.
  auto member = [&](const std::string& name, std::string_view flag) -> const store::PackageRecord& {
    auto it = before.find(name);
    if (it == before.end()) {
      fail_usage("{} {}: {} holds no Debian package named {}{}", flag, name, label, quote(name),
                 flag == "--set" ? "; add it with --add" : "");
    }
    return it->second;
  };
  for (const auto& [name, value] : request.set) member(name, "--set");
  for (const auto& name : request.remove) member(name, "--remove");
  for (const auto& pin : request.add) {
    if (auto it = before.find(pin.name); it != before.end()) {
      fail_usage("--add {}: {} already holds {} {}; change its version with --set", pin.str(), label, pin.name,
                 it->second.version);
    }
  }

  // Each --set and versioned --add is looked for in the store first. When
  // the store answers them all and the image then lacks nothing they need,
  // nothing is resolved. Otherwise they are all resolved from the image's
  // recorded sources, which brings in the dependencies the image lacks.
  std::vector<spec::PackagePin> pins;  // every --set and --add, as NAME[=VERSION]
  Members tentative = after;
  bool store_answers = true;
  for (const auto& [name, value] : request.set) {
    std::optional<store::PackageRecord> target;
    if (looks_like_id(value) && !deb::Version::try_parse(value)) {
      target = pkg::resolve_package(store.index(), value.starts_with("sha256:") ? value : "sha256:" + value).record;
    } else if (!(target = stored_version(store.index(), name, value, arch)) && looks_like_id(value)) {
      target = pkg::resolve_package(store.index(), "sha256:" + value).record;
    }
    if (target && target->name != name) {
      fail_usage("--set {}={}: that package is {} {}, not {}", name, value, target->name, target->version, name);
    }
    if (target) tentative[name] = *target;
    store_answers = store_answers && target;
    pins.push_back({name, target ? target->version : value, {}});
  }
  for (const auto& pin : request.add) {
    auto found = pin.version ? stored_version(store.index(), pin.name, *pin.version, arch) : std::nullopt;
    if (found) tentative[pin.name] = *found;
    store_answers = store_answers && found;
    pins.push_back(pin);
  }
  if (store_answers && !pins.empty()) {
    Members kept = tentative;
    for (const auto& name : request.remove) kept.erase(name);
    store_answers = deb::unmet_dependencies(relations.graph_of(kept).members, "").empty();
  }
  if (store_answers) {
    after = std::move(tentative);
  } else {
    std::set<std::string> pinned;
    for (const auto& p : pins) pinned.insert(p.name);
    std::vector<spec::PackagePin> include = plan.roots;
    std::erase_if(include, [&](const spec::PackagePin& p) { return pinned.count(p.name) > 0; });
    include.insert(include.end(), pins.begin(), pins.end());
    std::map<std::string, std::string> favor;
    for (const auto& [name, r] : after) {
      if (!pinned.count(name)) favor[name] = r.version;
    }
    std::set<std::string> removing(request.remove.begin(), request.remove.end());
    auto wanted = [&](const std::string& name, const std::string&) {
      return pinned.count(name) > 0 || (!after.count(name) && !removing.count(name));
    };
    for (auto& r : source(include, favor, wanted)) {
      if (!pinned.count(r.name)) why[r.name] = "dependency";
      after[r.name] = std::move(r);
    }
    for (const auto& p : pins) {
      auto it = after.find(p.name);
      bool answered = it != after.end() &&
                      (!p.version || deb::version_satisfies(it->second.version, deb::RelationOp::equal, *p.version));
      if (!answered) fail("{}: the image's sources do not have it", p.str());
    }
  }
  plan.roots.insert(plan.roots.end(), request.add.begin(), request.add.end());

  if (!request.remove.empty()) {
    Graph old_graph = relations.graph_of(after);
    auto needed_before = needed(old_graph, plan.roots);
    for (const auto& name : request.remove) {
      after.erase(name);
      std::erase_if(plan.roots, [&](const spec::PackagePin& p) { return p.name == name; });
    }
    auto needed_after = needed(relations.graph_of(after), plan.roots);
    for (const auto& name : needed_before) {
      if (after.count(name) && !needed_after.count(name)) {
        after.erase(name);
        why[name] = "no longer needed";
      }
    }
  }

  // The new set must stand on its own.
  Graph g = relations.graph_of(after);
  auto problems = deb::unmet_dependencies(g.members, "the updated image");
  auto conflicts = deb::member_conflicts(g.members, "the updated image");
  problems.insert(problems.end(), conflicts.begin(), conflicts.end());
  if (!problems.empty()) {
    fail("the update would leave {} without a closed, conflict-free set of packages, so nothing was written:\n  - {}",
         label, fmt::join(problems, "\n  - "));
  }

  for (const auto& [name, r] : after) plan.debian.push_back(r.id);
  for (const auto& [name, r] : after) {
    auto old = before.find(name);
    if (old == before.end()) {
      plan.changes.push_back({name, "", r.version, why[name]});
    } else if (old->second.id != r.id) {
      plan.changes.push_back({name, old->second.version, r.version, why[name]});
    }
  }
  for (const auto& [name, r] : before) {
    if (!after.count(name)) plan.changes.push_back({name, r.version, "", why[name]});
  }
  std::sort(plan.changes.begin(), plan.changes.end(),
            [](const PackageChange& a, const PackageChange& b) { return a.name < b.name; });
  return plan;
}

}  // namespace sheaf::image
