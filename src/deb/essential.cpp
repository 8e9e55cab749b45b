#include "deb/essential.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace sheaf::deb {

bool is_locale_variable(std::string_view key) { return key == "LANG" || key == "LC_ALL" || key.starts_with("LC_"); }

std::optional<std::string> locale_package(std::string_view locale) {
  if (locale.empty() || locale == "C" || locale == "POSIX") return std::nullopt;
  if (locale == "C.UTF-8" || locale == "C.utf8") return "libc-bin";
  return "locales-all";
}

std::vector<ImplicitPackage> implicit_packages(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<ImplicitPackage> out;
  for (const auto& [key, value] : env) {
    if (!is_locale_variable(key)) continue;
    auto package = locale_package(value);
    if (!package || *package != "libc-bin") continue;  // only Essential packages come implicitly
    if (std::any_of(out.begin(), out.end(), [&](const ImplicitPackage& p) { return p.name == *package; })) continue;
    out.push_back({*package, fmt::format("{}={} names the C.UTF-8 locale, which libc-bin (Essential) ships", key, value)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::optional<std::string> essential_provider(std::string_view need) {
  // Generated from bookworm's Essential packages by tools/essential-commands.
  static const std::map<std::string_view, std::string_view> kCommands = {
#include "deb/essential_commands.inc"
  };
  std::string_view name;
  if (need.starts_with("command:")) {
    name = need.substr(8);
  } else if (need.starts_with("/usr/bin/") || need.starts_with("/usr/sbin/")) {
    name = need.substr(need.rfind('/') + 1);
  } else {
    return std::nullopt;
  }
  auto it = kCommands.find(name);
  if (it == kCommands.end()) return std::nullopt;
  return std::string(it->second);
}

}  // namespace sheaf::deb
