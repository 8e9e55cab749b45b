// What every command shares: global options, the store, output conventions
// and exit codes (README.md, "Exit codes").
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/text.hpp"
#include "oci/documents.hpp"
#include "pipeline/session.hpp"
#include "pkg/package.hpp"
#include "store/local_store.hpp"

namespace sheaf::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFound = 1,    // the command worked and found something (damage, findings)
  kExitUsage = 2,    // bad command line or arguments
  kExitFailure = 3,  // any other error
};

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

// What the pipeline reports, on stderr: "warning: ...", notes as they are,
// "suggestion: include PACKAGE (REASON)" (the exact form scripts and CI
// read), and progress bars when stderr is a terminal. Reports may come from
// several threads (a fetch's workers); one at a time is printed.
class TerminalReporter : public pipeline::Reporter {
 public:
  void warning(const std::string& text) override;
  void note(const std::string& text) override;
  void suggestion(const image::Suggestion& suggestion) override;
  void progress(const pipeline::Progress& progress) override;
  void progress_end() override;

 private:
  std::mutex mutex_;
  ProgressBar bar_;
};

struct Context {
  std::optional<std::string> store_option;  // --store
  int exit_code = kExitOk;
  // The exit code of an error, when a verb has its own (sheaf run: 125).
  std::optional<int> error_exit_code;
  TerminalReporter reporter;

  // Opens the store named by --store, $SHEAF_STORE, $XDG_DATA_HOME or $HOME,
  // creating it on first use.
  std::unique_ptr<store::LocalStore> open_store() const;
  // A pipeline session on that store (opened when first needed), reporting
  // to stderr.
  pipeline::Session session();
};

// Resolves NAME[@VERSION]|ID (pkg::resolve_package) and, when a bare name
// chose among several versions, says which on stderr.
store::PackageRecord resolve_package_ref(store::LocalStore& store, std::string_view ref);

// --platform OS/ARCH[/VARIANT]: which image of an index a command means
// (image/image_index.hpp). `help` says what it does without one.
CLI::Option* add_platform_option(CLI::App* cmd, std::string& platform, const std::string& help);
// The option's value, parsed (oci::parse_platform); nullopt when not given.
std::optional<oci::Platform> platform_option(const std::string& platform);

bool stdout_is_terminal();
bool stderr_is_terminal();

// The JSON form of a package that `pkg add`, `pkg import` and `pkg show`
// print: identity, relations and every metadata field that is set.
nlohmann::json package_json(const Digest& id, const pkg::Package& package, const pkg::PackageMetadata& metadata);

// Every verb registers itself on its parent command.
void register_pkg_add(CLI::App& pkg, Context& context);
void register_pkg_import(CLI::App& pkg, Context& context);
void register_pkg_ls(CLI::App& pkg, Context& context);
void register_pkg_show(CLI::App& pkg, Context& context);
void register_pkg_rm(CLI::App& pkg, Context& context);
void register_pkg_push(CLI::App& pkg, Context& context);
void register_pkg_pull(CLI::App& pkg, Context& context);
void register_pkg_files(CLI::App& pkg, Context& context);
void register_lock(CLI::App& app, Context& context);
void register_fetch(CLI::App& app, Context& context);
void register_push(CLI::App& app, Context& context);
void register_pull(CLI::App& app, Context& context);
void register_sign(CLI::App& app, Context& context);
void register_verify(CLI::App& app, Context& context);
void register_key(CLI::App& app, Context& context);
void register_pkg_sign(CLI::App& pkg, Context& context);
void register_build(CLI::App& app, Context& context);
void register_recipe(CLI::App& app, Context& context);
void register_rebuild(CLI::App& app, Context& context);
void register_image_rm(CLI::App& image, Context& context);
void register_run(CLI::App& app, Context& context);
void register_trim(CLI::App& app, Context& context);
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
