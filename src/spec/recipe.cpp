#include "spec/recipe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/digest.hpp"
#include "base/error.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"
#include "spec/image_sections.hpp"
#include "spec/toml_reader.hpp"

namespace sheaf::spec {

namespace {

// A relation field: a list of relations, each checked as Debian parses it.
std::vector<std::string> read_relations(const TomlReader& reader, const toml::node& node, std::string_view name,
                                        deb::RelationKind kind) {
  return reader.as_strings(node, name, [&](std::string& value, const toml::source_region& where) {
    try {
      deb::Relations parsed = deb::Relations::parse(value, kind, name);
      if (parsed.groups().size() != 1) {
        reader.fail_at(
            where, fmt::format("each entry of {} is one relation; write {} as separate entries", name, quote(value)));
      }
      value = parsed.str();
    } catch (const ParseError& e) {
      reader.fail_at(where, fmt::format("{} is not a Debian relation: {}", quote(value), e.what()));
    }
  });
}

RecipePackage read_package(const TomlReader& reader, const toml::table& table) {
  reader.check_keys(table, "package",
                    {"name", "version", "license", "homepage", "description", "shlibdeps", "depends", "pre_depends",
                     "provides", "conflicts", "breaks"});
  RecipePackage package;
  package.position = position_of(table.source());
  const auto& name_node = reader.need(table, "name", "[package]");
  package.name = reader.as_string(name_node, "name");
  if (!deb::is_valid_package_name(package.name)) {
    reader.fail_at(
        name_node.source(),
        fmt::format("{} is not a valid Debian package name (lowercase a-z, 0-9, '+', '-', '.')", quote(package.name)));
  }
  const auto& version_node = reader.need(table, "version", "[package]");
  package.version = reader.as_string(version_node, "version");
  if (!deb::Version::try_parse(package.version)) {
    reader.fail_at(version_node.source(), fmt::format("{} is not a valid Debian version", quote(package.version)));
  }
  if (const auto* node = table.get("license")) package.license = reader.as_string(*node, "license");
  if (const auto* node = table.get("homepage")) package.homepage = reader.as_string(*node, "homepage");
  if (const auto* node = table.get("shlibdeps")) package.shlibdeps = reader.as_bool(*node, "shlibdeps");
  if (const auto* node = table.get("description")) package.description = reader.as_string(*node, "description");
  using deb::RelationKind;
  if (const auto* n = table.get("depends"))
    package.depends = read_relations(reader, *n, "depends", RelationKind::dependency);
  if (const auto* n = table.get("pre_depends"))
    package.pre_depends = read_relations(reader, *n, "pre_depends", RelationKind::dependency);
  if (const auto* n = table.get("provides"))
    package.provides = read_relations(reader, *n, "provides", RelationKind::provides);
  if (const auto* n = table.get("conflicts"))
    package.conflicts = read_relations(reader, *n, "conflicts", RelationKind::conflict);
  if (const auto* n = table.get("breaks"))
    package.breaks = read_relations(reader, *n, "breaks", RelationKind::conflict);
  return package;
}

std::filesystem::path beside(const std::filesystem::path& recipe, const std::string& written) {
  std::filesystem::path p(written);
  return (p.is_absolute() ? p : recipe.parent_path() / p).lexically_normal();
}

RecipeEnvironment read_environment(const TomlReader& reader, const toml::table& table,
                                   const std::filesystem::path& path) {
  reader.check_keys(table, "environment", {"include", "exclude", "essential", "build_essential", "recipes"});
  RecipeEnvironment env;
  if (const auto* node = table.get("include")) {
    std::map<std::string, PackagePin> by_name;
    reader.as_strings(*node, "include", [&](const std::string& v, const toml::source_region& r) {
      PackagePin pin = detail::parse_pin(reader, v, r);
      if (pin.from_registry()) {
        reader.fail_at(r, fmt::format("{}: a build environment takes Debian packages and recipe outputs "
                                      "(recipes = [...]), not registry packages",
                                      quote(v)));
      }
      auto [it, fresh] = by_name.emplace(pin.name, pin);
      if (!fresh && it->second.version != pin.version) {
        reader.fail_at(r, fmt::format("{} conflicts with {} at line {}: a package can be pinned to one version only",
                                      quote(pin.str()), quote(it->second.str()), it->second.position.line));
      }
      if (fresh) env.include.push_back(std::move(pin));
    });
  }
  if (const auto* node = table.get("exclude")) {
    auto names = reader.as_strings(*node, "exclude", [&](const std::string& v, const toml::source_region& r) {
      if (!deb::is_valid_package_name(v))
        reader.fail_at(r, fmt::format("{} is not a valid Debian package name", quote(v)));
      for (const auto& pin : env.include) {
        if (pin.name == v)
          reader.fail_at(r, fmt::format("{} is both included (line {}) and excluded", quote(v), pin.position.line));
      }
    });
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    env.exclude = std::move(names);
  }
  if (const auto* node = table.get("essential")) env.essential = reader.as_bool(*node, "essential");
  if (const auto* node = table.get("build_essential")) env.build_essential = reader.as_bool(*node, "build_essential");
  if (const auto* node = table.get("recipes")) {
    std::set<std::filesystem::path> seen;
    reader.as_strings(*node, "recipes", [&](const std::string& v, const toml::source_region& r) {
      if (v.empty()) reader.fail_at(r, "each entry of recipes must name a recipe file");
      std::filesystem::path p = beside(path, v);
      if (p == std::filesystem::absolute(path).lexically_normal())
        reader.fail_at(r, "a recipe cannot build in an environment holding its own output");
      if (!seen.insert(p).second) reader.fail_at(r, fmt::format("recipes lists {} twice", quote(v)));
      env.recipes.push_back(p);
      env.recipe_positions.push_back(position_of(r));
    });
  }
  return env;
}

bool is_archive_name(const std::string& name) {
  for (const char* suffix :
       {".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tar.lz"}) {
    if (name.ends_with(suffix)) return true;
  }
  return false;
}

// A path relative to the build's source directory: no leading '/', no
// empty, "." or ".." component; "" or "." for the directory itself.
std::string relative_dest(const TomlReader& reader, const toml::node& node) {
  std::string dest = reader.as_string(node, "dest");
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  if (dest == "." || dest.empty()) return "";
  bool ok = !dest.starts_with('/') && dest.find('\0') == std::string::npos;
  for (std::size_t at = 0; ok && at < dest.size();) {
    std::size_t end = dest.find('/', at);
    if (end == std::string::npos) end = dest.size();
    std::string_view part(dest.data() + at, end - at);
    ok = !part.empty() && part != "." && part != "..";
    at = end + 1;
  }
  if (!ok) {
    reader.fail_at(
        node.source(),
        fmt::format("dest {} must be a path inside the source directory, such as \"vendor/zlib\"", quote(dest)));
  }
  return dest;
}

std::string digest_value(const TomlReader& reader, const toml::node& node, std::string_view key) {
  std::string text = reader.as_string(node, key);
  std::string hex = text.starts_with("sha256:") ? text.substr(7) : text;
  auto digest = Digest::parse("sha256:" + hex);
  if (!digest) {
    reader.fail_at(node.source(),
                   fmt::format("{} {} must be 64 lowercase hex digits (\"sha256:\" may lead)", key, quote(text)));
  }
  return digest->str();
}

// A [[sources]] entry that names a Debian source package: debian = "NAME",
// version = "VERSION", and optionally the .dsc's sha256 and a dest.
RecipeSource read_debian_source_package(const TomlReader& reader, const toml::table& table, const toml::node& node) {
  RecipeSource source;
  source.kind = RecipeSource::Kind::debian;
  source.position = position_of(table.source());
  source.package = reader.as_string(node, "debian");
  if (!deb::is_valid_package_name(source.package)) {
    reader.fail_at(node.source(), fmt::format("debian {} is not a valid source package name", quote(source.package)));
  }
  for (std::string_view key : {"path", "fileset", "unpack", "strip_components", "executable"}) {
    if (const auto* n = table.get(key)) {
      reader.fail_at(n->source(),
                     fmt::format("{} does not apply to a Debian source package (debian = \"{}\"): it is fetched "
                                 "from the suites and unpacked as dpkg-source -x does",
                                 key, source.package));
    }
  }
  const auto& version =
      reader.need(table, "version", fmt::format("the Debian source package {}", quote(source.package)));
  source.version = reader.as_string(version, "version");
  if (!deb::Version::try_parse(source.version)) {
    reader.fail_at(version.source(), fmt::format("version {} is not a Debian version", quote(source.version)));
  }
  if (const auto* n = table.get("sha256")) source.digest = digest_value(reader, *n, "sha256");
  if (const auto* n = table.get("dest")) source.dest = relative_dest(reader, *n);
  source.path_as_written = fmt::format("debian:{}={}", source.package, source.version);
  return source;
}

std::vector<RecipeSource> read_sources(const TomlReader& reader, const toml::node& node,
                                       const std::filesystem::path& path) {
  std::vector<RecipeSource> sources;
  std::map<std::string, unsigned> dests;
  for (const auto& element : reader.as_tables(node, "sources")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[sources]",
                      {"path", "debian", "version", "sha256", "fileset", "strip_components", "dest", "unpack", "executable"});
    RecipeSource source;
    source.position = position_of(table.source());
    if (const auto* debian = table.get("debian")) {
      sources.push_back(read_debian_source_package(reader, table, *debian));
      continue;
    }
    if (const auto* n = table.get("version")) {
      reader.fail_at(n->source(), "version applies to a Debian source package (debian = \"NAME\")");
    }
    const auto& path_node = reader.need(table, "path", "a [[sources]] entry (or debian = \"NAME\")");
    source.path_as_written = reader.as_string(path_node, "path");
    if (source.path_as_written.empty()) reader.fail_at(path_node.source(), "path must name a file or directory");
    source.path = beside(path, source.path_as_written);
    const auto* sha256 = table.get("sha256");
    const auto* fileset = table.get("fileset");
    if (sha256 && fileset) {
      reader.fail_at(fileset->source(), "a source is pinned by sha256 (a file) or by fileset (a directory), not both");
    }
    if (!sha256 && !fileset) {
      reader.fail_at(table.source(),
                     fmt::format("the source {} is not pinned: give sha256 = \"...\" for a file, or fileset = "
                                 "\"sha256:...\" (its FileSet id, `sheaf recipe hash PATH`) for a directory",
                                 quote(source.path_as_written)));
    }
    if (fileset) {
      source.kind = RecipeSource::Kind::directory;
      source.digest = digest_value(reader, *fileset, "fileset");
    } else {
      source.digest = digest_value(reader, *sha256, "sha256");
      bool unpack = is_archive_name(source.path.filename().string());
      if (const auto* n = table.get("unpack")) unpack = reader.as_bool(*n, "unpack");
      source.kind = unpack ? RecipeSource::Kind::archive : RecipeSource::Kind::file;
    }
    if (fileset && table.get("unpack")) reader.fail_at(table.get("unpack")->source(), "unpack applies to files only");
    if (const auto* n = table.get("strip_components")) {
      if (source.kind != RecipeSource::Kind::archive) {
        reader.fail_at(n->source(), "strip_components applies to archives only (a .tar, .tar.gz, .tar.xz, ... file)");
      }
      source.strip_components = static_cast<unsigned>(reader.as_uint(*n, "strip_components", 16));
    }
    if (const auto* n = table.get("executable")) {
      if (source.kind != RecipeSource::Kind::file) {
        reader.fail_at(n->source(), "executable applies to plain files only (unpack = false, or not an archive)");
      }
      source.executable = reader.as_bool(*n, "executable");
    }
    if (const auto* n = table.get("dest")) source.dest = relative_dest(reader, *n);
    if (source.kind == RecipeSource::Kind::file && source.dest.empty()) {
      source.dest = source.path.filename().string();  // a file keeps its name
    }
    std::string key = source.dest.empty() ? "." : source.dest;
    if (source.kind == RecipeSource::Kind::file) {
      if (auto [it, fresh] = dests.emplace(key, source.position.line); !fresh) {
        reader.fail_at(path_node.source(), fmt::format("{} is already written by the source at line {}; give dest",
                                                       quote(key), it->second));
      }
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

RecipeBuild read_build(const TomlReader& reader, const toml::table& table) {
  reader.check_keys(table, "build", {"steps", "env", "timeout", "source_date_epoch"});
  RecipeBuild build;
  build.position = position_of(table.source());
  const auto& steps = reader.need(table, "steps", "[build]");
  build.steps = reader.as_strings(steps, "steps", [&](const std::string& v, const toml::source_region& r) {
    if (v.find_first_not_of(" \t\n") == std::string::npos) reader.fail_at(r, "a step must not be empty");
  });
  if (build.steps.empty()) reader.fail_at(steps.source(), "steps must list at least one command");
  if (const auto* node = table.get("env")) {
    const auto& env = reader.as_table(*node, "[build] env");
    for (auto&& [key, value] : env) {
      std::string k(key.str());
      bool ok = !k.empty() && !(k[0] >= '0' && k[0] <= '9') && std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!ok) reader.fail_at(key.source(), fmt::format("{} is not a valid environment variable name", quote(k)));
      static const std::set<std::string> fixed{"PATH",    "HOME",    "TZ", "LANG", "SOURCE_DATE_EPOCH",
                                               "DESTDIR", "HOSTNAME"};
      if (fixed.count(k)) {
        reader.fail_at(key.source(),
                       fmt::format("{} is fixed by the sandbox and cannot be set (docs/formats/recipe.md)", k));
      }
      build.env.emplace_back(k, reader.as_string(value, fmt::format("env.{}", k)));
    }
    std::sort(build.env.begin(), build.env.end());
  }
  if (const auto* node = table.get("timeout")) {
    build.timeout = reader.as_uint(*node, "timeout", 7 * 24 * 3600);
    if (build.timeout == 0) reader.fail_at(node->source(), "timeout must be at least 1 second");
  }
  if (const auto* node = table.get("source_date_epoch")) {
    build.source_date_epoch = static_cast<std::int64_t>(reader.as_uint(*node, "source_date_epoch", 253402300799));
  }
  return build;
}

std::vector<RecipeOwner> read_owners(const TomlReader& reader, const toml::node& node) {
  std::vector<RecipeOwner> owners;
  for (const auto& element : reader.as_tables(node, "owners")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[owners]", {"path", "uid", "gid"});
    RecipeOwner owner;
    owner.position = position_of(table.source());
    const auto& path_node = reader.need(table, "path", "an [[owners]] entry");
    owner.glob = detail::path_glob(reader, reader.as_string(path_node, "path"), path_node.source(), "path");
    owner.uid =
        static_cast<std::uint32_t>(reader.as_uint(reader.need(table, "uid", "an [[owners]] entry"), "uid", 0xfffffffe));
    owner.gid = owner.uid;
    if (const auto* gid = table.get("gid"))
      owner.gid = static_cast<std::uint32_t>(reader.as_uint(*gid, "gid", 0xfffffffe));
    owners.push_back(std::move(owner));
  }
  return owners;
}

}  // namespace

std::string Recipe::where(const Position& position) const {
  if (position.line == 0) return path.string();
  return fmt::format("{}:{}:{}", path.string(), position.line, position.column);
}

Recipe Recipe::parse(std::string_view text, const std::filesystem::path& path) {
  TomlReader reader(path);
  toml::table root = parse_toml(text, path);
  Recipe recipe;
  recipe.path = path;
  reader.check_keys(root, "", {"package", "source", "environment", "sources", "build", "owners"});
  recipe.package = read_package(reader, reader.as_table(reader.need(root, "package", "the recipe"), "[package]"));
  if (const auto* node = root.get("source")) {
    const auto& sources = reader.as_table(*node, "[source]");
    reader.check_keys(sources, "source", {"debian"});
    if (const auto* debian = sources.get("debian")) {
      recipe.debian = detail::read_debian_source(reader, reader.as_table(*debian, "[source.debian]"), path);
      if (recipe.debian->index) {
        reader.fail_at(reader.as_table(*debian, "[source.debian]").get("arch")->source(),
                       "a recipe builds for one architecture: arch must be a string, such as \"amd64\"");
      }
    }
  }
  if (const auto* node = root.get("environment")) {
    recipe.environment = read_environment(reader, reader.as_table(*node, "[environment]"), path);
  }
  bool wants_debian =
      !recipe.environment.include.empty() || recipe.environment.essential || recipe.environment.build_essential;
  if (wants_debian && !recipe.debian) {
    const toml::node* env = root.get("environment");
    reader.fail_at(env ? env->source() : root.source(),
                   "the build environment holds Debian packages (the Essential set and build-essential unless "
                   "essential = false and build_essential = false), so the recipe needs [source.debian] with suites");
  }
  if (const auto* node = root.get("sources")) recipe.sources = read_sources(reader, *node, path);
  recipe.build = read_build(reader, reader.as_table(reader.need(root, "build", "the recipe"), "[build]"));
  if (const auto* node = root.get("owners")) recipe.owners = read_owners(reader, *node);
  std::map<std::string, const RecipeSource*> unpacked;  // Debian source packages by dest
  for (const auto& source : recipe.sources) {
    if (source.kind != RecipeSource::Kind::debian) continue;
    if (!recipe.debian) {
      reader.fail_at(root.get("sources")->source(),
                     fmt::format("the Debian source package {} comes from the recipe's suites, so the recipe needs "
                                 "[source.debian] with suites",
                                 quote(source.package)));
    }
    if (auto [it, fresh] = unpacked.emplace(source.dest, &source); !fresh) {
      throw ParseError(recipe.where(source.position),
                       fmt::format("the Debian source packages {} and {} would both unpack into {}; give dest",
                                   quote(it->second->package), quote(source.package),
                                   quote(source.dest.empty() ? "/build/src" : "/build/src/" + source.dest)));
    }
  }
  if (!recipe.build.source_date_epoch &&
      std::none_of(recipe.sources.begin(), recipe.sources.end(), [](const RecipeSource& s) {
        return s.kind == RecipeSource::Kind::archive || s.kind == RecipeSource::Kind::debian;
      })) {
    reader.fail_at(root.get("build")->source(),
                   "[build] needs source_date_epoch: it defaults to the date of a Debian source package's newest "
                   "changelog entry, else to the newest entry of the recipe's archives, and this recipe has neither "
                   "(a file's or a directory's time on disk is not pinned)");
  }
  return recipe;
}

Recipe Recipe::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the recipe {}: {}", quote(path.string()), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail("cannot read the recipe {}", quote(path.string()));
  return parse(text.str(), path);
}

std::filesystem::path recipe_lock_path(const std::filesystem::path& recipe_path) {
  std::filesystem::path lock = recipe_path;
  if (lock.extension() == ".toml") lock.replace_extension();
  lock += ".lock";
  return lock;
}

std::filesystem::path Recipe::lock_path() const {
  return recipe_lock_path(path);
}

Spec Recipe::environment_spec() const {
  Spec spec;
  spec.path = path;
  spec.lock_path = lock_path();
  spec.debian = debian;
  spec.packages.include = environment.include;
  if (environment.build_essential && std::none_of(spec.packages.include.begin(), spec.packages.include.end(),
                                                  [](const PackagePin& p) { return p.name == "build-essential"; })) {
    spec.packages.include.push_back({"build-essential", std::nullopt, {}});
  }
  spec.packages.exclude = environment.exclude;
  spec.packages.essential = environment.essential;
  for (const auto& source : sources) {
    if (source.kind == RecipeSource::Kind::debian) {
      spec.source_packages.push_back({source.package, source.version, source.position});
    }
  }
  return spec;
}

std::string relation_field(const std::vector<std::string>& relations) {
  std::string out;
  for (const auto& r : relations) out += (out.empty() ? "" : ", ") + r;
  return out;
}

}  // namespace sheaf::spec
