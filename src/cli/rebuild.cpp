// sheaf rebuild PACKAGE [--attest --key KEY]: the package built again from
// the record its build kept, in a fresh sandbox, and the ids compared.
#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "cli/passphrase.hpp"
#include "pipeline/recipe.hpp"

namespace sheaf::cli {

namespace {

struct RebuildArgs {
  std::string package;
  bool attest = false;
  std::string key;
  std::string passphrase_file;
  unsigned jobs = 0;
  std::string build_dir;
  bool json = false;
};

// How many differences a failed rebuild lists before it counts the rest.
constexpr std::size_t kShownDifferences = 40;

void rebuild_command(Context& context, const RebuildArgs& args) {
  if (args.attest && args.key.empty()) fail_usage("--attest needs --key KEY: the attestation is signed");
  if (!args.attest && !args.key.empty()) fail_usage("--key is for --attest");
  pipeline::RebuildOptions options{
      args.package,
      args.jobs,
      args.build_dir,
      args.attest,
      args.key,
      args.key.empty() ? pipeline::Passphrase{} : passphrase_for_reading(args.passphrase_file, args.key)};
  pipeline::Session session = context.session();
  pipeline::RebuildResult r = pipeline::rebuild_package(session, options);
  if (args.json) {
    nlohmann::json out = {{"package", {{"name", r.name}, {"version", r.version}, {"id", r.id}}},
                          {"rebuilt", r.rebuilt_id},
                          {"equal", r.equal},
                          {"differences", r.differences}};
    if (r.attestation) out["attestation"] = {{"envelope", r.attestation->str()}, {"key_id", r.key_id}};
    fmt::print("{}\n", out.dump(2));
    if (!r.equal) context.exit_code = kExitFound;
    return;
  }
  if (!r.equal) {
    std::string listed;
    for (std::size_t i = 0; i < r.differences.size() && i < kShownDifferences; ++i) {
      listed += "\n  - " + r.differences[i];
    }
    if (r.differences.size() > kShownDifferences) {
      listed += fmt::format("\n  ... and {} more (--json lists all)", r.differences.size() - kShownDifferences);
    }
    context.error_exit_code = kExitFound;  // a finding, as store verify's damage is
    fail("the rebuild of {} {} gave {}, not its id {}: the build is not reproducible. What differs:{}", r.name,
         r.version, r.rebuilt_id, r.id, listed);
  }
  fmt::print(stderr, "rebuilt {} {}: the same package ({})\n", r.name, r.version, r.id);
  if (r.attestation) {
    fmt::print(stderr, "attested with {}; sheaf pkg push publishes the attestation\n", r.key_id);
    fmt::print("{}\n", r.attestation->str());
  } else {
    fmt::print("{}\n", r.id);
  }
}

}  // namespace

void register_rebuild(CLI::App& app, Context& context) {
  auto args = std::make_shared<RebuildArgs>();
  CLI::App* cmd =
      app.add_subcommand("rebuild", "Build a package again from its recorded recipe and inputs, and compare");
  cmd->footer(
      "PACKAGE is NAME, NAME@VERSION, NAME:ARCH, sha256:<hex> or an id prefix: a\n"
      "package that sheaf recipe build (or sheaf build) built in this store, which\n"
      "keeps its recipe, sources and provenance statement with it. The rebuild uses\n"
      "exactly those and the environment's recorded package ids, resolves and fetches\n"
      "nothing, and runs in a fresh sandbox and build directory. When the ids differ\n"
      "it fails (exit 1) and names each file that differs; with --json it prints\n"
      "every difference. With --attest --key KEY an equal rebuild is attested: a DSSE\n"
      "envelope of an in-toto statement (docs/formats/provenance.md) kept with the\n"
      "package; sheaf pkg push publishes it, sheaf pkg show lists it, and the\n"
      "package policy can require rebuilds by trusted keys. Needs root, as recipe\n"
      "builds do.");
  cmd->add_option("package", args->package, "The package")->required();
  cmd->add_flag("--attest", args->attest, "Sign a \"rebuilt and equal\" attestation when the ids match");
  cmd->add_option("--key", args->key, "The private key that signs the attestation")->type_name("KEY");
  add_passphrase_flag(cmd, args->passphrase_file);
  cmd->add_option("-j,--jobs", args->jobs, "Threads (default: one per core)")->type_name("N");
  cmd->add_option("--build-dir", args->build_dir, "Make the build's directories under DIR (default: the store's tmp/)")
      ->type_name("DIR");
  cmd->add_flag("--json", args->json, "Print {package, rebuilt, equal, differences, attestation}");
  cmd->callback([&context, args] { rebuild_command(context, *args); });
}

}  // namespace sheaf::cli
