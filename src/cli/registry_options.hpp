// The options push and pull share, as podman and skopeo spell them.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "pipeline/trust.hpp"
#include "registry/client.hpp"

namespace sheaf::cli {

struct RegistryFlags {
  std::string authfile;
  std::string cert_dir;
  bool tls_verify = true;
  long timeout = 30;
  unsigned retries = 3;
  std::uint64_t chunk_size = std::uint64_t{16} << 20;
  unsigned jobs = 4;
  bool json = false;
};

inline void add_registry_flags(CLI::App* cmd, RegistryFlags& flags) {
  cmd->add_option("--authfile", flags.authfile,
                  "Credentials from this file only (auth.json format), instead of $REGISTRY_AUTH_FILE, "
                  "${XDG_RUNTIME_DIR}/containers/auth.json, ~/.config/containers/auth.json and ~/.docker/config.json")
      ->type_name("FILE");
  cmd->add_option("--cert-dir", flags.cert_dir,
                  "CA certificates (*.crt) and a client certificate (*.cert, *.key) for the registry, instead of "
                  "/etc/containers/certs.d/HOST[:PORT]/")
      ->type_name("DIR");
  cmd->add_option("--tls-verify", flags.tls_verify,
                  "Verify the registry's certificate and require https (default true; plain http is allowed to "
                  "loopback hosts anyway)")
      ->type_name("BOOL");
  cmd->add_option("--timeout", flags.timeout,
                  "Give up on a connection, or on a request that receives nothing, after this many seconds "
                  "(default 30); each retry waits as long again")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--retries", flags.retries, "Retries of a request that failed transiently (default 3)")
      ->check(CLI::Range(0, 20));
  cmd->add_option("-j,--jobs", flags.jobs, "Blobs transferred at once (default 4)")->check(CLI::Range(1, 64));
  cmd->add_flag("--json", flags.json, "Print the result as JSON on stdout");
}

// --policy and --registries.d, as skopeo spells them.
struct TrustFlags {
  std::string policy;
  std::string registries_d;
};

inline void add_policy_flag(CLI::App* cmd, TrustFlags& flags) {
  cmd->add_option("--policy", flags.policy,
                  "The trust policy (containers-policy.json format), instead of $HOME/.config/containers/policy.json "
                  "or /etc/containers/policy.json; with neither, every image is accepted")
      ->type_name("FILE");
}

inline void add_registries_d_flag(CLI::App* cmd, TrustFlags& flags) {
  cmd->add_option("--registries.d", flags.registries_d,
                  "Where the lookaside stores of signatures are named (containers-registries.d format), instead of "
                  "$HOME/.config/containers/registries.d or /etc/containers/registries.d")
      ->type_name("DIR");
}

inline pipeline::TrustOptions trust_options(const TrustFlags& flags) {
  pipeline::TrustOptions options;
  if (!flags.policy.empty()) options.policy = flags.policy;
  if (!flags.registries_d.empty()) options.registries_d = flags.registries_d;
  return options;
}

inline registry::Options registry_options(const RegistryFlags& flags) {
  registry::Options options;
  if (!flags.authfile.empty()) options.authfile = flags.authfile;
  if (!flags.cert_dir.empty()) options.cert_dir = flags.cert_dir;
  options.tls_verify = flags.tls_verify;
  options.timeout_seconds = flags.timeout;
  options.retries = flags.retries;
  options.chunk_size = flags.chunk_size;
  return options;
}

}  // namespace sheaf::cli
