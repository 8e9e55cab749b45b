// sheaf pkg add DIR --name N --version V: package a directory.
#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/host.hpp"
#include "cli/context.hpp"
#include "pkg/add_directory.hpp"

namespace sheaf::cli {

namespace {

struct PkgAddArgs {
  pkg::AddDirectoryRequest request;
  std::string dir;
  std::string owner;
  bool json = false;
  unsigned jobs = 0;
};

// Prints "files read, bytes" on one stderr line at most ten times a second.
class Progress {
 public:
  void on_file(std::uint64_t size) {
    files_ += 1;
    bytes_ += size;
    auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock || now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    fmt::print(stderr, "\rreading: {} files, {}   ", files_.load(), human_bytes(bytes_.load()));
    shown_ = true;
  }
  ~Progress() {
    if (shown_) fmt::print(stderr, "\r\033[K");
  }

 private:
  std::atomic<std::uint64_t> files_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  bool shown_ = false;
};

nlohmann::json to_json(const pkg::AddResult& result) {
  nlohmann::json out = package_json(result.id, result.package, result.metadata);
  out["entries"] = result.entries;
  out["size"] = result.size;
  out["new"] = result.inserted;
  return out;
}

// "UID:GID", both decimal.
std::pair<std::uint32_t, std::uint32_t> parse_owner(const std::string& text) {
  auto number = [&](std::string_view part) {
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
      fail_usage("--owner {} must be UID:GID, two numbers, e.g. 0:0", quote(text));
    }
    return value;
  };
  auto colon = text.find(':');
  if (colon == std::string::npos) fail_usage("--owner {} must be UID:GID, two numbers, e.g. 0:0", quote(text));
  return {number(std::string_view(text).substr(0, colon)), number(std::string_view(text).substr(colon + 1))};
}

void pkg_add_command(Context& context, PkgAddArgs& options) {
  auto& request = options.request;
  if (!options.owner.empty()) request.owner = parse_owner(options.owner);
  if (request.arch.empty()) request.arch = host_debian_arch();
  pkg::make_package(request);  // a typo fails here, before the store is created
  auto store = context.open_store();
  request.dir = options.dir;
  request.threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  std::optional<Progress> progress;
  if (stderr_is_terminal()) {
    progress.emplace();
    request.on_file = [&](std::string_view, std::uint64_t size) { progress->on_file(size); };
  }
  pkg::AddResult result = pkg::add_directory(*store, request);
  progress.reset();

  if (options.json) {
    fmt::print("{}\n", to_json(result).dump(2));
    return;
  }
  if (result.inserted) {
    fmt::print(stderr,
               "added {} {} ({}): {} entries, {}; {} new objects ({}); {} files unchanged since an earlier add\n",
               result.package.name, result.package.version, result.package.arch, result.entries,
               human_bytes(result.size), result.new_objects, human_bytes(result.new_bytes), result.cached_files);
  } else {
    fmt::print(stderr, "{} {} ({}) was already in the store\n", result.package.name, result.package.version,
               result.package.arch);
  }
  fmt::print("{}\n", result.id.str());
}

}  // namespace

void register_pkg_add(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PkgAddArgs>();
  CLI::App* cmd = pkg.add_subcommand("add", "Store a directory as a package and print its id");
  cmd->footer(
      "The package id is the sha256 of the package document (name, version, arch,\n"
      "relations and FileSet id); mtimes never affect it. Symlinks are stored, never\n"
      "followed; hardlinks stay hardlinks. Device nodes, fifos and sockets are refused.");
  cmd->add_option("DIR", options->dir, "The directory whose contents become the package")->required();
  cmd->add_option("--name", options->request.name, "Package name (Debian rules: a-z 0-9 + - .)")->required();
  cmd->add_option("--version", options->request.version, "Version, [epoch:]upstream[-revision]")->required();
  cmd->add_option("--arch", options->request.arch, "Debian architecture (default: the host's)");
  cmd->add_option("--depends", options->request.depends, "Dependencies, e.g. \"a (>= 1), b | c\"");
  cmd->add_option("--provides", options->request.provides, "Virtual packages provided, e.g. \"mta\"");
  cmd->add_option("--conflicts", options->request.conflicts, "Conflicting packages");
  cmd->add_option("--license", options->request.metadata.license, "SPDX license expression")
      ->default_str("NOASSERTION");
  cmd->add_option("--homepage", options->request.metadata.homepage, "Homepage URL");
  cmd->add_option("--owner", options->owner, "Record every entry as owned by UID:GID (e.g. 0:0)");
  cmd->add_flag("--rehash", options->request.rehash,
                "Read and hash every file, even those the store knows to be unchanged");
  cmd->add_option("-j,--jobs", options->jobs, "Files read at once (default: one per core)");
  cmd->add_flag("--json", options->json, "Print the package metadata as JSON instead of the id");
  cmd->callback([&context, options] { pkg_add_command(context, *options); });
}

}  // namespace sheaf::cli
