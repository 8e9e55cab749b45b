// sheaf pkg ls: one line per package in the store.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "deb/version.hpp"
#include "pkg/package.hpp"

namespace sheaf::cli {

namespace {

struct PkgLsArgs {
  bool json = false;
};

// Name, then Debian version order, then arch.
bool listing_order(const store::PackageRecord& a, const store::PackageRecord& b) {
  if (a.name != b.name) return a.name < b.name;
  auto va = deb::Version::try_parse(a.version);
  auto vb = deb::Version::try_parse(b.version);
  if (va && vb && *va != *vb) return *va < *vb;
  if (a.version != b.version) return a.version < b.version;
  return std::tie(a.arch, a.id) < std::tie(b.arch, b.id);
}

void pkg_ls_command(Context& context, const PkgLsArgs& options) {
  auto store = context.open_store();
  auto packages = store->index().packages();
  std::sort(packages.begin(), packages.end(), listing_order);

  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : packages) {
      auto metadata = pkg::PackageMetadata::from_json(p.metadata);
      out.push_back({{"id", p.id},
                     {"name", p.name},
                     {"version", p.version},
                     {"arch", p.arch},
                     {"entries", p.entries},
                     {"size", p.size},
                     {"license", metadata.license}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  std::size_t name_width = 4;
  std::size_t version_width = 7;
  std::size_t arch_width = 4;
  for (const auto& p : packages) {
    name_width = std::max(name_width, p.name.size());
    version_width = std::max(version_width, p.version.size());
    arch_width = std::max(arch_width, p.arch.size());
  }
  // Scripts read this output: the header appears only for a person.
  if (stdout_is_terminal()) {
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "NAME", name_width, "VERSION", version_width, "ARCH", arch_width, "ID");
  }
  for (const auto& p : packages) {
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", p.name, name_width, p.version, version_width, p.arch, arch_width,
               p.id.substr(7, 12));
  }
}

}  // namespace

void register_pkg_ls(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PkgLsArgs>();
  CLI::App* cmd = pkg.add_subcommand("ls", "List the packages in the store");
  cmd->footer(
      "Columns: name, version, arch, and the first 12 hex digits of the id.\n"
      "The header line is printed only when stdout is a terminal.");
  cmd->add_flag("--json", options->json, "Print a JSON array");
  cmd->callback([&context, options] { pkg_ls_command(context, *options); });
}

}  // namespace sheaf::cli
