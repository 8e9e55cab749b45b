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
  static const std::map<std::string, std::string, std::less<>> kProviders = {
      {"/usr/bin/sh", "dash"},       {"/usr/bin/dash", "dash"},     {"/usr/bin/bash", "bash"},
      {"/usr/bin/perl", "perl-base"}, {"/usr/bin/env", "coreutils"}, {"command:sh", "dash"},
      {"command:bash", "bash"},      {"command:perl", "perl-base"}};
  auto it = kProviders.find(need);
  if (it == kProviders.end()) return std::nullopt;
  return it->second;
}

}  // namespace sheaf::deb
