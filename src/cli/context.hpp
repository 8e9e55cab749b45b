// What every command shares: global options, the store, output conventions
// and exit codes (README.md, "Exit codes").
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "image/effects.hpp"
#include "pkg/package.hpp"
#include "repo/fetcher.hpp"
#include "repo/locking.hpp"
#include "repo/repository.hpp"
#include "store/local_store.hpp"

namespace sheaf::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFound = 1,    // the command worked and found something (damage, findings)
  kExitUsage = 2,    // bad command line or arguments
  kExitFailure = 3,  // any other error
};

struct Context {
  std::optional<std::string> store_option;  // --store
  int exit_code = kExitOk;

  // Opens the store named by --store, $SHEAF_STORE, $XDG_DATA_HOME or $HOME,
  // creating it on first use.
  std::unique_ptr<store::LocalStore> open_store() const;
};

// Resolves NAME[@VERSION]|ID (pkg::resolve_package) and, when a bare name
// chose among several versions, says which on stderr.
store::PackageRecord resolve_package_ref(store::LocalStore& store, std::string_view ref);

bool stdout_is_terminal();
bool stderr_is_terminal();

// "4.2 KiB", "61.0 MiB": sizes for people (1024-based).
std::string human_bytes(std::uint64_t bytes);

// The JSON form of a package that `pkg add`, `pkg import` and `pkg show`
// print: identity, relations and every metadata field that is set.
nlohmann::json package_json(const Digest& id, const pkg::Package& package, const pkg::PackageMetadata& metadata);

// Lock changes as `sheaf lock` prints them: "+ NAME VERSION",
// "- NAME VERSION", "~ NAME OLD -> NEW".
void print_lock_changes(std::FILE* out, const std::vector<repo::LockChange>& changes);

// "suggestion: include PACKAGE (REASON)" on stderr: the exact form scripts
// and CI read (image/effects.hpp).
void print_suggestion(const image::Suggestion& suggestion);

// SOURCE_DATE_EPOCH, when set: what `created` is for build and update.
// Throws a usage Error when it is not a number of seconds.
std::optional<std::int64_t> source_date_epoch();

// Fetches and imports the locked packages the store lacks, with a progress
// bar when stderr is a terminal, and says what it fetched.
void fetch_with_progress(store::LocalStore& store, const repo::Lockfile& lock,
                         const std::vector<repo::SuiteSource>& suites, const repo::NetworkSettings& network,
                         unsigned threads);

// "; 3 more came from other sheaf processes ...": what a fetch shared, or
// empty.
std::string shared_summary(const repo::FetchReport& report);

// The store's package for each locked .deb, found by origin (the .deb's
// sha256 and size), in lock order.
std::vector<std::string> locked_package_ids(store::LocalStore& store, const repo::Lockfile& lock);

// A one-line bar on stderr, redrawn at most ten times a second (and always
// when `force`). Commands draw it only when stderr is a terminal.
class ProgressBar {
 public:
  void update(double fraction, const std::string& text, bool force = false);
  // Erases the bar, if one was drawn.
  void finish();

 private:
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

// Every verb registers itself on its parent command.
void register_pkg_add(CLI::App& pkg, Context& context);
void register_pkg_import(CLI::App& pkg, Context& context);
void register_pkg_ls(CLI::App& pkg, Context& context);
void register_pkg_show(CLI::App& pkg, Context& context);
void register_pkg_rm(CLI::App& pkg, Context& context);
void register_pkg_files(CLI::App& pkg, Context& context);
void register_lock(CLI::App& app, Context& context);
void register_fetch(CLI::App& app, Context& context);
void register_build(CLI::App& app, Context& context);
void register_image_rm(CLI::App& image, Context& context);
void register_run(CLI::App& app, Context& context);
void register_image_export(CLI::App& image, Context& context);
void register_image_update(CLI::App& image, Context& context);
void register_image_diff(CLI::App& image, Context& context);
void register_which(CLI::App& app, Context& context);
void register_sbom(CLI::App& app, Context& context);
void register_audit(CLI::App& app, Context& context);
void register_image_ls(CLI::App& image, Context& context);
void register_image_show(CLI::App& image, Context& context);
void register_store_verify(CLI::App& store, Context& context);
void register_store_gc(CLI::App& store, Context& context);
void register_store_du(CLI::App& store, Context& context);

}  // namespace sheaf::cli
