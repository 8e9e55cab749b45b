// sheaf key generate: a key pair for sigstore signatures and DSSE envelopes,
// in the formats cosign uses (docs/formats/keys.md).
#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/passphrase.hpp"
#include "pipeline/trust.hpp"

namespace sheaf::cli {

namespace {

struct KeyGenerateFlags {
  std::string algorithm = "ecdsa-p256";
  std::string prefix = "sheaf";
  std::string passphrase_file;
  bool no_passphrase = false;
  bool force = false;
  bool json = false;
};

void generate(const KeyGenerateFlags& flags) {
  pipeline::KeyGenerateOptions options;
  auto algorithm = sign::parse_key_algorithm(flags.algorithm);
  if (!algorithm) fail_usage("--algorithm takes ecdsa-p256 or ed25519, not {}", quote(flags.algorithm));
  options.algorithm = *algorithm;
  options.prefix = flags.prefix;
  options.force = flags.force;
  if (flags.no_passphrase) {
    if (!flags.passphrase_file.empty()) fail_usage("--no-passphrase and --passphrase-file exclude each other");
    options.passphrase = "";
  } else if (auto given = given_passphrase(flags.passphrase_file)) {
    options.passphrase = *given;
  } else if (auto asked = ask_passphrase("Passphrase for the new private key: ", true)) {
    options.passphrase = *asked;
  } else {
    fail_usage("no passphrase for the private key: give --passphrase-file FILE, set {}, run on a terminal to be "
               "asked, or give --no-passphrase for a key without one",
               kPassphraseEnv);
  }
  pipeline::KeyGenerateResult r = pipeline::generate_key(options);
  if (flags.json) {
    nlohmann::json out = {{"private_key", r.private_key.string()},
                          {"public_key", r.public_key.string()},
                          {"algorithm", std::string(sign::flag_name(options.algorithm))},
                          {"key_id", r.key_id}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print(stderr, "wrote the {} private key {} ({}) and its public key {}\n", sign::describe(options.algorithm),
             r.private_key.string(), options.passphrase.empty() ? "no passphrase" : "sealed with the passphrase",
             r.public_key.string());
  fmt::print("{}\n", r.key_id);
}

}  // namespace

void register_key(CLI::App& app, Context&) {
  CLI::App* key = app.add_subcommand("key", "Make keys for sigstore signatures and signed envelopes");
  key->require_subcommand(1);
  auto flags = std::make_shared<KeyGenerateFlags>();
  CLI::App* cmd = key->add_subcommand("generate", "Write a new key pair: PREFIX.key and PREFIX.pub");
  cmd->footer(
      "PREFIX.pub is the public key as PEM (SubjectPublicKeyInfo): what policy.json's\n"
      "sigstoreSigned keyPath and sheaf verify --key take. PREFIX.key is the private\n"
      "key in cosign's encrypted format (scrypt and NaCl secretbox; mode 0600), which\n"
      "sheaf sign --key, sheaf pkg sign, cosign and skopeo\n"
      "--sign-by-sigstore-private-key read. The passphrase comes from\n"
      "--passphrase-file, $SHEAF_PASSPHRASE or the terminal; --no-passphrase seals\n"
      "the key with the empty passphrase (for CI). The key's id, sha256 of the public\n"
      "key's DER form, is printed. Existing files are not replaced without --force.");
  cmd->add_option("--algorithm", flags->algorithm, "ecdsa-p256 (cosign's default) or ed25519")
      ->type_name("ALGORITHM")
      ->capture_default_str();
  cmd->add_option("-o,--output-prefix", flags->prefix, "Write PREFIX.key and PREFIX.pub")
      ->type_name("PREFIX")
      ->capture_default_str();
  add_passphrase_flag(cmd, flags->passphrase_file);
  cmd->add_flag("--no-passphrase", flags->no_passphrase, "Seal the private key with the empty passphrase");
  cmd->add_flag("--force", flags->force, "Replace existing key files");
  cmd->add_flag("--json", flags->json, "Print the result as JSON on stdout");
  cmd->callback([flags] { generate(*flags); });
}

}  // namespace sheaf::cli
