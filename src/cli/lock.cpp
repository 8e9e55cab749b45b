// sheaf lock [-f sheaf.toml] [--update [NAME...]] [--check]: resolve the
// spec's closure into sheaf.lock.
#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "pipeline/lock.hpp"

namespace sheaf::cli {

namespace {

struct LockArgs {
  std::string spec = "sheaf.toml";
  bool update = false;
  std::vector<std::string> names;
  bool check = false;
  bool allow_unsigned = false;
};

void check(Context& context, const spec::Spec& spec) {
  pipeline::LockCheck check = pipeline::check_lock(spec);
  if (!check.exists) {
    fmt::print("{} does not exist; run 'sheaf lock'\n", check.path.string());
    context.exit_code = kExitFound;
    return;
  }
  if (check.problems.empty()) {
    fmt::print("{} satisfies {}\n", check.path.string(), spec.path.string());
    return;
  }
  fmt::print("{} no longer satisfies {}:\n", check.path.string(), spec.path.string());
  for (const auto& problem : check.problems) fmt::print("  - {}\n", problem);
  context.exit_code = kExitFound;
}

void lock_command(Context& context, const LockArgs& options) {
  if (options.check && (options.update || !options.names.empty()))
    fail_usage("--check cannot be combined with --update");
  if (!options.names.empty() && !options.update) fail_usage("package names are given only with --update NAME...");
  auto spec = spec::Spec::load(options.spec);
  if (options.check) return check(context, spec);

  pipeline::Session session = context.session();
  auto outcome = pipeline::lock(session, spec,
                                {.update_all = options.update && options.names.empty(),
                                 .update = options.names,
                                 .allow_unsigned = options.allow_unsigned});

  auto path = repo::lock_path_for(spec);
  if (!outcome.resolved) {
    fmt::print(stderr, "{} is up to date ({}); --update resolves again\n", path.string(),
               pipeline::count_packages(outcome.lock));
    return;
  }
  for (const auto& change : outcome.changes) fmt::print("{}\n", pipeline::describe(change));
  fmt::print(stderr, "{} {}: {} from {} suites ({} candidates, {} repository files downloaded)\n",
             outcome.written ? "wrote" : "unchanged", path.string(), pipeline::count_packages(outcome.lock),
             outcome.suites, outcome.candidates, outcome.downloads);
}

}  // namespace

void register_lock(CLI::App& app, Context& context) {
  auto options = std::make_shared<LockArgs>();
  CLI::App* cmd = app.add_subcommand("lock", "Resolve the spec's packages into sheaf.lock");
  cmd->footer(
      "Reads [source.debian] and [packages] from the spec, verifies each suite's\n"
      "InRelease with gpgv and its Packages index against the Release, resolves the\n"
      "closure with libsolv and writes sheaf.lock beside the spec. A lock that still\n"
      "satisfies the spec is kept as it is, without touching the network; when the spec\n"
      "changed, the old lock's versions are kept wherever they still fit.\n"
      "With no mirror in the spec, each suite comes from the host's apt sources, using\n"
      "apt's proxy and auth.conf. Changes print as '+ NAME VERSION', '- NAME VERSION'\n"
      "and '~ NAME OLD -> NEW'.\n"
      "An include entry docker://HOST/REPO:TAG is a registry package: its artifact is\n"
      "locked by digest and package id, and stays there (read from the store, offline)\n"
      "until --update NAME looks the tag up again.\n"
      "--check exits 1 when the lock no longer satisfies the spec.");
  cmd->add_option("-f,--file", options->spec, "The spec (default: sheaf.toml)")->type_name("SPEC");
  cmd->add_flag("--update", options->update, "Resolve again: everything, or only the NAMEs given");
  cmd->add_option("NAME", options->names, "With --update: the packages to free");
  cmd->add_flag("--check", options->check, "Exit 1 when the lock no longer satisfies the spec; change nothing");
  cmd->add_flag("--allow-unsigned", options->allow_unsigned,
                "Accept repositories whose Release is unsigned or fails verification (local test repositories)");
  cmd->callback([&context, options] { lock_command(context, *options); });
}

}  // namespace sheaf::cli
