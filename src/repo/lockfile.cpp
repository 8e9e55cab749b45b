#include "repo/lockfile.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "deb/closure.hpp"
#include "deb/essential.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"
#include "spec/toml_reader.hpp"

namespace sheaf::repo {

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string toml_list(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(toml_string(v));
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

// The lock's own conveniences over the strict TOML reader.
class LockReader : public spec::TomlReader {
 public:
  using TomlReader::TomlReader;

  std::string string(const toml::table& table, std::string_view key, std::string_view what,
                     bool required = true) const {
    const toml::node* node = table.get(key);
    if (!node) {
      if (required) fail_at(table.source(), fmt::format("{} has no {}", what, key));
      return "";
    }
    return as_string(*node, key);
  }

  std::vector<std::string> strings(const toml::table& table, std::string_view key, std::string_view what) const {
    return as_strings(need(table, key, what), key);
  }

  Digest digest(const toml::table& table, std::string_view key, std::string_view what) const {
    auto d = Digest::parse_hex(string(table, key, what));
    if (!d) fail_at(table.get(key)->source(), fmt::format("{} must be 64 lowercase hex digits", key));
    return *d;
  }

  const toml::array& tables(const toml::table& table, std::string_view key) const {
    static const toml::array empty;
    const toml::node* node = table.get(key);
    if (!node) return empty;
    const auto* array = node->as_array();
    if (!array || !array->is_array_of_tables())
      fail_at(node->source(), fmt::format("{} must be [[{}]] tables", key, key));
    return *array;
  }
};

// A path joined to a mirror URI must stay below it.
bool inside_repository(std::string_view path) {
  return !path.empty() && path.front() != '/' && path.find("..") == std::string_view::npos &&
         path.find("://") == std::string_view::npos;
}

}  // namespace

std::filesystem::path lock_path_for(const std::filesystem::path& spec_path) {
  return spec_path.parent_path() / "sheaf.lock";
}

std::filesystem::path lock_path_for(const spec::Spec& spec) {
  return spec.lock_path.empty() ? lock_path_for(spec.path) : spec.lock_path;
}

const LockedPackage* Lockfile::find(std::string_view name) const {
  for (const auto& p : packages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const LockedPackage* Lockfile::find_recipe(std::string_view path_as_written) const {
  for (const auto& p : packages) {
    if (p.recipe == path_as_written) return &p;
  }
  return nullptr;
}

const LockedPackage* Lockfile::find_registry(std::string_view reference) const {
  for (const auto& p : packages) {
    if (p.registry == reference) return &p;
  }
  return nullptr;
}

const LockedSource* Lockfile::find_source(std::string_view name, std::string_view version) const {
  for (const auto& s : sources) {
    if (s.name == name && s.version == version) return &s;
  }
  return nullptr;
}

const deb::SourceFile* LockedSource::dsc() const {
  for (const auto& f : files) {
    if (f.name.ends_with(".dsc")) return &f;
  }
  return nullptr;
}

namespace {

// The lock format a one-architecture lock needs: the oldest that holds it.
int format_of(const Lockfile& lock) {
  const auto& packages = lock.packages;
  bool registry =
      std::any_of(packages.begin(), packages.end(), [](const LockedPackage& p) { return p.from_registry(); });
  bool recipes = std::any_of(packages.begin(), packages.end(), [](const LockedPackage& p) { return p.from_recipe(); });
  return !lock.sources.empty() ? 6 : recipes ? 5 : lock.essential ? 4 : registry ? 3 : lock.implicit.empty() ? 1 : 2;
}

// The comment, the format, `arch` (as given) and what every architecture
// shares: the request and the Release files.
void render_header(std::string& out, const Lockfile& lock, int version, const std::string& arch) {
  out += "# sheaf.lock: the resolved closure of sheaf.toml, written by `sheaf lock`.\n";
  out += "# Do not edit it by hand. Format: docs/formats/lockfile.md\n";
  out += fmt::format("version = {}\n", version);
  out += fmt::format("arch = {}\n", arch);
  out += fmt::format("suites = {}\n", toml_list(lock.suites));
  out += fmt::format("components = {}\n", toml_list(lock.components));
  std::vector<std::string> pins;
  for (const auto& pin : lock.include) pins.push_back(pin.str());
  out += fmt::format("include = {}\n", toml_list(pins));
  out += fmt::format("exclude = {}\n", toml_list(lock.exclude));
  out += fmt::format("recommends = {}\n", lock.recommends ? "true" : "false");
  if (lock.essential) out += "essential = true\n";
  if (!lock.implicit.empty()) out += fmt::format("implicit = {}\n", toml_list(lock.implicit));
  for (const auto& r : lock.releases) {
    out += "\n[[release]]\n";
    out += fmt::format("suite = {}\n", toml_string(r.suite));
    out += fmt::format("file = {}\n", toml_string(r.release));
    out += fmt::format("sha256 = {}\n", toml_string(r.sha256.hex()));
  }
}

// One package under `header` ("[[package]]", or "[[package.arm64]]").
void render_package(std::string& out, const LockedPackage& p, std::string_view header) {
  out += fmt::format("\n{}\n", header);
  out += fmt::format("name = {}\n", toml_string(p.name));
  out += fmt::format("version = {}\n", toml_string(p.version));
  out += fmt::format("arch = {}\n", toml_string(p.arch));
  if (p.from_registry()) {
    out += fmt::format("registry = {}\n", toml_string(p.registry));
    out += fmt::format("manifest = {}\n", toml_string(p.manifest.str()));
    out += fmt::format("id = {}\n", toml_string(p.id.str()));
  } else if (p.from_recipe()) {
    out += fmt::format("recipe = {}\n", toml_string(p.recipe));
    out += fmt::format("recipe_sha256 = {}\n", toml_string(p.recipe_sha256.hex()));
  } else {
    out += fmt::format("source = {}\n", toml_string(p.source));
    if (!p.source_version.empty()) out += fmt::format("source_version = {}\n", toml_string(p.source_version));
    out += fmt::format("suite = {}\n", toml_string(p.suite));
    out += fmt::format("filename = {}\n", toml_string(p.filename));
    out += fmt::format("sha256 = {}\n", toml_string(p.sha256.hex()));
    out += fmt::format("size = {}\n", p.size);
  }
  if (!p.pre_depends.empty()) out += fmt::format("pre_depends = {}\n", toml_string(p.pre_depends));
  if (!p.depends.empty()) out += fmt::format("depends = {}\n", toml_string(p.depends));
  if (!p.provides.empty()) out += fmt::format("provides = {}\n", toml_string(p.provides));
}

void render_sources(std::string& out, const std::vector<LockedSource>& sources) {
  for (const auto& src : sources) {
    out += "\n[[source]]\n";
    out += fmt::format("name = {}\n", toml_string(src.name));
    out += fmt::format("version = {}\n", toml_string(src.version));
    out += fmt::format("suite = {}\n", toml_string(src.suite));
    out += fmt::format("directory = {}\n", toml_string(src.directory));
    out += "files = [\n";
    for (const auto& f : src.files) {
      out += fmt::format("  {{ name = {}, sha256 = {}, size = {} }},\n", toml_string(f.name),
                         toml_string(f.sha256.hex()), f.size);
    }
    out += "]\n";
  }
}

}  // namespace

std::string Lockfile::render() const {
  std::string out;
  render_header(out, *this, format_of(*this), toml_string(arch));
  for (const auto& p : packages) render_package(out, p, "[[package]]");
  render_sources(out, sources);
  return out;
}

std::string LockSet::render() const {
  if (arches.empty()) fail("internal: a lock with no architecture");
  if (!index) return arches.front().render();
  const Lockfile& first = arches.front();
  std::vector<std::string> names;
  for (const auto& lock : arches) {
    // Each section was resolved from the same request and Release files.
    if (lock.suites != first.suites || lock.components != first.components || lock.include != first.include ||
        lock.exclude != first.exclude || lock.recommends != first.recommends || lock.essential != first.essential ||
        lock.implicit != first.implicit || lock.sources != first.sources) {
      fail("internal: the sections of a lock for {} and {} answer different requests", first.arch, lock.arch);
    }
    if (lock.releases != first.releases) {
      fail(
          "the Release files changed between the resolutions for {} and {} (the mirror was updated meanwhile); "
          "lock again",
          first.arch, lock.arch);
    }
    names.push_back(lock.arch);
  }
  std::string out;
  render_header(out, first, kLockFormat, toml_list(names));
  for (const auto& lock : arches) {
    std::string header = fmt::format("[[package.{}]]", lock.arch);
    for (const auto& p : lock.packages) render_package(out, p, header);
  }
  render_sources(out, first.sources);
  return out;
}

namespace {

// The request, the Release files and the source packages: what every
// architecture's section of a lock shares.
void parse_shared(const LockReader& reader, const toml::table& root, std::int64_t version, Lockfile& lock) {
  lock.suites = reader.strings(root, "suites", "the lock");
  lock.components = reader.strings(root, "components", "the lock");
  const auto& include_node = reader.need(root, "include", "the lock");
  for (const auto& text_pin : reader.strings(root, "include", "the lock")) {
    spec::PackagePin pin;
    if (version >= 3 && text_pin.starts_with("docker://")) {
      pin.name = text_pin;
      lock.include.push_back(std::move(pin));
      continue;
    }
    auto eq = text_pin.find('=');
    pin.name = text_pin.substr(0, eq);
    if (eq != std::string::npos) pin.version = text_pin.substr(eq + 1);
    if (!deb::is_valid_package_name(pin.name)) {
      reader.fail_at(include_node.source(), fmt::format("{} is not a valid package name", quote(pin.name)));
    }
    lock.include.push_back(std::move(pin));
  }
  lock.exclude = reader.strings(root, "exclude", "the lock");
  lock.recommends = reader.as_bool(reader.need(root, "recommends", "the lock"), "recommends");
  if (const auto* node = root.get("essential")) {
    if (version < 4) reader.fail_at(node->source(), "essential needs lock format 4");
    lock.essential = reader.as_bool(*node, "essential");
  }
  if (root.get("implicit")) {
    lock.implicit = reader.strings(root, "implicit", "the lock");
    for (const auto& name : lock.implicit) {
      if (!deb::is_valid_package_name(name)) {
        reader.fail_at(root.get("implicit")->source(), fmt::format("{} is not a valid package name", quote(name)));
      }
    }
    if (!std::is_sorted(lock.implicit.begin(), lock.implicit.end()) ||
        std::adjacent_find(lock.implicit.begin(), lock.implicit.end()) != lock.implicit.end()) {
      reader.fail_at(root.get("implicit")->source(), "implicit must be sorted and hold each name once");
    }
  }

  for (const auto& node : reader.tables(root, "release")) {
    const auto& table = *node.as_table();
    reader.check_keys(table, "[release]", {"suite", "file", "sha256"});
    lock.releases.push_back({reader.string(table, "suite", "[[release]]"), reader.string(table, "file", "[[release]]"),
                             reader.digest(table, "sha256", "[[release]]")});
  }
  for (const auto& node : reader.tables(root, "source")) {
    const auto& table = *node.as_table();
    reader.check_keys(table, "[source]", {"name", "version", "suite", "directory", "files"});
    LockedSource src;
    src.name = reader.string(table, "name", "[[source]]");
    src.version = reader.string(table, "version", "[[source]]");
    src.suite = reader.string(table, "suite", "[[source]]");
    src.directory = reader.string(table, "directory", "[[source]]");
    if (!deb::is_valid_package_name(src.name))
      reader.fail_at(table.source(), fmt::format("{} is not a valid source package name", quote(src.name)));
    if (!deb::Version::try_parse(src.version))
      reader.fail_at(table.source(), fmt::format("{} is not a valid version", quote(src.version)));
    if (!deb::is_repository_path(src.directory)) {
      reader.fail_at(table.get("directory")->source(),
                     fmt::format("directory {} must be a path inside the repository", quote(src.directory)));
    }
    if (lock.find_source(src.name, src.version)) {
      reader.fail_at(table.source(), fmt::format("{} {} is locked twice", quote(src.name), src.version));
    }
    const auto& files = reader.need(table, "files", "[[source]]");
    const auto* array = files.as_array();
    if (!array || !array->is_array_of_tables()) reader.fail_at(files.source(), "files must be a list of tables");
    for (const auto& f : *array) {
      const auto& entry = *f.as_table();
      reader.check_keys(entry, "a [[source]] file", {"name", "sha256", "size"});
      deb::SourceFile file;
      file.name = reader.string(entry, "name", "a [[source]] file");
      if (!deb::is_plain_file_name(file.name)) {
        reader.fail_at(entry.source(), fmt::format("{} is not a plain file name", quote(file.name)));
      }
      file.sha256 = reader.digest(entry, "sha256", "a [[source]] file");
      const auto& size = reader.need(entry, "size", "a [[source]] file");
      auto size_value = size.value<std::int64_t>();
      if (!size_value || *size_value < 0) reader.fail_at(size.source(), "size must be a non-negative integer");
      file.size = static_cast<std::uint64_t>(*size_value);
      if (!src.files.empty() && src.files.back().name >= file.name) {
        reader.fail_at(entry.source(), "files must be sorted by name, each once");
      }
      src.files.push_back(std::move(file));
    }
    if (std::count_if(src.files.begin(), src.files.end(),
                      [](const deb::SourceFile& x) { return x.name.ends_with(".dsc"); }) != 1) {
      reader.fail_at(files.source(), "files must hold exactly one .dsc");
    }
    lock.sources.push_back(std::move(src));
  }
}

// The packages of one architecture: `tables` are its [[package]] (or
// [[package.ARCH]], named by `what`) tables.
void parse_packages(const LockReader& reader, const toml::array& tables, std::int64_t version, const std::string& what,
                    Lockfile& lock) {
  const std::string keys_of = what.substr(1, what.size() - 2);  // check_keys adds the outer brackets
  std::set<std::string> seen;
  for (const auto& node : tables) {
    const auto& table = *node.as_table();
    LockedPackage p;
    if (version >= 3 && table.get("registry")) {
      reader.check_keys(
          table, keys_of,
          {"name", "version", "arch", "registry", "manifest", "id", "pre_depends", "depends", "provides"});
      p.registry = reader.string(table, "registry", what);
      if (!p.registry.starts_with("docker://")) {
        reader.fail_at(table.get("registry")->source(),
                       fmt::format("registry {} is not a docker:// reference", quote(p.registry)));
      }
      auto oci_digest = [&](std::string_view key) {
        auto d = Digest::parse(reader.string(table, key, what));
        if (!d) reader.fail_at(table.get(key)->source(), fmt::format("{} must be sha256:<64 hex digits>", key));
        return *d;
      };
      p.manifest = oci_digest("manifest");
      p.id = oci_digest("id");
    } else if (version >= 5 && table.get("recipe")) {
      reader.check_keys(table, keys_of,
                        {"name", "version", "arch", "recipe", "recipe_sha256", "pre_depends", "depends", "provides"});
      p.recipe = reader.string(table, "recipe", what);
      if (p.recipe.empty()) reader.fail_at(table.get("recipe")->source(), "recipe must name a recipe file");
      p.recipe_sha256 = reader.digest(table, "recipe_sha256", what);
    } else {
      reader.check_keys(table, keys_of,
                        {"name", "version", "arch", "source", "source_version", "suite", "filename", "sha256", "size",
                         "pre_depends", "depends", "provides"});
    }
    p.name = reader.string(table, "name", what);
    p.version = reader.string(table, "version", what);
    p.arch = reader.string(table, "arch", what);
    p.pre_depends = reader.string(table, "pre_depends", what, false);
    p.depends = reader.string(table, "depends", what, false);
    p.provides = reader.string(table, "provides", what, false);
    if (!deb::is_valid_package_name(p.name))
      reader.fail_at(table.source(), fmt::format("{} is not a valid package name", quote(p.name)));
    if (!deb::Version::try_parse(p.version))
      reader.fail_at(table.source(), fmt::format("{} is not a valid version", quote(p.version)));
    if (p.arch != lock.arch && p.arch != "all") {
      reader.fail_at(table.get("arch")->source(),
                     fmt::format("{} is locked for {} in the section for {}", quote(p.name), p.arch, lock.arch));
    }
    if (!seen.insert(p.name).second) {
      reader.fail_at(table.source(), fmt::format("{} is locked twice", quote(p.name)));
    }
    if (!p.from_debian()) {
      lock.packages.push_back(std::move(p));
      continue;
    }
    p.source = reader.string(table, "source", what);
    p.source_version = reader.string(table, "source_version", what, false);
    p.suite = reader.string(table, "suite", what);
    p.filename = reader.string(table, "filename", what);
    p.sha256 = reader.digest(table, "sha256", what);
    const auto& size = reader.need(table, "size", what);
    auto size_value = size.value<std::int64_t>();
    if (!size_value || *size_value < 0) reader.fail_at(size.source(), "size must be a non-negative integer");
    p.size = static_cast<std::uint64_t>(*size_value);
    // The filename is joined to a mirror URI: it must stay below it.
    if (!inside_repository(p.filename)) {
      reader.fail_at(table.get("filename")->source(),
                     fmt::format("filename {} must be a path inside the repository", quote(p.filename)));
    }
    lock.packages.push_back(std::move(p));
  }
}

void check_arch_name(const LockReader& reader, const std::string& arch, const toml::source_region& where) {
  if (!deb::is_machine_arch(arch)) {
    reader.fail_at(where, fmt::format("{} is not a Debian architecture such as \"amd64\"", quote(arch)));
  }
}

}  // namespace

LockSet LockSet::parse(std::string_view text, const std::filesystem::path& path) {
  LockReader reader(path);
  toml::table root = spec::parse_toml(text, path);
  const auto& version_node = reader.need(root, "version", "the lock");
  auto version = version_node.value<std::int64_t>();
  if (!version) reader.fail_at(version_node.source(), "version must be an integer");
  if (*version > kLockFormat) {
    fail("{} has lock format {}, but this sheaf reads format {} only; upgrade sheaf", quote(path.string()), *version,
         kLockFormat);
  }
  if (*version < 1) reader.fail_at(version_node.source(), fmt::format("unknown lock format {}", *version));
  if (*version == 1) {
    reader.check_keys(
        root, "",
        {"version", "arch", "suites", "components", "include", "exclude", "recommends", "release", "package"});
  } else {
    std::vector<std::string> keys{"version",    "arch",      "suites",   "components", "include", "exclude",
                                  "recommends", "essential", "implicit", "release",    "package"};
    if (*version >= 6) keys.push_back("source");
    reader.check_keys(root, "", keys);
  }
  LockSet set;
  const auto& arch_node = reader.need(root, "arch", "the lock");
  if (*version < 7) {
    if (!arch_node.is_string()) {
      reader.fail_at(arch_node.source(),
                     fmt::format("arch must be a string in lock format {} (a list needs format 7)", *version));
    }
    Lockfile lock;
    lock.arch = reader.as_string(arch_node, "arch");
    parse_shared(reader, root, *version, lock);
    parse_packages(reader, reader.tables(root, "package"), *version, "[[package]]", lock);
    set.arches.push_back(std::move(lock));
    return set;
  }
  // Format 7: a section of packages per architecture.
  set.index = true;
  if (!arch_node.is_array()) {
    reader.fail_at(arch_node.source(), "arch must be a list of architectures in lock format 7, such as [\"amd64\"]");
  }
  std::vector<std::string> names = reader.as_strings(
      arch_node, "arch", [&](const std::string& v, const toml::source_region& r) { check_arch_name(reader, v, r); });
  if (names.empty()) reader.fail_at(arch_node.source(), "arch must name at least one architecture");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i)) {
      reader.fail_at(arch_node.source(), fmt::format("arch lists {} twice", quote(names[i])));
    }
  }
  const auto& package_node = reader.need(root, "package", "the lock");
  const auto* sections = package_node.as_table();
  if (!sections) {
    reader.fail_at(package_node.source(), "a format 7 lock holds its packages in [[package.ARCH]] sections");
  }
  reader.check_keys(*sections, "package", names);
  for (const auto& name : names) {
    Lockfile lock;
    lock.arch = name;
    parse_shared(reader, root, *version, lock);
    const std::string what = fmt::format("[[package.{}]]", name);
    parse_packages(reader, reader.tables(*sections, name), *version, what, lock);
    if (lock.packages.empty()) reader.fail_at(sections->source(), fmt::format("the lock has no {} tables", what));
    set.arches.push_back(std::move(lock));
  }
  return set;
}

LockSet LockSet::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the lock {}: {}", quote(path.string()), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

const Lockfile* LockSet::find_arch(std::string_view arch) const {
  for (const auto& lock : arches) {
    if (lock.arch == arch) return &lock;
  }
  return nullptr;
}

Lockfile LockSet::merged() const {
  if (arches.empty()) fail("internal: a lock with no architecture");
  Lockfile out = arches.front();
  for (std::size_t i = 1; i < arches.size(); ++i) {
    for (const auto& p : arches[i].packages) {
      bool have = std::any_of(out.packages.begin(), out.packages.end(), [&](const LockedPackage& q) {
        return q.name == p.name && q.arch == p.arch && q.version == p.version && q.sha256 == p.sha256 && q.id == p.id &&
               q.recipe == p.recipe;
      });
      if (!have) out.packages.push_back(p);
    }
  }
  std::stable_sort(out.packages.begin(), out.packages.end(), [](const LockedPackage& a, const LockedPackage& b) {
    return std::tie(a.name, a.arch) < std::tie(b.name, b.arch);
  });
  return out;
}

Lockfile Lockfile::parse(std::string_view text, const std::filesystem::path& path) {
  LockSet set = LockSet::parse(text, path);
  if (set.index) {
    fail("{} is the lock of an image index ({} architectures), not of one architecture", quote(path.string()),
         set.arches.size());
  }
  return std::move(set.arches.front());
}


std::vector<std::string> implicit_package_names(const spec::Spec& spec) {
  std::vector<std::string> names;
  for (const auto& p : deb::implicit_packages(spec.image.env)) {
    bool excluded = std::binary_search(spec.packages.exclude.begin(), spec.packages.exclude.end(), p.name);
    bool included = std::any_of(spec.packages.include.begin(), spec.packages.include.end(),
                                [&](const spec::PackagePin& pin) { return pin.name == p.name; });
    if (!excluded && !included) names.push_back(p.name);
  }
  return names;
}

std::vector<std::string> lock_problems(const LockSet& lock, const spec::Spec& spec) {
  if (!spec.debian) return {"the spec has no [source.debian]"};
  const auto& source = *spec.debian;
  if (lock.index != source.index) {
    return {source.index ? "arch became a list: the image is an index now"
                         : "arch became a single architecture: the image is no longer an index"};
  }
  if (!lock.index) return lock_problems(lock.arches.front(), spec);
  std::vector<std::string> names;
  for (const auto& l : lock.arches) names.push_back(l.arch);
  if (names != source.arches) {
    return {fmt::format("arch changed: [{}] -> [{}]", fmt::join(names, ", "), fmt::join(source.arches, ", "))};
  }
  std::vector<std::string> problems;
  for (const auto& l : lock.arches) {
    for (auto& problem : lock_problems(l, spec.for_arch(l.arch))) problems.push_back(l.arch + ": " + problem);
  }
  return problems;
}

std::vector<std::string> lock_problems(const Lockfile& lock, const spec::Spec& spec) {
  std::vector<std::string> problems;
  if (!spec.debian) {
    problems.push_back("the spec has no [source.debian]");
    return problems;
  }
  const auto& source = *spec.debian;
  if (lock.arch != source.arch) problems.push_back(fmt::format("arch changed: {} -> {}", lock.arch, source.arch));
  if (lock.suites != source.suites) {
    problems.push_back(
        fmt::format("suites changed: [{}] -> [{}]", fmt::join(lock.suites, ", "), fmt::join(source.suites, ", ")));
  }
  if (lock.components != source.components) {
    problems.push_back(fmt::format("components changed: [{}] -> [{}]", fmt::join(lock.components, ", "),
                                   fmt::join(source.components, ", ")));
  }
  auto pin_set = [](const std::vector<spec::PackagePin>& pins) {
    std::set<std::string> out;
    for (const auto& p : pins) out.insert(p.str());
    return out;
  };
  auto locked_pins = pin_set(lock.include);
  auto spec_pins = pin_set(spec.packages.include);
  for (const auto& pin : spec_pins) {
    if (!locked_pins.count(pin)) problems.push_back(fmt::format("include gained {}", quote(pin)));
  }
  for (const auto& pin : locked_pins) {
    if (!spec_pins.count(pin)) problems.push_back(fmt::format("include lost {}", quote(pin)));
  }
  if (lock.exclude != spec.packages.exclude) {
    problems.push_back(fmt::format("exclude changed: [{}] -> [{}]", fmt::join(lock.exclude, ", "),
                                   fmt::join(spec.packages.exclude, ", ")));
  }
  if (lock.recommends != spec.packages.recommends) {
    problems.push_back(fmt::format("recommends changed: {} -> {}", lock.recommends, spec.packages.recommends));
  }
  if (lock.essential != spec.packages.essential) {
    problems.push_back(fmt::format("essential changed: {} -> {}", lock.essential, spec.packages.essential));
  }
  if (auto implicit = implicit_package_names(spec); lock.implicit != implicit) {
    problems.push_back(fmt::format("implicit packages changed: [{}] -> [{}] (the environment's locale)",
                                   fmt::join(lock.implicit, ", "), fmt::join(implicit, ", ")));
  }

  // The closure must hold inside the lock itself.
  std::vector<deb::ClosureMember> members;
  std::set<std::string> provided;  // every name something in the lock answers to
  for (const auto& p : lock.packages) {
    deb::ClosureMember member{.name = p.name, .version = p.version};
    try {
      member.provides = deb::Relations::parse(p.provides, deb::RelationKind::provides, p.name + " Provides");
      member.pre_depends = deb::Relations::parse(p.pre_depends, deb::RelationKind::dependency, p.name + " Pre-Depends");
      member.depends = deb::Relations::parse(p.depends, deb::RelationKind::dependency, p.name + " Depends");
    } catch (const Error& e) {
      problems.push_back(e.what());
    }
    provided.insert(p.name);
    for (const auto& group : member.provides.groups()) {
      for (const auto& alt : group) provided.insert(alt.name);
    }
    members.push_back(std::move(member));
  }
  for (auto& problem : deb::unmet_dependencies(members, "the lock")) problems.push_back(std::move(problem));
  for (const auto& pin : spec.packages.include) {
    if (pin.from_registry()) {
      if (!lock.find_registry(pin.name)) problems.push_back(fmt::format("{} is not in the lock", quote(pin.name)));
      continue;
    }
    const LockedPackage* locked = lock.find(pin.name);
    bool provided_virtually = provided.count(pin.name) > 0;
    if (!locked && !provided_virtually) problems.push_back(fmt::format("{} is not in the lock", quote(pin.name)));
    if (locked && pin.version && locked->version != *pin.version) {
      problems.push_back(fmt::format("{} is pinned to {} but locked at {}", pin.name, *pin.version, locked->version));
    }
  }
  for (const auto& name : spec.packages.exclude) {
    if (lock.find(name)) problems.push_back(fmt::format("{} is excluded but locked", quote(name)));
  }
  // Each recipe locked at its bytes now, and no other.
  std::set<std::string> named;
  for (const auto& recipe : spec.recipes) {
    named.insert(recipe.path_as_written);
    const LockedPackage* locked = lock.find_recipe(recipe.path_as_written);
    if (!locked) {
      problems.push_back(fmt::format("recipes gained {}", quote(recipe.path_as_written)));
      continue;
    }
    std::string bytes;
    try {
      bytes = read_file(recipe.path.string());
    } catch (const Error& e) {
      problems.push_back(e.what());
      continue;
    }
    if (Digest::of(bytes) != locked->recipe_sha256) {
      problems.push_back(fmt::format("the recipe {} changed since it was locked", quote(recipe.path_as_written)));
    }
  }
  for (const auto& p : lock.packages) {
    if (p.from_recipe() && !named.count(p.recipe)) {
      problems.push_back(fmt::format("recipes lost {}", quote(p.recipe)));
    }
  }
  // Each Debian source package locked, and no other.
  for (const auto& pin : spec.source_packages) {
    if (!lock.find_source(pin.name, pin.version.value_or(""))) {
      problems.push_back(fmt::format("the source package {} is not in the lock", quote(pin.str())));
    }
  }
  for (const auto& src : lock.sources) {
    bool wanted = std::any_of(spec.source_packages.begin(), spec.source_packages.end(), [&](const spec::PackagePin& p) {
      return p.name == src.name && p.version == src.version;
    });
    if (!wanted) problems.push_back(fmt::format("source packages lost {}", quote(src.name + "=" + src.version)));
  }
  return problems;
}

}  // namespace sheaf::repo
