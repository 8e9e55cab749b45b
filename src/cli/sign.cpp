// sheaf sign IMAGE --identity docker://REF --sign-by FPR: a simple signature
// kept in the store; sheaf verify IMAGE|docker://REF: its signatures checked
// against a keyring or the trust policy.
#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/registry_options.hpp"
#include "pipeline/trust.hpp"

namespace sheaf::cli {

namespace {

struct SignFlags {
  std::string image;
  std::string identity;
  std::string sign_by;
  bool json = false;
};

void sign(Context& context, const SignFlags& flags) {
  pipeline::Session session = context.session();
  pipeline::SignResult r = pipeline::sign_image(session, {flags.image, flags.identity, flags.sign_by});
  if (flags.json) {
    nlohmann::json out = {{"digest", r.manifest.str()}, {"signature", r.signature.str()}, {"identity", r.identity}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print(stderr, "signed {} for {} with {}; sheaf push writes it to the lookaside staging store\n",
             r.manifest.str(), r.identity, flags.sign_by);
  fmt::print("{}\n", r.signature.str());
}

struct VerifyFlags {
  std::string target;
  std::string keyring;
  TrustFlags trust;
  RegistryFlags registry;
};

void verify(Context& context, const VerifyFlags& flags) {
  pipeline::VerifyOptions options;
  options.target = flags.target;
  if (!flags.keyring.empty()) options.keyring = flags.keyring;
  options.trust = trust_options(flags.trust);
  options.registry = registry_options(flags.registry);
  pipeline::Session session = context.session();
  pipeline::VerifyResult r = pipeline::verify(session, options);
  if (!r.accepted) context.exit_code = kExitFailure;
  if (flags.registry.json) {
    nlohmann::json signatures = nlohmann::json::array();
    for (const auto& s : r.signatures) {
      signatures.push_back({{"blob", s.blob.str()},
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
      fmt::print("  {}: good, by {}, for {}\n", i + 1, s.check.signer, s.check.identity);
    } else {
      fmt::print("  {}: {}\n", i + 1, s.check.problem);
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
  CLI::App* cmd = app.add_subcommand("sign", "Sign a stored image with a GnuPG key (simple signing)");
  cmd->footer(
      "Makes a simple signature, as skopeo copy --sign-by does: gpg signs a JSON\n"
      "payload naming the image's manifest digest and the reference it is signed for,\n"
      "with your keyring and agent. The signature is kept in the store with the\n"
      "image; sheaf push writes it to the lookaside-staging directory that\n"
      "registries.d names for the destination. The signature's digest is printed.\n"
      "A signature never changes the image's digest.");
  cmd->add_option("image", flags->image, "The image: NAME[:TAG], a digest or its prefix")->required();
  cmd->add_option("--identity", flags->identity,
                  "The reference the image is signed for, as it will be pulled: docker://HOST[:PORT]/REPO[:TAG]")
      ->required()
      ->type_name("docker://REF");
  cmd->add_option("--sign-by", flags->sign_by, "The fingerprint of your GnuPG key to sign with")
      ->required()
      ->type_name("FINGERPRINT");
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
      "With --gpg-keyring, each signature is checked against those keys, for this\n"
      "manifest and, for a registry image, for its reference (matchRepoDigestOrExact).\n"
      "Without it, the image is checked as sheaf pull and sheaf run check it: under\n"
      "the trust policy. Exit status 0 when accepted, 3 when not.");
  cmd->add_option("target", flags->target, "NAME[:TAG], a digest, or docker://...")->required();
  cmd->add_option("--gpg-keyring", flags->keyring, "Public keys (binary or armored) to check the signatures with")
      ->type_name("FILE");
  add_policy_flag(cmd, flags->trust);
  add_registries_d_flag(cmd, flags->trust);
  add_registry_flags(cmd, flags->registry);
  cmd->callback([&context, flags] { verify(context, *flags); });
}

}  // namespace sheaf::cli
