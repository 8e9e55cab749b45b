// sheaf pkg sign PACKAGE --key KEY: a DSSE envelope vouching for the
// package id, kept in the store; sheaf pkg push carries it.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/passphrase.hpp"
#include "pipeline/package_trust.hpp"

namespace sheaf::cli {

namespace {

struct PkgSignFlags {
  std::string package;
  std::string key;
  std::string passphrase_file;
  bool json = false;
};

void sign(Context& context, const PkgSignFlags& flags) {
  pipeline::PackageSignOptions options{flags.package, flags.key, passphrase_for_reading(flags.passphrase_file, flags.key)};
  pipeline::Session session = context.session();
  pipeline::PackageSignResult r = pipeline::sign_package(session, options);
  if (flags.json) {
    nlohmann::json out = {{"package", {{"name", r.name}, {"version", r.version}, {"id", r.id}}},
                          {"envelope", r.envelope.str()},
                          {"key_id", r.key_id}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print(stderr, "signed {} {} ({}) with {}; sheaf pkg push carries the signature\n", r.name, r.version, r.id,
             r.key_id);
  fmt::print("{}\n", r.envelope.str());
}

}  // namespace

void register_pkg_sign(CLI::App& pkg, Context& context) {
  auto flags = std::make_shared<PkgSignFlags>();
  CLI::App* cmd = pkg.add_subcommand("sign", "Sign a package's id with a key (a DSSE envelope)");
  cmd->footer(
      "PACKAGE is NAME, NAME@VERSION, NAME:ARCH, sha256:<hex> or an id prefix.\n"
      "The signature is a DSSE envelope of the payload type\n"
      "application/vnd.dev.sheaf.package-signature.v1+json over {arch, name,\n"
      "package, version}, made with a key of sheaf key generate (or cosign). It is\n"
      "kept in the store; sheaf pkg push publishes it as a referrer of the package\n"
      "artifact, pulls take it along, sheaf pkg show lists it, and sheaf build checks\n"
      "it against the package policy. The envelope's digest is printed.");
  cmd->add_option("package", flags->package, "The package")->required();
  cmd->add_option("--key", flags->key, "The private key (cosign's encrypted format)")->required()->type_name("KEY");
  add_passphrase_flag(cmd, flags->passphrase_file);
  cmd->add_flag("--json", flags->json, "Print the result as JSON on stdout");
  cmd->callback([&context, flags] { sign(context, *flags); });
}

}  // namespace sheaf::cli
