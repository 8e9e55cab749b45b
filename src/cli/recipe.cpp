// sheaf recipe build RECIPE | lock RECIPE | hash PATH...: packages built
// from pinned sources in the sandbox (docs/formats/recipe.md).
#include <fmt/format.h>

#include "base/error.hpp"
#include "build/recipe_build.hpp"
#include "cli/context.hpp"
#include "cli/passphrase.hpp"
#include "pipeline/recipe.hpp"

namespace sheaf::cli {

namespace {

struct BuildOptions {
  std::string recipe;
  bool locked = false;
  bool rebuild = false;
  bool allow_unsigned = false;
  bool json = false;
  unsigned jobs = 0;
  std::string build_dir;
  std::string provenance_key;
  std::string passphrase_file;
};

void build(Context& context, const BuildOptions& options) {
  spec::Recipe recipe = spec::Recipe::load(options.recipe);
  pipeline::Session session = context.session();
  pipeline::RecipeBuildResult result = pipeline::build_recipe(
      session, recipe,
      {.locked = options.locked,
       .allow_unsigned = options.allow_unsigned,
       .rebuild = options.rebuild,
       .jobs = options.jobs,
       .build_dir = options.build_dir,
       .provenance_key = options.provenance_key,
       .passphrase = options.provenance_key.empty()
                         ? pipeline::Passphrase{}
                         : passphrase_for_reading(options.passphrase_file, options.provenance_key)});
  if (options.json) {
    fmt::print("{}\n", nlohmann::json{{"id", result.package_id},
                                      {"name", result.name},
                                      {"version", result.version},
                                      {"key", result.key},
                                      {"cached", result.cached}}
                           .dump());
    return;
  }
  fmt::print("{}\n", result.package_id);
}

struct LockOptions {
  std::string recipe;
  bool update = false;
  std::vector<std::string> names;
  bool allow_unsigned = false;
};

void lock(Context& context, const LockOptions& options) {
  if (!options.names.empty() && !options.update) fail_usage("package names are given only with --update NAME...");
  spec::Recipe recipe = spec::Recipe::load(options.recipe);
  pipeline::Session session = context.session();
  auto outcome = pipeline::lock_recipe(session, recipe,
                                       {.update_all = options.update && options.names.empty(),
                                        .update = options.names,
                                        .allow_unsigned = options.allow_unsigned});
  if (!outcome.resolved) {
    fmt::print(stderr, "{} is up to date ({}); --update resolves again\n", recipe.lock_path().string(),
               pipeline::count_packages(outcome.lock));
    return;
  }
  for (const auto& change : outcome.changes) fmt::print("{}\n", pipeline::describe(change));
  fmt::print(stderr, "{} {}: {}\n", outcome.written ? "wrote" : "unchanged", recipe.lock_path().string(),
             pipeline::count_packages(outcome.lock));
}

}  // namespace

void register_recipe(CLI::App& app, Context& context) {
  CLI::App* recipe = app.add_subcommand("recipe", "Build packages from pinned sources, hermetically");
  recipe->require_subcommand(1);

  auto build_options = std::make_shared<BuildOptions>();
  CLI::App* b = recipe->add_subcommand("build", "Build a recipe's package (or find it built) and print its id");
  b->footer(
      "Locks the build environment beside the recipe (NAME.toml -> NAME.lock) and\n"
      "fetches it, builds the recipes its environment names first, and answers from\n"
      "the store when a package was built from the same inputs (the recipe, its\n"
      "source pins, the environment's package ids). Otherwise the environment is\n"
      "composed like an image and mounted read-only, the sources are checked against\n"
      "their pins, and each step runs in a bubblewrap sandbox with no network; what\n"
      "the steps install under $DESTDIR becomes the package, depending on the\n"
      "packages whose shared libraries its ELF files link. The store keeps the\n"
      "recipe, the sources and a provenance statement (signed with --provenance-key)\n"
      "with the package, for sheaf rebuild. Needs root, as sheaf run does. The\n"
      "format: docs/formats/recipe.md; the provenance: docs/formats/provenance.md.");
  b->add_option("RECIPE", build_options->recipe, "The recipe file")->required()->type_name("RECIPE");
  b->add_flag("--locked", build_options->locked, "Fail instead of creating or changing an environment's lock");
  b->add_flag("--rebuild", build_options->rebuild, "Build even when the store has a package from the same inputs");
  b->add_flag("--allow-unsigned", build_options->allow_unsigned,
              "Accept repositories whose Release is unsigned (local test repositories)");
  b->add_flag("--json", build_options->json, "Print {id, name, version, key, cached}");
  b->add_option("-j,--jobs", build_options->jobs, "Threads (default: one per core)")->type_name("N");
  b->add_option("--build-dir", build_options->build_dir,
                "Make the build's directories under DIR (default: the store's tmp/)")
      ->type_name("DIR");
  b->add_option("--provenance-key", build_options->provenance_key,
                "Sign each built package's provenance statement with this private key (a DSSE envelope)")
      ->type_name("KEY");
  add_passphrase_flag(b, build_options->passphrase_file);
  b->callback([&context, build_options] { build(context, *build_options); });

  auto lock_options = std::make_shared<LockOptions>();
  CLI::App* l = recipe->add_subcommand("lock", "Resolve a recipe's build environment into its lock");
  l->add_option("RECIPE", lock_options->recipe, "The recipe file")->required()->type_name("RECIPE");
  l->add_flag("--update", lock_options->update, "Resolve again: everything, or only the NAMEs given");
  l->add_option("NAME", lock_options->names, "With --update: the packages to free");
  l->add_flag("--allow-unsigned", lock_options->allow_unsigned,
              "Accept repositories whose Release is unsigned (local test repositories)");
  l->callback([&context, lock_options] { lock(context, *lock_options); });

  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* h = recipe->add_subcommand("hash", "Print the pin a [[sources]] entry needs for each PATH");
  h->footer(
      "A file's sha256 (for sha256 = ...), or a directory's FileSet id with every owner\n"
      "root's and no extended attributes (for fileset = ...).");
  h->add_option("PATH", *paths, "Files or directories")->required();
  h->callback([paths] {
    for (const auto& p : *paths) fmt::print("{}  {}\n", build::pin_of(p), p);
  });
}

}  // namespace sheaf::cli
