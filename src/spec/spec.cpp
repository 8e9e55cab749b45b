#include "spec/spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/error.hpp"
#include "base/host.hpp"
#include "base/suggest.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"
#include "registry/reference.hpp"
#include "spec/image_sections.hpp"
#include "spec/toml_reader.hpp"

namespace sheaf::spec {

bool is_account_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

namespace {

void check_word(const TomlReader& reader, const std::string& value, const toml::source_region& where,
                std::string_view what) {
  bool ok = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '/';
  });
  if (!ok) reader.fail_at(where, fmt::format("{} is not a valid {}", quote(value), what));
}

}  // namespace

namespace detail {

DebianSource read_debian_source(const TomlReader& reader, const toml::table& table, const std::filesystem::path& path) {
  reader.check_keys(table, "source.debian", {"suites", "components", "arch", "mirror", "keyring"});
  DebianSource source;
  source.arch = host_debian_arch();
  auto unique = [&](const std::vector<std::string>& values, const toml::node& node, std::string_view name) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!seen.insert(values[i]).second) {
        reader.fail_at(node.as_array()->at(i).source(), fmt::format("{} lists {} twice", name, quote(values[i])));
      }
    }
  };
  if (const auto* node = table.get("suites")) {
    source.suites = reader.as_strings(*node, "suites", [&](const std::string& v, const toml::source_region& r) {
      check_word(reader, v, r, "suite name");
    });
    if (source.suites.empty()) reader.fail_at(node->source(), "suites must name at least one suite");
    unique(source.suites, *node, "suites");
  } else {
    reader.fail_at(table.source(), "[source.debian] needs suites, for example suites = [\"bookworm\"]");
  }
  if (const auto* node = table.get("components")) {
    source.components = reader.as_strings(*node, "components", [&](const std::string& v, const toml::source_region& r) {
      check_word(reader, v, r, "component name");
    });
    if (source.components.empty()) reader.fail_at(node->source(), "components must name at least one component");
    unique(source.components, *node, "components");
  }
  if (const auto* node = table.get("arch")) {
    auto check_arch = [&](const std::string& v, const toml::source_region& r) {
      if (!deb::is_machine_arch(v)) {
        reader.fail_at(r, fmt::format("{} is not a Debian architecture such as \"amd64\"", quote(v)));
      }
    };
    if (node->is_array()) {
      // A list, even of one, asks for an image index (docs/formats/spec.md).
      source.arches = reader.as_strings(*node, "arch", check_arch);
      if (source.arches.empty()) reader.fail_at(node->source(), "arch must name at least one architecture");
      unique(source.arches, *node, "arch");
      source.arch = source.arches.front();
      source.index = true;
    } else {
      if (!node->is_string()) {
        reader.fail_at(node->source(),
                       fmt::format("arch must be a string or a list of strings, not {}", TomlReader::type_name(*node)));
      }
      source.arch = reader.as_string(*node, "arch");
      check_arch(source.arch, node->source());
    }
  }
  if (source.arches.empty()) source.arches = {source.arch};
  if (const auto* node = table.get("mirror")) {
    std::string mirror = reader.as_string(*node, "mirror");
    if (!mirror.starts_with("http://") && !mirror.starts_with("https://") && !mirror.starts_with("file:/")) {
      reader.fail_at(node->source(),
                     fmt::format("mirror {} must be an http://, https:// or file:// URL", quote(mirror)));
    }
    while (mirror.size() > 1 && mirror.back() == '/') mirror.pop_back();
    source.mirror = mirror;
  }
  if (const auto* node = table.get("keyring")) {
    std::filesystem::path keyring = reader.as_string(*node, "keyring");
    if (keyring.empty()) reader.fail_at(node->source(), "keyring must be a path to a keyring file");
    source.keyring = keyring.is_absolute() ? keyring : path.parent_path() / keyring;
  }
  return source;
}

PackagePin parse_pin(const TomlReader& reader, const std::string& text, const toml::source_region& where) {
  PackagePin pin;
  pin.position = position_of(where);
  if (registry::is_remote(text)) {
    // A registry package (docs/formats/spec.md, "Registry packages").
    try {
      (void)registry::parse_reference(text);
    } catch (const Error& e) {
      reader.fail_at(where, e.what());
    }
    pin.name = text;
    return pin;
  }
  auto eq = text.find('=');
  pin.name = text.substr(0, eq);
  if (!deb::is_valid_package_name(pin.name)) {
    reader.fail_at(where, fmt::format("{} is not a valid Debian package name (give \"name\" or \"name=version\")",
                                      quote(pin.name)));
  }
  if (eq != std::string::npos) {
    std::string version = text.substr(eq + 1);
    if (!deb::Version::try_parse(version)) {
      reader.fail_at(where,
                     fmt::format("{} pins {}, which is not a valid Debian version", quote(pin.name), quote(version)));
    }
    pin.version = version;
  }
  return pin;
}

}  // namespace detail

namespace {

PackageSelection read_packages(const TomlReader& reader, const toml::table& table) {
  reader.check_keys(table, "packages", {"include", "exclude", "recommends", "drop_paths"});
  PackageSelection selection;
  if (const auto* node = table.get("include")) {
    std::map<std::string, PackagePin> by_name;
    reader.as_strings(*node, "include", [&](const std::string& v, const toml::source_region& r) {
      PackagePin pin = detail::parse_pin(reader, v, r);
      auto [it, fresh] = by_name.emplace(pin.name, pin);
      if (!fresh && it->second.version != pin.version) {
        reader.fail_at(r, fmt::format("{} conflicts with {} at line {}: a package can be pinned to one version only",
                                      quote(pin.str()), quote(it->second.str()), it->second.position.line));
      }
      if (fresh) selection.include.push_back(std::move(pin));
    });
  }
  if (const auto* node = table.get("exclude")) {
    auto names = reader.as_strings(*node, "exclude", [&](const std::string& v, const toml::source_region& r) {
      if (!deb::is_valid_package_name(v))
        reader.fail_at(r, fmt::format("{} is not a valid Debian package name", quote(v)));
      for (const auto& pin : selection.include) {
        if (pin.name == v) {
          reader.fail_at(r, fmt::format("{} is both included (line {}) and excluded", quote(v), pin.position.line));
        }
      }
    });
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    selection.exclude = std::move(names);
  }
  if (const auto* node = table.get("recommends")) selection.recommends = reader.as_bool(*node, "recommends");
  if (const auto* node = table.get("drop_paths")) selection.drop_paths = detail::read_drop_paths(reader, *node);
  return selection;
}

}  // namespace

std::string Spec::where(const Position& position) const {
  if (position.line == 0) return path.string();  // a spec rebuilt from an image's recipe
  return fmt::format("{}:{}:{}", path.string(), position.line, position.column);
}

Spec Spec::for_arch(std::string_view arch) const {
  if (!debian || std::find(debian->arches.begin(), debian->arches.end(), arch) == debian->arches.end()) {
    fail("internal: {} is not an architecture of {}", arch, quote(path.string()));
  }
  Spec out = *this;
  out.debian->arch = std::string(arch);
  out.debian->arches = {out.debian->arch};
  std::erase_if(out.files, [&](const LocalFiles& f) { return !f.arch.empty() && f.arch != arch; });
  return out;
}

Spec Spec::parse(std::string_view text, const std::filesystem::path& path) {
  TomlReader reader(path);
  toml::table root = parse_toml(text, path);
  Spec spec;
  spec.path = path;
  reader.check_keys(
      root, "",
      {"image", "source", "packages", "users", "groups", "files", "paths", "alternatives", "recipes", "trim"});
  if (const auto* node = root.get("image")) spec.image = detail::read_image(reader, reader.as_table(*node, "[image]"));
  if (const auto* node = root.get("source")) {
    const auto& sources = reader.as_table(*node, "[source]");
    reader.check_keys(sources, "source", {"debian"});
    if (const auto* debian = sources.get("debian")) {
      spec.debian = detail::read_debian_source(reader, reader.as_table(*debian, "[source.debian]"), path);
    }
  }
  if (const auto* node = root.get("packages")) {
    spec.packages = read_packages(reader, reader.as_table(*node, "[packages]"));
  }
  if (const auto* node = root.get("users")) spec.users = detail::read_users(reader, *node);
  if (const auto* node = root.get("groups")) spec.groups = detail::read_groups(reader, *node);
  if (const auto* node = root.get("files")) spec.files = detail::read_files(reader, *node, path);
  if (const auto* node = root.get("paths")) spec.paths = detail::read_paths(reader, *node);
  if (const auto* node = root.get("alternatives")) spec.alternatives = detail::read_alternatives(reader, *node);
  if (const auto* node = root.get("recipes")) spec.recipes = detail::read_recipes(reader, *node, path);
  if (const auto* node = root.get("trim"))
    spec.trim = detail::read_trim(reader, reader.as_table(*node, "[trim]"), "trim");
  // Across sections: what an index (arch a list) allows.
  const std::vector<std::string> arches = spec.debian ? spec.debian->arches : std::vector{host_debian_arch()};
  for (std::size_t i = 0; i < spec.files.size(); ++i) {
    const auto& files = spec.files[i];
    if (files.arch.empty() || std::find(arches.begin(), arches.end(), files.arch) != arches.end()) continue;
    const auto& table = *root.get("files")->as_array()->at(i).as_table();
    reader.fail_at(table.get("arch")->source(),
                   fmt::format("arch {} is not an architecture the image is built for ([source.debian] arch: {})",
                               quote(files.arch), fmt::join(arches, ", ")));
  }
  if (spec.trim && spec.debian && spec.debian->index) {
    reader.fail_at(root.get("trim")->source(),
                   "[trim] traces workloads of one image on the host, so it does not apply to an image index "
                   "([source.debian] arch is a list); trim one architecture's image with 'sheaf trim'");
  }
  return spec;
}

Spec Spec::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the spec {}: {}", quote(path.string()), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail("cannot read the spec {}", quote(path.string()));
  return parse(text.str(), path);
}

}  // namespace sheaf::spec
