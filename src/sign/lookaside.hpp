// Reading and writing simple signatures in a lookaside store
// (sign/registries_d.hpp): signature-1, signature-2, ... under
// BASE/REPO@sha256=HEX/, read until the first one missing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "registry/client.hpp"
#include "registry/reference.hpp"
#include "sign/registries_d.hpp"

namespace sheaf::sign {

// containers/image's limits: a signature over 4 MiB is refused, and no more
// than 128 are read.
inline constexpr std::uint64_t kMaxSignatureSize = std::uint64_t{4} << 20;
inline constexpr unsigned kMaxSignatures = 128;

struct FoundSignatures {
  std::vector<std::string> signatures;
  std::string from;  // the directory or URL looked in, for messages ("" when none is configured)
};

// The signatures the lookaside store holds for `manifest` under
// `reference`'s repository. None when `entry` has no lookaside. Throws an
// Error naming the URL for one over the size limit or a store that cannot
// be read (a 404 or a missing file ends the list).
FoundSignatures read_signatures(const std::optional<LookasideEntry>& entry, const registry::Reference& reference,
                                const Digest& manifest, const registry::Options& options);

// Where a push writes signatures: DIR/REPO@sha256=HEX of the entry's
// lookaside-staging (else its lookaside), which must be a file:// URL.
struct Staging {
  std::filesystem::path dir;
  std::string where;  // the registries.d entry, for messages
};

// Checks, before anything is pushed, that the staging directory exists or
// can be made and takes a file; throws an Error naming it otherwise.
// nullopt when `entry` names no lookaside at all.
std::optional<Staging> prepare_staging(const std::optional<LookasideEntry>& entry,
                                       const registry::Reference& reference, const Digest& manifest);

// Writes signature-1..N (each atomically), then removes signature-(N+1)...
// left by an older push, as containers/image does.
void write_signatures(const Staging& staging, const std::vector<std::string>& signatures);

}  // namespace sheaf::sign
