// sheaf pkg import FILE.deb...|DIR: Debian packages become sheaf packages.
#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/host.hpp"
#include "cli/context.hpp"
#include "pkg/import_deb.hpp"

namespace sheaf::cli {

namespace {

struct PkgImportArgs {
  std::vector<std::string> operands;
  std::string max_file_size;
  std::string max_unpacked_size;
  bool json = false;
  unsigned jobs = 0;
};

// "512", "64K", "100M", "4G", "1T": bytes, with optional 1024-based suffixes.
std::uint64_t parse_size(const std::string& text, std::string_view option) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  unsigned shift = 0;
  if (suffix == "K" || suffix == "KiB")
    shift = 10;
  else if (suffix == "M" || suffix == "MiB")
    shift = 20;
  else if (suffix == "G" || suffix == "GiB")
    shift = 30;
  else if (suffix == "T" || suffix == "TiB")
    shift = 40;
  else if (!suffix.empty())
    ec = std::errc::invalid_argument;
  if (text.empty() || ec != std::errc() || end == text.data() || value > (~std::uint64_t{0} >> shift)) {
    fail_usage("{} {} must be a size such as 512, 64K, 100M or 4G", option, quote(text));
  }
  return value << shift;
}

nlohmann::json to_json(const pkg::ImportResult& result) {
  nlohmann::json out = package_json(result.id, result.package, result.metadata);
  out["file"] = result.file.string();
  out["entries"] = result.entries;
  out["size"] = result.size;
  out["origin"] = {{"type", "deb"}, {"sha256", result.deb_digest.hex()}, {"size", result.deb_size}};
  out["skipped_scripts"] = result.metadata.skipped_scripts;
  out["conffiles"] = result.metadata.conffiles;
  out["new"] = result.inserted;
  return out;
}

void pkg_import_command(Context& context, PkgImportArgs& options) {
  pkg::ImportOptions request;
  if (!options.max_file_size.empty()) {
    request.limits.max_file_size = parse_size(options.max_file_size, "--max-file-size");
  }
  if (!options.max_unpacked_size.empty()) {
    request.limits.max_unpacked_size = parse_size(options.max_unpacked_size, "--max-unpacked-size");
  }
  request.threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  auto files = pkg::expand_deb_operands(options.operands);  // a typo fails before the store is created
  auto store = context.open_store();

  std::size_t done = 0;
  if (stderr_is_terminal()) {
    request.on_file = [&](const std::filesystem::path&) {
      fmt::print(stderr, "\rimporting: {}/{}   ", ++done, files.size());
    };
  }
  std::vector<pkg::ImportResult> results = pkg::import_debs(*store, files, request);
  if (done != 0) fmt::print(stderr, "\r\033[K");

  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& result : results) out.push_back(to_json(result));
    fmt::print("{}\n", out.dump(2));
    return;
  }
  std::size_t added = 0;
  for (const auto& result : results) {
    added += result.inserted ? 1 : 0;
    fmt::print("{}\n", result.id.str());
  }
  fmt::print(stderr, "imported {} .deb files: {} new packages, {} already in the store\n", results.size(), added,
             results.size() - added);
}

}  // namespace

void register_pkg_import(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PkgImportArgs>();
  CLI::App* cmd = pkg.add_subcommand("import", "Import Debian binary packages (.deb) and print their ids");
  cmd->footer(
      "Each .deb becomes one package, in input order one id per line. data.tar streams\n"
      "straight into the store, rewritten to bookworm's merged-/usr layout (bin/, sbin/\n"
      "and lib*/ move under usr/), plus var/lib/dpkg/status.d/NAME and NAME.md5sums for\n"
      "scanners. Maintainer scripts are never run; their names are recorded. A .deb the\n"
      "store already holds is only hashed. Either every file imports or none does.");
  cmd->add_option("FILE", options->operands, ".deb files, or directories whose *.deb files to import")->required();
  cmd->add_option("-j,--jobs", options->jobs, "Files read at once (default: one per core)");
  cmd->add_option("--max-file-size", options->max_file_size,
                  "Refuse a .deb holding a file larger than this (default 4G)");
  cmd->add_option("--max-unpacked-size", options->max_unpacked_size,
                  "Refuse a .deb that unpacks to more than this (default 16G)");
  cmd->add_flag("--json", options->json, "Print each package's metadata as a JSON array instead of ids");
  cmd->callback([&context, options] { pkg_import_command(context, *options); });
}

}  // namespace sheaf::cli
