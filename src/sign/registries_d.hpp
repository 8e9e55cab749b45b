// Where simple signatures live: the lookaside stores that containers'
// registries.d names (containers-registries.d(5)). Each *.yaml file of the
// directory may give `default-docker` and `docker` entries keyed by
// namespace (HOST[:PORT][/REPO...], longest match wins); each entry's
// `lookaside` is read from (file://, http://, https://) and its
// `lookaside-staging` (file:// only) is written to. The older spellings
// `sigstore` and `sigstore-staging` mean the same.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "registry/reference.hpp"

namespace sheaf::sign {

struct LookasideEntry {
  std::optional<std::string> read;   // lookaside
  std::optional<std::string> write;  // lookaside-staging (else lookaside)
  std::string where;                 // FILE: docker["NAMESPACE"], for messages
};

struct RegistriesD {
  std::filesystem::path dir;
  std::optional<LookasideEntry> default_docker;
  std::vector<std::pair<std::string, LookasideEntry>> docker;  // namespace -> entry
};

// Reads every *.yaml file of `dir`, in name order. A namespace (or
// default-docker) given by two files, a file that is not YAML, or a field of
// the wrong type is an Error naming the file. A missing directory is empty.
RegistriesD load_registries_d(const std::filesystem::path& dir);

// The directory to read: `explicit_dir` when given, else
// $HOME/.config/containers/registries.d when it exists, else
// /etc/containers/registries.d, as containers/image chooses.
std::filesystem::path registries_d_dir(const std::optional<std::filesystem::path>& explicit_dir);

// The entry for a reference: the longest namespace that holds it, else
// default-docker, else nullopt (no signatures are kept for it).
std::optional<LookasideEntry> lookaside_for(const RegistriesD& config, const registry::Reference& reference);

// URL of signature number `index` (1-based) of `manifest` under `base`:
// BASE/REPO@sha256=HEX/signature-INDEX, as containers/image lays it out.
std::string signature_url(std::string_view base, const registry::Reference& reference, const Digest& manifest,
                          unsigned index);

}  // namespace sheaf::sign
