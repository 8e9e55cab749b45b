// sheaf sign IMAGE --identity docker://REF (--sign-by FPR | --key KEY): a
// simple or sigstore signature kept in the store; sheaf verify
// IMAGE|docker://REF: its signatures checked against a keyring, a public key
// or the trust policy.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/passphrase.hpp"
#include "cli/registry_options.hpp"
#include "pipeline/trust.hpp"

namespace sheaf::cli {

namespace {

struct SignFlags {
  std::string image;
  std::string identity;
  std::string sign_by;
  std::string key;
  std::string passphrase_file;
  bool json = false;
};

void sign(Context& context, const SignFlags& flags) {
  pipeline::SignOptions options{flags.image, flags.identity, flags.sign_by, flags.key, {}};
  if (!flags.key.empty()) options.passphrase = passphrase_for_reading(flags.passphrase_file, flags.key);
  pipeline::Session session = context.session();
  pipeline::SignResult r = pipeline::sign_image(session, options);
  if (flags.json) {
    nlohmann::json out = {{"digest", r.manifest.str()}, {"signature", r.signature.str()}, {"identity", r.identity},
                          {"kind", r.kind},             {"signer", r.signer}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print(stderr, "signed {} for {} with {} ({} signature); sheaf push writes it {}\n", r.manifest.str(),
             r.identity, r.signer, r.kind,
             r.kind == "sigstore" ? "to the registry as the image's .sig tag" : "to the lookaside staging store");
  fmt::print("{}\n", r.signature.str());
}

struct VerifyFlags {
  std::string target;
  std::string keyring;
  std::string key;
  TrustFlags trust;
  RegistryFlags registry;
};

void verify(Context& context, const VerifyFlags& flags) {
  pipeline::VerifyOptions options;
  options.target = flags.target;
  if (!flags.keyring.empty()) options.keyring = flags.keyring;
  if (!flags.key.empty()) options.key = flags.key;
  options.trust = trust_options(flags.trust);
  options.registry = registry_options(flags.registry);
  pipeline::Session session = context.session();
  pipeline::VerifyResult r = pipeline::verify(session, options);
  if (!r.accepted) context.exit_code = kExitFailure;
  if (flags.registry.json) {
    nlohmann::json signatures = nlohmann::json::array();
    for (const auto& s : r.signatures) {
      signatures.push_back({{"blob", s.blob.str()},
                            {"kind", s.kind},
                            {"accepted", s.check.accepted},
                            {"signer", s.check.signer},
                            {"identity", s.check.identity},
                            {"problem", s.check.problem}});
    }
    nlohmann::json out = {{"image", r.label},       {"digest", r.manifest.str()},  {"accepted", r.accepted},
                          {"policy", r.policy_file}, {"scope", r.scope},           {"reason", r.reason},
                          {"signatures", signatures}, {"signatures_from", r.signatures_from}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{} {}\n", r.label, r.manifest.str());
  fmt::print("signatures from {}: {}\n", r.signatures_from, r.signatures.size());
  for (std::size_t i = 0; i < r.signatures.size(); ++i) {
    const auto& s = r.signatures[i];
    if (s.check.accepted) {
      fmt::print("  {} ({}): good, by {}, for {}\n", i + 1, s.kind, s.check.signer, s.check.identity);
    } else {
      fmt::print("  {} ({}): {}\n", i + 1, s.kind, s.check.problem);
    }
  }
  if (!r.policy_file.empty()) fmt::print("policy {} (scope {})\n", r.policy_file, r.scope);
  if (r.accepted) {
    fmt::print("accepted{}\n", r.reason.empty() ? "" : ": " + r.reason);
  } else {
    fmt::print("refused\n");
    fmt::print(stderr, "sheaf: {}\n", r.reason);
  }
}

}  // namespace

void register_sign(CLI::App& app, Context& context) {
  auto flags = std::make_shared<SignFlags>();
  CLI::App* cmd = app.add_subcommand("sign", "Sign a stored image: simple signing (GnuPG) or sigstore (a key)");
  cmd->footer(
      "Both kinds sign a JSON payload naming the image's manifest digest and the\n"
      "reference it is signed for, and are kept in the store with the image.\n"
      "--sign-by FINGERPRINT makes a simple signature, as skopeo copy --sign-by does,\n"
      "with your GnuPG keyring and agent; sheaf push writes it to the\n"
      "lookaside-staging directory that registries.d names for the destination.\n"
      "--key KEY makes a sigstore signature, as cosign sign --key does, with a key of\n"
      "sheaf key generate or cosign generate-key-pair; sheaf push adds it to the\n"
      "registry's sha256-<hex>.sig manifest beside the image. The passphrase comes\n"
      "from --passphrase-file, $SHEAF_PASSPHRASE, or the terminal (a key without one\n"
      "needs none). The signature's digest is printed. A signature never changes the\n"
      "image's digest.");
  cmd->add_option("image", flags->image, "The image: NAME[:TAG], a digest or its prefix")->required();
  cmd->add_option("--identity", flags->identity,
                  "The reference the image is signed for, as it will be pulled: docker://HOST[:PORT]/REPO[:TAG]")
      ->required()
      ->type_name("docker://REF");
  auto* sign_by = cmd->add_option("--sign-by", flags->sign_by, "The fingerprint of your GnuPG key to sign with")
                      ->type_name("FINGERPRINT");
  auto* key = cmd->add_option("--key", flags->key, "A private key (cosign's encrypted format) for a sigstore signature")
                  ->type_name("KEY");
  sign_by->excludes(key);
  key->excludes(sign_by);
  add_passphrase_flag(cmd, flags->passphrase_file);
  cmd->add_flag("--json", flags->json, "Print the result as JSON on stdout");
  cmd->callback([&context, flags] { sign(context, *flags); });
}

void register_verify(CLI::App& app, Context& context) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app.add_subcommand("verify", "Check an image's signatures against a keyring or the trust policy");
  cmd->footer(
      "TARGET is a stored image (its signatures are those sheaf sign made or sheaf\n"
      "pull kept) or docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX] (the registry's\n"
      "manifest, and the signatures of the lookaside store registries.d names).\n"
      "A registry image's sigstore signatures are those of its sha256-<hex>.sig tag.\n"
      "With --gpg-keyring (simple signatures) or --key (sigstore signatures), each\n"
      "signature is checked against those keys, for this manifest and, for a registry\n"
      "image, for its reference (matchRepoDigestOrExact); one good signature accepts.\n"
      "Without them, the image is checked as sheaf pull and sheaf run check it: under\n"
      "the trust policy. Exit status 0 when accepted, 3 when not.");
  cmd->add_option("target", flags->target, "NAME[:TAG], a digest, or docker://...")->required();
  cmd->add_option("--gpg-keyring", flags->keyring, "Public keys (binary or armored) to check the signatures with")
      ->type_name("FILE");
  cmd->add_option("--key", flags->key, "A public key (PEM, ECDSA P-256 or Ed25519) to check sigstore signatures with")
      ->type_name("PUB");
  add_policy_flag(cmd, flags->trust);
  add_registries_d_flag(cmd, flags->trust);
  add_registry_flags(cmd, flags->registry);
  cmd->callback([&context, flags] { verify(context, *flags); });
}

}  // namespace sheaf::cli
