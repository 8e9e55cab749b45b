#include "image/compose.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/json_fields.hpp"
#include "base/parallel.hpp"
#include "deb/closure.hpp"
#include "image/compose_members.hpp"
#include "image/glob.hpp"
#include "image/layers.hpp"
#include "image/paths.hpp"
#include "image/recipe.hpp"
#include "image/stored_image.hpp"
#include "pkg/derived.hpp"
#include "pkg/package.hpp"
#include "pkg/purl.hpp"
#include "store/write_batch.hpp"

namespace sheaf::image {

namespace {

using fileset::Entry;
using fileset::EntryType;
using fileset::Manifest;

using detail::finish_local_member;
using detail::kAssemblyName;
using detail::Kind;
using detail::Member;
using detail::read_local_files;

deb::ClosureMember closure_member(const Member& m) {
  return {m.package.name,     m.package.version,   m.package.pre_depends, m.package.depends,
          m.package.provides, m.package.conflicts, m.package.breaks};
}

std::vector<OrderItem> order_items(const std::vector<Member>& members) {
  std::vector<deb::ClosureMember> closure;
  for (const auto& m : members) closure.push_back(closure_member(m));
  auto edges = deb::dependency_edges(closure);
  std::vector<OrderItem> items;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    int group = m.kind == Kind::debian ? 0 : m.kind == Kind::files ? 1 : 2;
    items.push_back({m.package.name, m.record.id, std::move(edges[i]), group});
  }
  return items;
}

std::vector<std::string> sorted_env(const spec::ImageConfig& image) {
  std::vector<std::string> env;
  bool has_path = false;
  for (const auto& [key, value] : image.env) {
    has_path |= key == "PATH";
    env.push_back(key + "=" + value);
  }
  if (!has_path) env.push_back("PATH=" + std::string(kDefaultPath));
  std::sort(env.begin(), env.end());
  return env;
}

// Warns when the command the image starts with is not in it.
void check_entrypoint(const spec::Spec& spec, const ImageTree& tree, const std::vector<std::string>& env,
                      const std::function<void(const std::string&)>& warn) {
  if (!warn) return;
  const auto& image = spec.image;
  const std::vector<std::string>& argv = image.entrypoint.empty() ? image.cmd : image.entrypoint;
  if (argv.empty()) return;
  const std::string& program = argv.front();
  auto candidates = command_candidates(program, env, image.workdir);
  for (const auto& c : candidates) {
    const Entry* e = tree.resolve(c);
    if (e && (e->type == EntryType::file || e->type == EntryType::hardlink)) return;
  }
  warn(fmt::format("{}: {} {} is not a file in the image, so the image will not start as it is",
                   spec.where(image.entrypoint_position), image.entrypoint.empty() ? "cmd" : "entrypoint",
                   quote(program)));
}

// The effects recorded with an image's assembly (its last layer), or
// nullopt.
std::optional<deb::ScriptEffects> assembly_effects(store::LocalStore& store, const std::string& image) {
  auto digest = Digest::parse(image);
  if (!digest) return std::nullopt;
  try {
    StoredImage stored = load_image(store, *digest);
    if (stored.manifest.layers.empty()) return std::nullopt;
    auto packages = layer_packages(stored.manifest.layers.back());
    if (packages.size() != 1 || packages.front().name != kAssemblyName) return std::nullopt;
    auto record = store.index().package(packages.front().id);
    if (!record) return std::nullopt;
    return pkg::PackageMetadata::from_json(record->metadata).effects;
  } catch (const Error&) {
    return std::nullopt;  // an image this store cannot read names no accounts to keep
  }
}

// An account the image the tag names now numbers differently: refused, so
// that no rebuild or update renumbers an account under files that a volume
// or a registry already holds (image/accounts.hpp).
void check_account_ids(store::LocalStore& store, const std::string& tag_name, const std::string& tag,
                       const deb::ScriptEffects& applied) {
  if (tag_name.empty()) return;
  auto previous = store.index().tagged_image(tag_name, tag);
  if (!previous) return;
  auto before = assembly_effects(store, *previous);
  if (!before) return;
  for (const auto& old : before->accounts) {
    if (!old.id) continue;
    for (const auto& now : applied.accounts) {
      if (now.kind != old.kind || now.name != old.name || !now.id || *now.id == *old.id) continue;
      const char* kind = now.kind == deb::Account::Kind::user ? "user" : "group";
      const char* key = now.kind == deb::Account::Kind::user ? "uid" : "gid";
      // The account that now holds the old id: give it the id the moved one
      // would get, and the moved one keeps its own.
      auto holder = std::find_if(applied.accounts.begin(), applied.accounts.end(), [&](const deb::Account& a) {
        return a.kind == now.kind && a.id == old.id && a.name != now.name;
      });
      std::string advice =
          holder == applied.accounts.end()
              ? fmt::format("keep its id with [[{}s]] name = \"{}\", {} = {}", kind, now.name, key, *old.id)
              : fmt::format(
                    "{} takes it now (their derived ids collide); keep {}'s by giving {} one of "
                    "its own: [[{}s]] name = \"{}\", {} = {}",
                    quote(holder->name), now.name, holder->name, kind, holder->name, key, *now.id);
      fail("the {} {} would get id {}, but {}:{} ({}) gives it {}: {}", kind, quote(now.name), *now.id, tag_name, tag,
           previous->substr(0, 19), *old.id, advice);
    }
  }
}

}  // namespace

std::vector<std::string> command_candidates(const std::string& program, const std::vector<std::string>& env,
                                            const std::string& workdir) {
  if (program.find('/') != std::string::npos) return {program.front() == '/' ? program : workdir + "/" + program};
  std::string path(kDefaultPath);
  for (const auto& e : env) {
    if (e.starts_with("PATH=")) path = e.substr(5);
  }
  std::vector<std::string> candidates;
  for (std::string_view rest = path; !rest.empty();) {
    std::size_t colon = rest.find(':');
    candidates.push_back(std::string(rest.substr(0, colon)) + "/" + program);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return candidates;
}

std::vector<std::size_t> layer_order(const std::vector<OrderItem>& members) {
  // Tarjan's strongly connected components, then depth over the condensation.
  std::size_t n = members.size();
  std::vector<int> index(n, -1), low(n, 0), component(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  int next_index = 0, components = 0;
  std::function<void(std::size_t)> connect = [&](std::size_t v) {
    index[v] = low[v] = next_index++;
    stack.push_back(v);
    on_stack[v] = true;
    for (std::size_t w : members[v].depends_on) {
      if (index[w] < 0) {
        connect(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] == index[v]) {
      std::size_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        component[w] = components;
      } while (w != v);
      ++components;
    }
  };
  for (std::size_t v = 0; v < n; ++v) {
    if (index[v] < 0) connect(v);
  }
  // Tarjan numbers components in reverse topological order: a component's
  // dependencies get smaller numbers, so one pass in increasing order works.
  std::vector<std::vector<std::size_t>> by_component(static_cast<std::size_t>(components));
  for (std::size_t v = 0; v < n; ++v) by_component[static_cast<std::size_t>(component[v])].push_back(v);
  std::vector<int> depth(static_cast<std::size_t>(components), 0);
  for (std::size_t c = 0; c < by_component.size(); ++c) {
    for (std::size_t v : by_component[c]) {
      for (std::size_t w : members[v].depends_on) {
        auto cw = static_cast<std::size_t>(component[w]);
        if (cw != c) depth[c] = std::max(depth[c], depth[cw] + 1);
      }
    }
  }
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const OrderItem& x = members[a];
    const OrderItem& y = members[b];
    if (x.group != y.group) return x.group < y.group;
    if (x.group == 1) return false;  // [[files]]: spec order
    int dx = depth[static_cast<std::size_t>(component[a])];
    int dy = depth[static_cast<std::size_t>(component[b])];
    return std::tie(dx, x.name, x.id) < std::tie(dy, y.name, y.id);
  });
  return order;
}

std::vector<std::vector<std::size_t>> group_layers(const std::vector<std::size_t>& order) {
  std::vector<std::vector<std::size_t>> layers;
  if (order.size() <= kMaxLayers) {
    for (std::size_t i : order) layers.push_back({i});
    return layers;
  }
  std::size_t single = kMaxLayers - 2;
  for (std::size_t k = 0; k < single; ++k) layers.push_back({order[k]});
  layers.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(single), order.end() - 1);
  layers.push_back({order.back()});
  return layers;
}

namespace {

// One composition, step by step: compose_image below calls the steps in the
// order the file comment numbers them. Each step reads what the ones before
// it left in the members and the tree.
class Composer {
 public:
  Composer(store::LocalStore& store, const spec::Spec& spec, const ComposeRequest& request)
      : store_(store), spec_(spec), request_(request), batch_(store.begin_write()) {}

  void gather_members();         // 1
  void check_closure() const;    // 2
  void filter_contents();        // 3
  void select_needs();           // 3: whose needs become suggestions
  void check_paths();            // 3
  void add_assembly();           // 4
  void trim();                   // 4b, with a trim only
  void make_layers();            // 5
  void write_documents();        // 6
  ComposeResult record_image();  // 7

 private:
  Member stored_member(const std::string& id, Kind kind) const;
  void refresh_stale_derivations();
  Manifest layer_manifest(std::size_t group) const;
  ImageSources recorded_sources() const;
  void note(const std::string& text) const {
    if (request_.note) request_.note(text);
  }
  void warn(const std::string& text) const {
    if (request_.warn) request_.warn(text);
  }

  store::LocalStore& store_;
  const spec::Spec& spec_;
  const ComposeRequest& request_;
  std::unique_ptr<store::WriteBatch> batch_;
  std::vector<Member> members_;
  std::vector<std::string> files_ids_;  // [[files]] packages, in spec order
  std::optional<TrimProfile> trim_;     // what trim() kept
  std::vector<Member> untrimmed_new_;   // members this build made that trim() replaced
  // Per member (before the assembly joins): its effects and, where its
  // programs' needs become suggestions, those needs.
  std::vector<MemberEffects> effects_;
  std::vector<const std::vector<deb::ProgramNeed>*> needs_;
  std::vector<PlannedDiversion> diversions_;
  ImageTree tree_;
  // Layers: members by layer, and what the layers are.
  std::vector<std::vector<std::size_t>> groups_;
  ComposeResult result_;
  std::vector<Digest> diff_ids_;
  std::vector<store::LayerRecord> new_layer_records_;
  // Documents.
  std::vector<std::string> blobs_;
  Digest config_digest_;
  std::string manifest_bytes_;
  Digest manifest_digest_;
};

Member Composer::stored_member(const std::string& id, Kind kind) const {
  auto record = store_.index().package(id);
  if (!record) fail("package {} is not in the store", id);
  Member m;
  m.kind = kind;
  m.stored = true;
  m.record = *record;
  // A locked package is a Debian one, unless it came from a registry where
  // it had been added from a directory, or a recipe built it.
  m.from_deb = kind == Kind::debian;
  for (const auto& origin : store_.index().origins(id)) {
    auto doc = nlohmann::json::parse(origin, nullptr, false);
    std::string type = string_field(doc, "type");
    if ((type == "registry" && string_field(doc, "kind") != "deb") || type == "recipe") m.from_deb = false;
  }
  auto digest = Digest::parse(id);
  auto document = digest ? store_.read_blob(*digest) : std::nullopt;
  if (!document) fail("the package document of {} is missing from the store; run 'sheaf store verify'", m.label());
  m.package = pkg::Package::from_document(*document, id);
  m.metadata = pkg::PackageMetadata::from_json(record->metadata);
  return m;
}

// Packages imported by an older sheaf get their effects derived now, from
// the scripts the store kept (pkg/derived.hpp).
void Composer::refresh_stale_derivations() {
  std::vector<std::string> stale;
  for (const auto& m : members_) {
    if (m.metadata.derivation != pkg::kDerivationVersion) stale.push_back(m.record.id);
  }
  if (stale.empty()) return;
  auto refreshed = pkg::refresh_derivations(store_, stale);
  if (!refreshed.refreshed.empty()) {
    note(fmt::format("derived maintainer-script effects again for {} package(s) an older sheaf imported",
                     refreshed.refreshed.size()));
  }
  if (!refreshed.no_scripts.empty()) {
    std::vector<std::string> names;
    for (const auto& id : refreshed.no_scripts) {
      auto record = store_.index().package(id);
      names.push_back(record ? record->name + " " + record->version : id);
    }
    fail(
        "{} package(s) were imported by an older sheaf, which did not keep their maintainer scripts: {}; "
        "read their .deb files again with 'sheaf fetch' (or 'sheaf pkg import FILE.deb')",
        names.size(), fmt::join(names, ", "));
  }
  for (auto& m : members_) {
    if (std::find(refreshed.refreshed.begin(), refreshed.refreshed.end(), m.record.id) != refreshed.refreshed.end()) {
      m = stored_member(m.record.id, Kind::debian);
    }
  }
}

// 1. Members: the Debian packages by name, then the [[files]] packages in
// spec order.
void Composer::gather_members() {
  for (const auto& id : request_.debian_packages) members_.push_back(stored_member(id, Kind::debian));
  refresh_stale_derivations();
  std::sort(members_.begin(), members_.end(), [](const Member& a, const Member& b) {
    return std::tie(a.record.name, a.record.id) < std::tie(b.record.name, b.record.id);
  });
  for (const auto& files : spec_.files) {
    members_.push_back(read_local_files(spec_, files, request_.arch, *batch_, request_.threads, request_.warn));
    files_ids_.push_back(members_.back().record.id);
  }
  for (const auto& id : request_.files_packages) {
    members_.push_back(stored_member(id, Kind::files));
    files_ids_.push_back(id);
  }
}

// 2. The closure and Debian's own conflicts.
void Composer::check_closure() const {
  std::vector<deb::ClosureMember> closure;
  for (const auto& m : members_) closure.push_back(closure_member(m));
  auto unmet = deb::unmet_dependencies(closure, "the image");
  auto conflicts = deb::member_conflicts(closure, "the image");
  unmet.insert(unmet.end(), conflicts.begin(), conflicts.end());
  if (!unmet.empty()) {
    fail("the image's packages do not form a closed, conflict-free set:\n  - {}", fmt::join(unmet, "\n  - "));
  }
}

// 3. Contents after drop_paths.
void Composer::filter_contents() {
  const auto& drop = spec_.packages.drop_paths;
  parallel_for(members_.size(), request_.threads, [&](std::size_t i) {
    Member& m = members_[i];
    if (m.stored) m.manifest = load_manifest(store_, m.record.fileset);
    if (drop.empty()) return;  // no copy through apply_drop_paths on the common path
    FilteredFileSet filtered = apply_drop_paths(m.manifest, drop);
    m.manifest = std::move(filtered.manifest);
    m.dropped = filtered.dropped.size();
  });
  for (const auto& m : members_) {
    effects_.push_back({m.package.name, m.label(), m.kind == Kind::debian ? &m.metadata.effects : nullptr});
    needs_.push_back(m.kind == Kind::debian ? &m.metadata.needs : nullptr);
  }
}

// Suggestions look at the programs users run: those of the included
// packages and their direct dependencies (and the entrypoint's), not those
// of Essential packages.
void Composer::select_needs() {
  std::vector<deb::ClosureMember> closure;
  for (const auto& m : members_) closure.push_back(closure_member(m));
  auto edges = deb::dependency_edges(closure);
  std::vector<bool> suggest_for(members_.size(), false);
  for (std::size_t i = 0; i < members_.size(); ++i) {
    bool root = std::any_of(spec_.packages.include.begin(), spec_.packages.include.end(),
                            [&](const spec::PackagePin& p) { return p.name == members_[i].package.name; });
    if (!root) continue;
    suggest_for[i] = true;
    for (std::size_t d : edges[i]) suggest_for[d] = true;
  }
  const auto& argv = spec_.image.entrypoint.empty() ? spec_.image.cmd : spec_.image.entrypoint;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (suggest_for[i] || !needs_[i] || argv.empty()) continue;
    auto program = std::find_if(needs_[i]->begin(), needs_[i]->end(), [&](const deb::ProgramNeed& n) {
      return n.program == argv.front() || n.program.ends_with("/" + argv.front());
    });
    suggest_for[i] = program != needs_[i]->end();
  }
  // Essential packages' own tools assume the rest of the Essential set
  // (dpkg's helpers want perl): what they need is not the image's need.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!suggest_for[i] || members_[i].metadata.essential) needs_[i] = nullptr;
  }
}

// 3. The path conflict check, with diverted files set aside first.
void Composer::check_paths() {
  std::vector<const Manifest*> manifests;
  for (const auto& m : members_) manifests.push_back(&m.manifest);
  std::vector<std::string> diversion_notes;
  auto set_aside = plan_diversions(effects_, manifests, diversions_, diversion_notes);
  for (const auto& n : diversion_notes) note(n);
  for (std::size_t i = 0; i < members_.size(); ++i) {
    auto aside = set_aside.find(i);
    tree_.add(members_[i].manifest, members_[i].label(),
              {.set_aside = aside == set_aside.end() ? nullptr : &aside->second});
  }
  if (auto conflicts = tree_.conflicts(); !conflicts.empty()) {
    fail("{} path conflict(s) between the image's packages (drop_paths in [packages] can remove a path):\n  - {}",
         conflicts.size(), fmt::join(conflicts, "\n  - "));
  }
  std::uint64_t dropped = 0;
  for (const auto& m : members_) dropped += m.dropped;
  if (!spec_.packages.drop_paths.empty()) note(fmt::format("drop_paths removed {} entries", dropped));
}

// 4. The assembly.
void Composer::add_assembly() {
  // ld.so.cache is made in a scratch tree beside the batch's staging.
  std::filesystem::path scratch = store_.root() / "tmp" / ("ld-" + random_hex(8));
  std::filesystem::create_directories(scratch);
  struct RemoveScratch {
    std::filesystem::path path;
    ~RemoveScratch() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_scratch{scratch};
  Assembly assembly = make_assembly(
      spec_, request_.os, tree_,
      [&](const Entry& e) {
        auto fd = batch_->open_object(e.digest);
        if (!fd) fail("the content of {} is missing from the store; run 'sheaf store verify'", quote(e.path));
        return read_all(fd->get(), e.path);
      },
      {.arch = request_.arch, .scratch = scratch, .members = effects_, .needs = needs_, .diversions = diversions_});
  for (const auto& n : assembly.notes) note(n);
  for (const auto& w : assembly.warnings) warn(w);
  if (request_.suggest) {
    for (const auto& s : assembly.suggestions) request_.suggest(s);
  }
  for (const auto& [digest, bytes] : assembly.contents) {
    MemorySource source(bytes);
    batch_->put(source);
  }
  Member m;
  m.kind = Kind::assembly;
  m.manifest = std::move(assembly.manifest);
  m.package.name = std::string(kAssemblyName);
  m.package.version = "0+" + m.manifest.id().hex().substr(0, 12);
  m.package.arch = request_.arch;
  m.metadata.description =
      "files sheaf derives for the image: accounts, os-release, /tmp, merged-/usr links, and what the members' "
      "maintainer scripts would have done";
  m.metadata.effects = std::move(assembly.applied);
  m.metadata.source_name = m.package.name;
  m.metadata.source_version = m.package.version;
  m.origin = canonical_json({{"type", "assembly"}});
  finish_local_member(m, *batch_);
  check_account_ids(store_, request_.tag_name, request_.tag, m.metadata.effects);
  tree_.add(m.manifest, m.label(), {.replaces = &assembly.overrides});
  if (auto conflicts = tree_.conflicts(); !conflicts.empty()) {
    fail("the spec's [[paths]], [[users]] or [[groups]] clash with the image's packages:\n  - {}",
         fmt::join(conflicts, "\n  - "));
  }
  members_.push_back(std::move(m));
}

// 4b. Every member narrowed to what the workloads used; members nothing
// used leave. A trimmed member is a package of its own (same name, version
// and relations, a narrower FileSet) whose origin names the package it came
// from, so everything that reads images (run, push, pull, SBOMs) reads it
// as it reads any package.
void Composer::trim() {
  const TrimInput& input = *request_.trim;
  std::vector<const Manifest*> manifests;
  std::vector<std::string> names;
  for (const auto& m : members_) {
    manifests.push_back(&m.manifest);
    names.push_back(m.package.name);
  }
  for (const auto& glob : unmatched_keeps(manifests, input.keep)) {
    warn(fmt::format("--keep {} matches no path of the image", quote(glob)));
  }
  std::vector<MemberTrim> trims = trim_members(manifests, names, input.used, input.keep);
  TrimProfile profile{input.source, input.workloads, input.keep, {}, {}};
  std::vector<Member> kept;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Member& m = members_[i];
    if (!trims[i].used) {
      profile.dropped.push_back({m.package.name, m.package.version, m.record.id});
      continue;
    }
    Member t = m;
    t.stored = false;
    t.manifest = std::move(trims[i].manifest);
    t.dropped = 0;
    finish_local_member(t, *batch_);
    std::string kind;
    if (m.stored) {
      kind = pkg::package_kind(store_.index(), m.record.id);
      if (kind.empty() && pkg::has_origin_type(store_.index(), m.record.id, "recipe")) kind = "recipe";
    } else {
      kind = string_field(nlohmann::json::parse(m.origin), "type");
    }
    t.origin = pkg::trim_origin(m.record.id, kind);
    profile.packages.push_back({m.package.name, m.package.version, m.record.id, t.record.id,
                                m.manifest.entries().size(), t.manifest.entries().size(), std::move(trims[i].paths)});
    kept.push_back(std::move(t));
  }
  auto by_name = [](const auto& a, const auto& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); };
  std::sort(profile.packages.begin(), profile.packages.end(), by_name);
  std::sort(profile.dropped.begin(), profile.dropped.end(), by_name);
  if (kept.empty()) fail("the workloads used no file of the image, so a trim would leave nothing");
  // What this build made and the trim replaced ([[files]] packages, the
  // assembly) is recorded too: an update of the trimmed image starts there.
  for (auto& m : members_) {
    if (!m.stored) untrimmed_new_.push_back(std::move(m));
  }
  members_ = std::move(kept);
  trim_ = std::move(profile);
}

// A layer's FileSet: its member's, or for a shared layer the union of its
// members' (identical shared entries once).
Manifest Composer::layer_manifest(std::size_t group) const {
  const auto& in_group = groups_[group];
  std::vector<Manifest> manifests;
  for (std::size_t i : in_group) manifests.push_back(members_[i].manifest);
  return layer_fileset(std::move(manifests));
}

// 5. Layers, in canonical order, made where the store lacks them.
void Composer::make_layers() {
  auto order = layer_order(order_items(members_));
  groups_ = group_layers(order);
  if (groups_.size() < order.size()) {
    note(fmt::format("{} packages exceed the cap of {} layers: the last {} in layer order share one layer",
                     members_.size(), kMaxLayers, groups_[kMaxLayers - 2].size()));
  }
  std::string variant = layer_variant(spec_.packages.drop_paths);
  result_.members = members_.size();
  result_.layers.resize(groups_.size());
  diff_ids_.resize(groups_.size());
  std::vector<std::size_t> to_make;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g].size() != 1) {
      to_make.push_back(g);
      continue;
    }
    const Member& m = members_[groups_[g].front()];
    auto cached = store_.index().layer(m.record.id, variant);
    auto digest = cached ? Digest::parse(cached->digest) : std::nullopt;
    auto diff_id = cached ? Digest::parse(cached->diff_id) : std::nullopt;
    if (digest && diff_id && store_.has_blob(*digest)) {
      result_.layers[g].descriptor = {std::string(oci::kMediaTypeLayerGzip), *digest, cached->size, {}, std::nullopt};
      diff_ids_[g] = *diff_id;
    } else {
      to_make.push_back(g);
    }
  }
  // Largest first, so the last layer to finish is a small one.
  auto layer_bytes = [&](std::size_t g) {
    std::uint64_t bytes = 0;
    for (std::size_t i : groups_[g]) bytes += members_[i].manifest.content_size();
    return bytes;
  };
  std::stable_sort(to_make.begin(), to_make.end(),
                   [&](std::size_t a, std::size_t b) { return layer_bytes(a) > layer_bytes(b); });
  std::atomic<std::size_t> made{0};
  std::mutex mutex;
  parallel_for(to_make.size(), request_.threads, [&](std::size_t k) {
    std::size_t g = to_make[k];
    oci::LayerDigests d = write_layer_blob(*batch_, layer_manifest(g), 1);
    std::lock_guard guard(mutex);
    result_.layers[g].descriptor = {std::string(oci::kMediaTypeLayerGzip), d.digest, d.size, {}, std::nullopt};
    diff_ids_[g] = d.diff_id;
    result_.layers[g].made = true;
    const Member& first = members_[groups_[g].front()];
    if (groups_[g].size() == 1) {
      new_layer_records_.push_back({first.record.id, variant, d.digest.str(), d.size, d.diff_id.str(), first.dropped});
    }
    if (request_.on_layer) request_.on_layer(++made, to_make.size());
  });
}

// 6. Annotations, config and manifest.
void Composer::write_documents() {
  oci::ImageConfig config;
  config.platform.architecture = request_.arch;
  std::int64_t created = 1;
  if (request_.source_date_epoch) {
    created = *request_.source_date_epoch;
  } else {
    for (const auto& m : members_) created = std::max(created, m.metadata.date.value_or(0));
  }
  config.created = oci::rfc3339_utc(created);
  const auto& image = spec_.image;
  config.config.entrypoint = image.entrypoint;
  config.config.cmd = image.cmd;
  config.config.env = sorted_env(image);
  config.config.user = image.user;
  config.config.working_dir = image.workdir;
  config.config.exposed_ports = image.ports;
  for (const auto& [k, v] : image.labels) config.config.labels[k] = v;
  config.config.stop_signal = image.stop_signal;
  check_entrypoint(spec_, tree_, config.config.env, request_.warn);

  std::string distro;
  if (request_.os) distro = "debian-" + request_.os->release();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    auto& layer = result_.layers[g];
    config.diff_ids.push_back(diff_ids_[g]);
    std::vector<LayerPackage> packages;
    for (std::size_t i : groups_[g]) {
      const Member& m = members_[i];
      layer.packages.push_back(m.label());
      packages.push_back({m.package.name, m.package.version, m.record.id});
    }
    if (groups_[g].size() == 1) {
      const Member& m = members_[groups_[g].front()];
      layer.descriptor.annotations = package_layer_annotations(
          packages.front(),
          m.from_deb ? pkg::deb_purl(m.package.name, m.package.version, m.package.arch, distro)
                                 : pkg::generic_purl(m.package.name, m.package.version),
          m.dropped);
      config.history.push_back(fmt::format("sheaf: {} {}", m.package.name, m.package.version));
    } else {
      layer.descriptor.annotations = shared_layer_annotations(packages);
      config.history.push_back(
          fmt::format("sheaf: {} packages: {}", groups_[g].size(), fmt::join(layer.packages, ", ")));
    }
    blobs_.push_back(layer.descriptor.digest.str());
  }
  std::string config_bytes = oci::render(config);
  config_digest_ = batch_->add_blob(config_bytes);
  oci::ImageManifest manifest;
  manifest.config = {std::string(oci::kMediaTypeConfig), config_digest_, config_bytes.size(), {}, std::nullopt};
  for (const auto& layer : result_.layers) manifest.layers.push_back(layer.descriptor);
  set_drop_paths(manifest, spec_.packages.drop_paths);
  if (trim_) set_trimmed_from(manifest, trim_->source);
  manifest_bytes_ = oci::render(manifest);
  manifest_digest_ = batch_->add_blob(manifest_bytes_);
  blobs_.push_back(config_digest_.str());
  blobs_.push_back(manifest_digest_.str());
  std::sort(blobs_.begin(), blobs_.end());
  blobs_.erase(std::unique(blobs_.begin(), blobs_.end()), blobs_.end());
  result_.manifest = manifest_digest_;
  result_.manifest_size = manifest_bytes_.size();
  result_.manifest_document = std::move(manifest);
  result_.config = std::move(config);
}

// The sources recorded beside the image: the request's, and with a trim its
// profile, each trimmed package coming from where its original came from.
ImageSources Composer::recorded_sources() const {
  ImageSources sources = request_.sources;
  if (!trim_) return sources;
  sources.trim = trim_;
  for (const auto& p : trim_->packages) {
    if (auto it = request_.sources.packages.find(p.from); it != request_.sources.packages.end()) {
      sources.packages[p.id] = it->second;
    }
  }
  return sources;
}

// 7. One commit: packages this build made, layer records, the image, its tag.
ComposeResult Composer::record_image() {
  std::vector<std::string> package_ids;
  for (const auto& m : members_) package_ids.push_back(m.record.id);
  std::sort(package_ids.begin(), package_ids.end());
  store::ImageRecord record{
      manifest_digest_.str(), config_digest_.str(), manifest_bytes_.size(), result_.config.created,
      render_sources(recorded_sources(), recipe_json(spec_, request_.os, request_.arch, files_ids_))};
  if (request_.keep_recorded_sources) {
    if (auto existing = store_.index().image(record.digest)) record.sources = existing->sources;
  }
  // A rebuild that changes nothing writes nothing: the rows it would write
  // exist, and were committed only after their blobs were durable.
  auto unchanged = [&] {
    auto existing = store_.index().image(record.digest);
    if (!existing || existing->sources != record.sources || !new_layer_records_.empty()) return false;
    if (!request_.tag_name.empty() && store_.index().tagged_image(request_.tag_name, request_.tag) != record.digest) {
      return false;
    }
    auto recorded = [&](const Member& m) {
      return m.stored || store_.index().origins(m.record.id) == std::vector<std::string>{m.origin};
    };
    return std::all_of(members_.begin(), members_.end(), recorded) &&
           std::all_of(untrimmed_new_.begin(), untrimmed_new_.end(), recorded);
  };
  if (!unchanged()) {
    batch_->commit([&](store::Index::Transaction& t) {
      for (const auto* list : {&members_, &untrimmed_new_}) {
        for (const auto& m : *list) {
          if (m.stored) continue;
          t.insert_package(m.record);
          t.add_origin(m.record.id, m.origin);
        }
      }
      for (const auto& r : new_layer_records_) t.put_layer(r);
      t.put_image(record, package_ids, blobs_);
      if (!request_.tag_name.empty()) t.set_tag(request_.tag_name, request_.tag, record.digest);
    });
  }
  result_.trim = trim_;
  return std::move(result_);
}

}  // namespace

ComposeResult compose_image(store::LocalStore& store, const spec::Spec& spec, const ComposeRequest& request) {
  Composer composer(store, spec, request);
  composer.gather_members();
  composer.check_closure();
  composer.filter_contents();
  composer.select_needs();
  composer.check_paths();
  composer.add_assembly();
  if (request.trim) composer.trim();
  composer.make_layers();
  composer.write_documents();
  return composer.record_image();
}

}  // namespace sheaf::image
