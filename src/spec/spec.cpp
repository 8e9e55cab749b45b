#include "spec/spec.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
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

namespace sheaf::spec {

namespace {

Position position_of(const toml::source_region& region) {
  return {static_cast<unsigned>(region.begin.line), static_cast<unsigned>(region.begin.column)};
}

// Walks the TOML tree and turns every problem into a ParseError at its position.
class Reader {
 public:
  explicit Reader(const std::filesystem::path& path) : shown_(path.string()) {}

  [[noreturn]] void fail_at(const toml::source_region& region, std::string_view problem) const {
    throw ParseError(fmt::format("{}:{}:{}", shown_, region.begin.line, region.begin.column), problem);
  }

  // Refuses any key of `table` that is not in `known`, suggesting the nearest.
  void check_keys(const toml::table& table, std::string_view table_name, const std::vector<std::string>& known) const {
    for (auto&& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string problem = table_name.empty() ? fmt::format("unknown table or key {}", quote(key.str()))
                                               : fmt::format("unknown key {} in [{}]", quote(key.str()), table_name);
      if (auto near = closest_match(key.str(), known)) problem += fmt::format("; did you mean {}?", quote(*near));
      problem += fmt::format(" (known: {})", fmt::join(known, ", "));
      fail_at(key.source(), problem);
    }
  }

  const toml::table& as_table(const toml::node& node, std::string_view name) const {
    if (const auto* t = node.as_table()) return *t;
    fail_at(node.source(), fmt::format("{} must be a table", name));
  }

  std::string as_string(const toml::node& node, std::string_view name) const {
    if (const auto* s = node.as_string()) return s->get();
    fail_at(node.source(), fmt::format("{} must be a string, not {}", name, type_name(node)));
  }

  bool as_bool(const toml::node& node, std::string_view name) const {
    if (const auto* b = node.as_boolean()) return b->get();
    fail_at(node.source(), fmt::format("{} must be true or false, not {}", name, type_name(node)));
  }

  // A list of strings; `each` checks one element.
  template <typename Check>
  std::vector<std::string> as_strings(const toml::node& node, std::string_view name, Check each) const {
    const auto* array = node.as_array();
    if (!array) fail_at(node.source(), fmt::format("{} must be a list of strings, not {}", name, type_name(node)));
    std::vector<std::string> out;
    for (const auto& element : *array) {
      std::string value = as_string(element, fmt::format("each entry of {}", name));
      each(value, element.source());
      out.push_back(std::move(value));
    }
    return out;
  }

  static std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::table:
        return "a table";
      case toml::node_type::array:
        return "a list";
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a number";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::date:
      case toml::node_type::time:
      case toml::node_type::date_time:
        return "a date or time";
      default:
        return "nothing";
    }
  }

 private:
  std::string shown_;
};

void check_word(const Reader& reader, const std::string& value, const toml::source_region& where,
                std::string_view what) {
  bool ok = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '/';
  });
  if (!ok) reader.fail_at(where, fmt::format("{} is not a valid {}", quote(value), what));
}

DebianSource read_debian_source(const Reader& reader, const toml::table& table, const std::filesystem::path& path) {
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
    source.arch = reader.as_string(*node, "arch");
    if (!deb::is_valid_arch_name(source.arch) || source.arch == "all" || source.arch == "any") {
      reader.fail_at(node->source(),
                     fmt::format("{} is not a Debian architecture such as \"amd64\"", quote(source.arch)));
    }
  }
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

PackagePin parse_pin(const Reader& reader, const std::string& text, const toml::source_region& where) {
  PackagePin pin;
  pin.position = position_of(where);
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

PackageSelection read_packages(const Reader& reader, const toml::table& table) {
  reader.check_keys(table, "packages", {"include", "exclude", "recommends"});
  PackageSelection selection;
  if (const auto* node = table.get("include")) {
    std::map<std::string, PackagePin> by_name;
    reader.as_strings(*node, "include", [&](const std::string& v, const toml::source_region& r) {
      PackagePin pin = parse_pin(reader, v, r);
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
  return selection;
}

}  // namespace

std::string Spec::where(const Position& position) const {
  return fmt::format("{}:{}:{}", path.string(), position.line, position.column);
}

Spec Spec::parse(std::string_view text, const std::filesystem::path& path) {
  Reader reader(path);
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    throw ParseError(fmt::format("{}:{}:{}", path.string(), e.source().begin.line, e.source().begin.column),
                     e.description());
  }
  Spec spec;
  spec.path = path;
  reader.check_keys(root, "", {"source", "packages"});
  if (const auto* node = root.get("source")) {
    const auto& sources = reader.as_table(*node, "[source]");
    reader.check_keys(sources, "source", {"debian"});
    if (const auto* debian = sources.get("debian")) {
      spec.debian = read_debian_source(reader, reader.as_table(*debian, "[source.debian]"), path);
    }
  }
  if (const auto* node = root.get("packages"))
    spec.packages = read_packages(reader, reader.as_table(*node, "[packages]"));
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
