#include "repo/resolver.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <stdio_ext.h>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <unordered_map>

#include "repo/index_decoder.hpp"
#include "repo/solv.hpp"

#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/suggest.hpp"
#include "deb/control.hpp"
#include "deb/version.hpp"

namespace sheaf::repo {

namespace {

// libsolvext's Debian index reader, loaded on first use. libsolvext links
// librpm, lua, libgcrypt and more, whose symbols the dynamic linker bound at
// the start of every sheaf command; repo_add_debpackages is all sheaf uses
// of it (docs/decisions.md).
int add_debpackages(Repo* repo, FILE* fp, int flags) {
  using Function = decltype(&repo_add_debpackages);
  static const Function function = [] {
    constexpr const char* kLibrary = "libsolvext.so.1";
    void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!handle) fail("cannot load {} (apt-get install libsolvext1): {}", kLibrary, ::dlerror());
    void* symbol = ::dlvsym(handle, "repo_add_debpackages", "SOLV_1.0");
    if (!symbol) fail("{} has no repo_add_debpackages: {}", kLibrary, ::dlerror());
    return reinterpret_cast<Function>(symbol);
  }();
  return function(repo, fp, flags);
}

// A FILE* that closes itself.
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// The fields sheaf keeps itself rather than through libsolvext's reader: the
// .deb's Size, Filename and SHA256, the source version, and the relation
// fields as written (libsolv keeps relations as ids, in an order of its own).
// Source comes from libsolv's own data. The strings go into the pool's string
// table (repodata_set_id), which grows in 64 KiB steps, not into the
// repodata's attribute data, where libsolv's reader would put Filename and
// SHA256 and which grows in 1 KiB steps: under AddressSanitizer every step
// copies everything, and parsing bookworm's main index took minutes instead
// of seconds (docs/decisions.md).
struct ExtraFields {
  std::string source_version;
  std::string pre_depends, depends, provides;  // as the index spells them
  std::string filename, sha256;                // as the index spells them
  std::uint64_t size = 0;
  bool essential = false;  // "Essential: yes"
};

// The fields libsolvext's reader turns into solver input, or into data sheaf
// reads back as libsolv keeps it (Source). The rest (Description above all,
// which is most of an index) is dropped before parsing, and Filename and
// SHA256 are kept as ExtraFields: libsolv's reader would grow its attribute
// data in 1 KiB steps with them, and under AddressSanitizer each step copies
// everything.
bool is_resolver_field(std::string_view name) {
  static constexpr std::string_view kKept[] = {"Package",     "Version",    "Architecture", "Depends",
                                               "Pre-Depends", "Provides",   "Conflicts",    "Breaks",
                                               "Replaces",    "Recommends", "Source",       "Multi-Arch"};
  return std::find(std::begin(kKept), std::end(kKept), name) != std::end(kKept);
}

std::string_view trimmed(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r'))
    value.remove_suffix(1);
  return value;
}

// One pass over an index: copies each paragraph's resolver fields to
// `filtered`, and returns sheaf's extra fields keyed "name version arch".
std::unordered_map<std::string, ExtraFields> scan_extra_fields(std::string_view text, std::string& filtered) {
  std::unordered_map<std::string, ExtraFields> out;
  out.reserve(text.size() / 700);
  std::size_t at = 0;
  while (at < text.size()) {
    std::string_view name, version, arch, source, size;
    ExtraFields fields;
    bool keep = false;
    // One paragraph: lines up to a blank one.
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(at, end - at);
      at = end + 1;
      if (line.empty() || line == "\r") break;
      if (line[0] != ' ' && line[0] != '\t') {
        std::size_t colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? std::string_view() : trimmed(line.substr(colon + 1));
        keep = is_resolver_field(field);
        if (field == "Package")
          name = value;
        else if (field == "Version")
          version = value;
        else if (field == "Architecture")
          arch = value;
        else if (field == "Source")
          source = value;
        else if (field == "Size")
          size = value;
        else if (field == "Pre-Depends")
          fields.pre_depends = value;
        else if (field == "Depends")
          fields.depends = value;
        else if (field == "Provides")
          fields.provides = value;
        else if (field == "Essential")
          fields.essential = value == "yes";
        else if (field == "Filename")
          fields.filename = value;
        else if (field == "SHA256")
          fields.sha256 = value;
      }
      if (keep) {
        filtered += line;
        filtered += '\n';
      }
    }
    if (name.empty()) continue;
    filtered += '\n';
    if (auto paren = source.find(" ("); paren != std::string_view::npos && source.ends_with(")")) {
      fields.source_version = source.substr(paren + 2, source.size() - paren - 3);
    }
    std::from_chars(size.data(), size.data() + size.size(), fields.size);
    std::string key;
    key.reserve(name.size() + version.size() + arch.size() + 2);
    key.append(name).append(" ").append(version).append(" ").append(arch.empty() ? std::string_view("all") : arch);
    out.emplace(std::move(key), std::move(fields));
  }
  return out;
}

struct Keys {
  Id size, source_version, pre_depends, depends, provides, essential, filename, sha256;
  explicit Keys(Pool* pool)
      : size(pool_str2id(pool, "sheaf:size", 1)),
        source_version(pool_str2id(pool, "sheaf:source-version", 1)),
        pre_depends(pool_str2id(pool, "sheaf:pre-depends", 1)),
        depends(pool_str2id(pool, "sheaf:depends", 1)),
        provides(pool_str2id(pool, "sheaf:provides", 1)),
        essential(pool_str2id(pool, "sheaf:essential", 1)),
        filename(pool_str2id(pool, "sheaf:filename", 1)),
        sha256(pool_str2id(pool, "sheaf:sha256", 1)) {}
};

// A string kept with repodata_set_id.
std::string lookup(Solvable* s, Id key) {
  Id id = solvable_lookup_id(s, key);
  return id ? pool_id2str(s->repo->pool, id) : "";
}

void set_text(Pool* pool, Repodata* data, Id solvable, Id key, const std::string& text) {
  if (!text.empty()) repodata_set_id(data, solvable, key, pool_str2id(pool, text.c_str(), 1));
}

}  // namespace

struct Resolver::State {
  Pool* pool = nullptr;
  std::string arch;
  std::map<Id, std::size_t> suite_of_repo;
  Id registry_repo = 0;                  // the repo of the registry packages, 0 for none
  std::map<Id, std::size_t> registry_of;  // name -> index in the registry packages
  ~State() {
    if (pool) pool_free(pool);
  }
};

Resolver::Resolver(const std::string& arch) : state_(std::make_unique<State>()) {
  state_->arch = arch;
  state_->pool = pool_create();
  pool_setdisttype(state_->pool, DISTTYPE_DEB);
  pool_setarch(state_->pool, arch.c_str());
}

Resolver::~Resolver() = default;

bool Resolver::has_package(std::string_view name) const {
  Pool* pool = state_->pool;
  Id id = pool_strn2id(pool, name.data(), static_cast<unsigned>(name.size()), 0);
  if (id == 0) return false;
  for (Id p = 2; p < pool->nsolvables; ++p) {
    Solvable* s = pool_id2solvable(pool, p);
    if (s->repo && s->name == id) return true;
  }
  return false;
}

bool Resolver::has_debian_version(std::string_view name, std::string_view version) const {
  Pool* pool = state_->pool;
  Id id = pool_strn2id(pool, name.data(), static_cast<unsigned>(name.size()), 0);
  Id evr = pool_strn2id(pool, version.data(), static_cast<unsigned>(version.size()), 0);
  if (id == 0 || evr == 0) return false;
  for (Id p = 2; p < pool->nsolvables; ++p) {
    Solvable* s = pool_id2solvable(pool, p);
    if (s->repo && s->repo->repoid != state_->registry_repo && s->name == id && s->evr == evr) return true;
  }
  return false;
}

std::vector<std::string> Resolver::essential_names() const {
  Pool* pool = state_->pool;
  Keys keys(pool);
  std::set<std::string> names;
  for (Id p = 2; p < pool->nsolvables; ++p) {
    Solvable* s = pool_id2solvable(pool, p);
    if (!s->repo || !pool_installable(pool, s)) continue;
    if (solvable_lookup_num(s, keys.essential, 0) == 1) names.insert(pool_id2str(pool, s->name));
  }
  return {names.begin(), names.end()};
}

std::size_t Resolver::package_count() const {
  return static_cast<std::size_t>(state_->pool->nsolvables > 2 ? state_->pool->nsolvables - 2 : 0);
}

void Resolver::prepare_index(const LoadedIndex& index, const RepositoryCache& cache) {
  std::filesystem::path solv = cache.solv_path(index.sha256);
  std::error_code ec;
  if (!std::filesystem::exists(solv, ec)) {
    // Parse with libsolvext's Debian reader into a scratch pool, add sheaf's
    // fields, and write the .solv file. The real pool then always loads the
    // .solv form, so a fresh parse and a cached one give the same input.
    std::string text;
    std::unordered_map<std::string, ExtraFields> extra;
    {
      std::string decompressed = index.text ? std::string() : decompress_index(index.file, kMaxIndexText);
      std::string_view full = index.text ? std::string_view(*index.text) : std::string_view(decompressed);
      text.reserve(full.size() / 2);
      extra = scan_extra_fields(full, text);
    }
    Pool* scratch = pool_create();
    std::unique_ptr<Pool, decltype(&pool_free)> scratch_owner(scratch, pool_free);
    pool_setdisttype(scratch, DISTTYPE_DEB);
    Repo* repo = repo_create(scratch, index.path.c_str());
    File in(fmemopen(text.data(), text.size(), "r"));
    if (!in) fail_errno(errno, "fmemopen");
    __fsetlocking(in.get(), FSETLOCKING_BYCALLER);
    if (add_debpackages(repo, in.get(), REPO_NO_INTERNALIZE) != 0) {
      fail("cannot parse the index {}: {}", index.path, pool_errstr(scratch));
    }
    Repodata* data = repo_last_repodata(repo);
    Keys keys(scratch);
    Id p;
    Solvable* s;
    FOR_REPO_SOLVABLES(repo, p, s) {
      std::string key = fmt::format("{} {} {}", pool_id2str(scratch, s->name), pool_id2str(scratch, s->evr),
                                    pool_id2str(scratch, s->arch));
      auto it = extra.find(key);
      if (it == extra.end()) continue;
      const ExtraFields& f = it->second;
      repodata_set_num(data, p, keys.size, f.size);
      set_text(scratch, data, p, keys.source_version, f.source_version);
      set_text(scratch, data, p, keys.pre_depends, f.pre_depends);
      set_text(scratch, data, p, keys.depends, f.depends);
      set_text(scratch, data, p, keys.provides, f.provides);
      set_text(scratch, data, p, keys.filename, f.filename);
      set_text(scratch, data, p, keys.sha256, f.sha256);
      if (f.essential) repodata_set_num(data, p, keys.essential, 1);
    }
    repodata_internalize(data);
    std::filesystem::path tmp = cache.temp_path("solv");
    {
      File out(std::fopen(tmp.c_str(), "we"));
      if (!out) fail_errno(errno, "cannot write " + quote(tmp.string()));
      std::setvbuf(out.get(), nullptr, _IOFBF, 1 << 20);
      // libsolv writes byte by byte with putc; this thread alone uses the
      // stream, so stdio's per-call locking is pure cost.
      __fsetlocking(out.get(), FSETLOCKING_BYCALLER);
      if (repo_write(repo, out.get()) != 0)
        fail("cannot write the parsed index {}: {}", index.path, pool_errstr(scratch));
      if (std::fflush(out.get()) != 0) fail_errno(errno, "cannot write " + quote(tmp.string()));
    }
    std::filesystem::rename(tmp, solv);
  }
}

void Resolver::add_index(const LoadedIndex& index, std::size_t suite, const RepositoryCache& cache) {
  Pool* pool = state_->pool;
  prepare_index(index, cache);
  std::filesystem::path solv = cache.solv_path(index.sha256);
  std::error_code ec;
  Repo* repo = repo_create(pool, fmt::format("{}#{}", suite, index.path).c_str());
  File in(std::fopen(solv.c_str(), "re"));
  if (!in) fail_errno(errno, "cannot read " + quote(solv.string()));
  std::setvbuf(in.get(), nullptr, _IOFBF, 1 << 20);
  __fsetlocking(in.get(), FSETLOCKING_BYCALLER);  // libsolv reads byte by byte
  if (repo_add_solv(repo, in.get(), 0) != 0) {
    // A damaged cache entry: drop it so the next run parses the index again.
    std::filesystem::remove(solv, ec);
    fail("the cached parsed index {} is damaged ({}); it was removed, run the command again", quote(solv.string()),
         pool_errstr(pool));
  }
  state_->suite_of_repo[repo->repoid] = suite;
}

void Resolver::add_registry_packages(const std::vector<RegistryCandidate>& packages) {
  if (packages.empty()) return;
  if (state_->registry_repo) fail("internal: registry packages added twice");
  Pool* pool = state_->pool;
  // As an index paragraph each, read by the same reader as Debian's indexes,
  // so that relations mean exactly the same.
  std::string text;
  for (const auto& p : packages) {
    text += fmt::format("Package: {}\nVersion: {}\nArchitecture: {}\n", p.name, p.version, p.arch);
    auto field = [&](std::string_view key, const std::string& value) {
      if (!value.empty()) text += fmt::format("{}: {}\n", key, value);
    };
    field("Pre-Depends", p.pre_depends);
    field("Depends", p.depends);
    field("Provides", p.provides);
    field("Conflicts", p.conflicts);
    field("Breaks", p.breaks);
    text += "\n";
  }
  Repo* repo = repo_create(pool, "registry");
  File in(fmemopen(text.data(), text.size(), "r"));
  if (!in) fail_errno(errno, "fmemopen");
  if (add_debpackages(repo, in.get(), 0) != 0) fail("cannot read the registry packages: {}", pool_errstr(pool));
  state_->registry_repo = repo->repoid;
  for (std::size_t i = 0; i < packages.size(); ++i) {
    state_->registry_of[pool_str2id(pool, packages[i].name.c_str(), 1)] = i;
  }
}

namespace {

std::string dep_text(Pool* pool, Id dep) {
  if (!is_reldep(dep)) return pool_id2str(pool, dep);
  Reldep* rd = reldep_of(pool, dep);
  if (rd->flags == REL_OR) return dep_text(pool, rd->name) + " | " + dep_text(pool, rd->evr);
  if (rd->flags == REL_MULTIARCH) return dep_text(pool, rd->name) + ":any";
  const char* op = nullptr;
  switch (rd->flags) {
    case REL_GT:
      op = ">>";
      break;
    case REL_GT | REL_EQ:
      op = ">=";
      break;
    case REL_EQ:
      op = "=";
      break;
    case REL_LT | REL_EQ:
      op = "<=";
      break;
    case REL_LT:
      op = "<<";
      break;
    default:
      return pool_dep2str(pool, dep);
  }
  return fmt::format("{} ({} {})", dep_text(pool, rd->name), op, pool_id2str(pool, rd->evr));
}

// Every package name a dependency mentions (each alternative's).
void dep_names(Pool* pool, Id dep, std::vector<Id>& out) {
  if (!is_reldep(dep)) {
    out.push_back(dep);
    return;
  }
  Reldep* rd = reldep_of(pool, dep);
  if (rd->flags == REL_OR) {
    dep_names(pool, rd->name, out);
    dep_names(pool, rd->evr, out);
  } else {
    dep_names(pool, rd->name, out);
  }
}

class Explainer {
 public:
  Explainer(Pool* pool, const ResolveRequest& request) : pool_(pool), request_(request) {}

  std::string solvable_text(Id p) const {
    Solvable* s = pool_id2solvable(pool_, p);
    std::string name = pool_id2str(pool_, s->name);
    if (versions_of(s->name).size() <= 1) return name;
    return fmt::format("{} {}", name, pool_id2str(pool_, s->evr));
  }

  bool is_excluded(std::string_view name) const {
    return std::binary_search(request_.exclude.begin(), request_.exclude.end(), std::string(name));
  }

  // The versions of real packages named `name` that could be chosen.
  std::vector<std::string> versions_of(Id name) const {
    std::set<std::string> versions;
    for (Id p = 2; p < pool_->nsolvables; ++p) {
      Solvable* s = pool_id2solvable(pool_, p);
      if (s->repo && s->name == name && pool_installable(pool_, s)) versions.insert(pool_id2str(pool_, s->evr));
    }
    std::vector<std::string> sorted(versions.begin(), versions.end());
    std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
      auto va = deb::Version::try_parse(a);
      auto vb = deb::Version::try_parse(b);
      if (va && vb) return *va < *vb;
      return a < b;
    });
    return sorted;
  }

  // Why nothing satisfies `dep`.
  std::string unavailable(Id dep) const {
    std::vector<Id> names;
    dep_names(pool_, dep, names);
    std::vector<std::string> parts;
    for (Id name : names) {
      std::string text = pool_id2str(pool_, name);
      auto versions = versions_of(name);
      if (is_excluded(text)) {
        parts.push_back(fmt::format("{} is excluded by [packages] exclude", text));
      } else if (versions.empty()) {
        // A virtual name: say whether exclusion removed its providers.
        std::set<std::string> providers;
        Pool* pool = pool_;  // FOR_PROVIDES expects this name
        Id p, pp;
        FOR_PROVIDES(p, pp, name) providers.insert(pool_id2str(pool, pool_id2solvable(pool, p)->name));
        bool all_excluded = !providers.empty() && std::all_of(providers.begin(), providers.end(),
                                                              [&](const std::string& n) { return is_excluded(n); });
        if (all_excluded) {
          parts.push_back(fmt::format("it is provided only by excluded packages: {}", fmt::join(providers, ", ")));
        } else {
          parts.push_back(fmt::format("no package {} is available", text));
        }
      } else {
        parts.push_back(fmt::format("only {} {} {} available", text, fmt::join(versions, ", "),
                                    versions.size() == 1 ? "is" : "are"));
      }
    }
    return fmt::format("{}", fmt::join(parts, ", and "));
  }

  std::string describe(Solver* solv, Id rule) const {
    Id source = 0, target = 0, dep = 0;
    SolverRuleinfo type = solver_ruleinfo(solv, rule, &source, &target, &dep);
    switch (type) {
      case SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP:
        return fmt::format("{} depends on {} but {}", solvable_text(source), dep_text(pool_, dep), unavailable(dep));
      case SOLVER_RULE_PKG_REQUIRES:
        return fmt::format("{} depends on {}", solvable_text(source), dep_text(pool_, dep));
      case SOLVER_RULE_PKG_CONFLICTS:
        return fmt::format("{} conflicts with {} (Conflicts or Breaks: {})", solvable_text(source),
                           solvable_text(target), dep_text(pool_, dep));
      case SOLVER_RULE_PKG_SELF_CONFLICT:
        return fmt::format("{} conflicts with itself ({})", solvable_text(source), dep_text(pool_, dep));
      case SOLVER_RULE_PKG_SAME_NAME:
        return fmt::format("{} and {} are two versions of one package; only one can be in the image",
                           solvable_text(source), solvable_text(target));
      case SOLVER_RULE_PKG_OBSOLETES:
      case SOLVER_RULE_PKG_IMPLICIT_OBSOLETES:
      case SOLVER_RULE_PKG_INSTALLED_OBSOLETES:
        return fmt::format("{} replaces {}", solvable_text(source), solvable_text(target));
      case SOLVER_RULE_PKG_NOT_INSTALLABLE: {
        Solvable* s = pool_id2solvable(pool_, source);
        if (is_excluded(pool_id2str(pool_, s->name))) {
          return fmt::format("{} is excluded by [packages] exclude", solvable_text(source));
        }
        return fmt::format("{} cannot be installed on {}", solvable_text(source), pool_id2str(pool_, s->arch));
      }
      case SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP:
      case SOLVER_RULE_JOB_UNKNOWN_PACKAGE:
        return fmt::format("the spec asks for {} but {}", dep_text(pool_, dep), unavailable(dep));
      case SOLVER_RULE_JOB:
        return "";  // the request itself; the other reasons say what is wrong with it
      default:
        return "";
    }
  }

 private:
  Pool* pool_;
  const ResolveRequest& request_;
};

// Takes the excluded names out of consideration for as long as it lives.
class ExcludedNames {
 public:
  // `shadowed`: names a registry package (of the repo `registry_repo`)
  // takes; other packages of those names leave consideration too.
  ExcludedNames(Pool* pool, const std::vector<std::string>& exclude, const std::map<Id, std::size_t>& shadowed,
                Id registry_repo)
      : pool_(pool) {
    map_init(&considered_, pool->nsolvables);
    map_setall(&considered_);
    std::set<Id> names;
    for (const auto& name : exclude) {
      if (Id id = pool_str2id(pool, name.c_str(), 0)) names.insert(id);
    }
    for (Id p = 2; p < pool->nsolvables; ++p) {
      Solvable* s = pool_id2solvable(pool, p);
      if (names.count(s->name)) map_clear(&considered_, p);
      if (shadowed.count(s->name) && s->repo && s->repo->repoid != registry_repo) map_clear(&considered_, p);
    }
    pool->considered = &considered_;
  }
  ~ExcludedNames() {
    pool_->considered = nullptr;
    map_free(&considered_);
  }
  ExcludedNames(const ExcludedNames&) = delete;
  ExcludedNames& operator=(const ExcludedNames&) = delete;

 private:
  Pool* pool_;
  Map considered_{};
};

struct Jobs {
  Queue queue;
  Jobs() { queue_init(&queue); }
  ~Jobs() { queue_free(&queue); }
  Jobs(const Jobs&) = delete;
  Jobs& operator=(const Jobs&) = delete;
};

// The job for one [packages] include: the package by name, a pinned
// version of it, or a virtual package that exactly one package provides.
// Returns a problem instead when there is no such package.
std::optional<std::string> add_install_job(Pool* pool, const spec::PackagePin& pin, Explainer& explain,
                                           const std::function<const std::vector<std::string>&()>& all_names,
                                           Queue& jobs) {
  Id name = pool_str2id(pool, pin.name.c_str(), 0);
  std::vector<Id> real;
  for (Id p = 2; name && p < pool->nsolvables; ++p) {
    Solvable* s = pool_id2solvable(pool, p);
    if (s->name == name && pool_installable(pool, s)) real.push_back(p);
  }
  if (real.empty()) {
    std::set<std::string> providers;
    if (name) {
      Id p, pp;
      FOR_PROVIDES(p, pp, name) {
        Solvable* s = pool_id2solvable(pool, p);
        if (pool_installable(pool, s)) providers.insert(pool_id2str(pool, s->name));
      }
    }
    if (pin.version || providers.empty()) {
      std::string problem = fmt::format("no package {} is available", quote(pin.name));
      if (auto near = closest_match(pin.name, all_names())) problem += fmt::format("; did you mean {}?", quote(*near));
      return problem;
    }
    if (providers.size() > 1) {
      return fmt::format("{} is a virtual package provided by {}; include one of them", quote(pin.name),
                         fmt::join(providers, ", "));
    }
    queue_push2(&jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, name);
    return std::nullopt;
  }
  if (!pin.version) {
    queue_push2(&jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, name);
    return std::nullopt;
  }
  Queue matches;
  queue_init(&matches);
  for (Id p : real) {
    if (pool_evrcmp_str(pool, pool_id2str(pool, pool_id2solvable(pool, p)->evr), pin.version->c_str(),
                        EVRCMP_COMPARE) == 0) {
      queue_push(&matches, p);
    }
  }
  std::optional<std::string> problem;
  if (matches.count == 0) {
    auto versions = explain.versions_of(name);
    problem = fmt::format("{} is pinned to {}, but only {} {} available", quote(pin.name), *pin.version,
                          fmt::join(versions, ", "), versions.size() == 1 ? "is" : "are");
  } else {
    queue_push2(&jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF, pool_queuetowhatprovides(pool, &matches));
  }
  queue_free(&matches);
  return problem;
}

// Favour the versions an earlier lock chose, where they still fit.
void add_favor_jobs(Pool* pool, const std::map<std::string, std::string>& favor, Queue& jobs) {
  for (const auto& [name, version] : favor) {
    Id id = pool_str2id(pool, name.c_str(), 0);
    for (Id p = 2; id && p < pool->nsolvables; ++p) {
      Solvable* s = pool_id2solvable(pool, p);
      if (s->name == id && version == pool_id2str(pool, s->evr)) queue_push2(&jobs, SOLVER_FAVOR | SOLVER_SOLVABLE, p);
    }
  }
}

// Why the solver found no answer: every problem's rules, described once,
// the concrete causes ("but only ... is available") first, then the chain
// that led there.
[[noreturn]] void fail_unsolvable(Solver* solver, Explainer& explain) {
  std::vector<std::string> reasons;
  std::set<std::string> seen;
  unsigned count = solver_problem_count(solver);
  for (Id problem = 1; problem <= static_cast<Id>(count); ++problem) {
    Queue rules;
    queue_init(&rules);
    solver_findallproblemrules(solver, problem, &rules);
    for (int i = 0; i < rules.count; ++i) {
      std::string reason = explain.describe(solver, rules.elements[i]);
      if (!reason.empty() && seen.insert(reason).second) reasons.push_back(reason);
    }
    queue_free(&rules);
  }
  std::stable_partition(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find(" but ") != std::string::npos || r.find("conflicts") != std::string::npos ||
           r.find("excluded") != std::string::npos || r.find("two versions") != std::string::npos;
  });
  if (reasons.empty()) reasons.push_back("the solver found no combination that satisfies every dependency");
  throw ResolveError(fmt::format("cannot resolve the spec's packages:\n  - {}", fmt::join(reasons, "\n  - ")));
}

// One package the answer installs, as the lock records it.
ResolvedPackage resolved_package(Pool* pool, Solvable* s, const Keys& keys,
                                 const std::map<Id, std::size_t>& suite_of_repo, Id registry_repo,
                                 const std::map<Id, std::size_t>& registry_of) {
  ResolvedPackage r;
  r.name = pool_id2str(pool, s->name);
  r.version = pool_id2str(pool, s->evr);
  r.arch = pool_id2str(pool, s->arch);
  if (registry_repo && s->repo->repoid == registry_repo) {
    r.registry = registry_of.at(s->name);
    return r;
  }
  const char* source = solvable_lookup_sourcepkg(s);
  r.source = source ? source : r.name;
  r.source_version = lookup(s, keys.source_version);
  auto digest = Digest::parse_hex(lookup(s, keys.sha256));
  r.filename = lookup(s, keys.filename);
  if (!digest || r.filename.empty()) {
    fail("the index entry for {} {} has no SHA256 or Filename; sheaf cannot fetch it safely", r.name, r.version);
  }
  r.sha256 = *digest;
  r.size = solvable_lookup_num(s, keys.size, 0);
  r.suite = suite_of_repo.at(s->repo->repoid);
  r.pre_depends = lookup(s, keys.pre_depends);
  r.depends = lookup(s, keys.depends);
  r.provides = lookup(s, keys.provides);
  return r;
}

}  // namespace

std::vector<ResolvedPackage> Resolver::resolve(const ResolveRequest& request) {
  Pool* pool = state_->pool;
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  // They leave consideration entirely, as do Debian packages of a registry package's name.
  ExcludedNames excluded(pool, request.exclude, state_->registry_of, state_->registry_repo);
  Explainer explain(pool, request);

  // The jobs: what [packages] includes, then the versions to favour.
  std::vector<std::string> all_names;
  auto names_for_suggestions = [&]() -> const std::vector<std::string>& {
    if (all_names.empty()) {
      std::set<std::string> unique;
      for (Id p = 2; p < pool->nsolvables; ++p) unique.insert(pool_id2str(pool, pool_id2solvable(pool, p)->name));
      all_names.assign(unique.begin(), unique.end());
    }
    return all_names;
  };
  Jobs jobs;
  std::vector<std::string> problems;
  for (const auto& pin : request.include) {
    if (pin.from_registry()) continue;  // installed below, by solvable
    if (auto problem = add_install_job(pool, pin, explain, names_for_suggestions, jobs.queue)) {
      problems.push_back(*problem);
    }
  }
  if (state_->registry_repo) {
    Repo* registry = pool_id2repo(pool, state_->registry_repo);
    Id p;
    Solvable* s;
    FOR_REPO_SOLVABLES(registry, p, s) {
      if (!pool_installable(pool, s)) {
        problems.push_back(fmt::format("the registry package {} {} is for {}, not {}", pool_id2str(pool, s->name),
                                       pool_id2str(pool, s->evr), pool_id2str(pool, s->arch), state_->arch));
      }
      queue_push2(&jobs.queue, SOLVER_INSTALL | SOLVER_SOLVABLE, p);
    }
  }
  if (!problems.empty()) {
    throw ResolveError(fmt::format("cannot resolve the spec's packages:\n  - {}", fmt::join(problems, "\n  - ")));
  }
  add_favor_jobs(pool, request.favor, jobs.queue);

  // The answer.
  Solver* solver = solver_create(pool);
  struct SolverFree {
    Solver* s;
    ~SolverFree() { solver_free(s); }
  } solver_free_guard{solver};
  solver_set_flag(solver, SOLVER_FLAG_IGNORE_RECOMMENDED, request.recommends ? 0 : 1);
  if (solver_solve(solver, &jobs.queue) != 0) fail_unsolvable(solver, explain);

  // What it installs, by name.
  Transaction* transaction = solver_create_transaction(solver);
  struct TransactionFree {
    Transaction* t;
    ~TransactionFree() { transaction_free(t); }
  } transaction_free_guard{transaction};
  Keys keys(pool);
  std::vector<ResolvedPackage> out;
  for (int i = 0; i < transaction->steps.count; ++i) {
    Id p = transaction->steps.elements[i];
    if (transaction_type(transaction, p, SOLVER_TRANSACTION_SHOW_ACTIVE) != SOLVER_TRANSACTION_INSTALL) continue;
    out.push_back(resolved_package(pool, pool_id2solvable(pool, p), keys, state_->suite_of_repo, state_->registry_repo,
                                   state_->registry_of));
  }
  std::sort(out.begin(), out.end(), [](const ResolvedPackage& a, const ResolvedPackage& b) {
    return std::tie(a.name, a.arch) < std::tie(b.name, b.arch);
  });
  return out;
}

}  // namespace sheaf::repo
