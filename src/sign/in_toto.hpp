// What a recipe build records about itself: a provenance statement in the
// layout of an in-toto Statement v1 with a SLSA Provenance v1 predicate, and
// the "rebuilt and equal" attestation `sheaf rebuild --attest` signs.
//
// Both are canonical JSON. In DSSE envelopes (sign/dsse.hpp) they travel as
// payload type application/vnd.in-toto+json. The type identifiers that the
// in-toto and SLSA specifications spell as URLs of their sites are sheaf's
// URNs here (kStatementType, kProvenanceType, kRebuildType): the project
// keeps no outside host names, and a consumer maps them one to one.
// docs/formats/provenance.md has the fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sign/dsse.hpp"

namespace sheaf::sign {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementType = "urn:sheaf:in-toto:statement:v1";
inline constexpr std::string_view kProvenanceType = "urn:sheaf:slsa:provenance:v1";
inline constexpr std::string_view kRebuildType = "urn:sheaf:rebuild:v1";
inline constexpr std::string_view kRecipeBuildType = "urn:sheaf:recipe-build";

// One input with its digest: the recipe, a source, a package of the
// environment.
struct ProvenanceInput {
  std::string name;    // "recipe:hello.toml", "greet-1.0.tar.gz", "debian:hello=2.10-3", "libc6 2.36-9"
  std::string digest;  // "sha256:<hex>"
  std::string role;    // "recipe", "source", "environment"
};

struct Provenance {
  // The subject: the package built.
  std::string package_id, name, version, arch;
  // The build definition.
  std::string key;          // the build key (build/recipe_build.hpp)
  int build_format = 0;     // kBuildFormat
  std::string recipe_file;  // the recipe's file name, for people
  std::int64_t source_date_epoch = 0;
  std::vector<ProvenanceInput> inputs;  // the recipe, the sources in recipe order, the environment by id
  // The run.
  std::string builder_version;             // sheaf's
  std::int64_t started = 0, finished = 0;  // seconds since the epoch
};

// The statement as canonical JSON:
// {"_type": kStatementType, "predicateType": kProvenanceType,
//  "subject": [{"name": "NAME_VERSION_ARCH", "digest": {"sha256": HEX of the id}}],
//  "predicate": {"buildDefinition": {...}, "runDetails": {...}}}.
std::string render_provenance(const Provenance& provenance);

// The fields `sheaf rebuild` needs back from a stored statement. Throws a
// ParseError naming `where` for anything but a provenance statement.
Provenance parse_provenance(std::string_view bytes, std::string_view where);

// A rebuild attestation: the package id, and that a rebuild from the
// recorded inputs gave exactly it.
struct RebuildAttestation {
  std::string package_id, name, version, arch;
  std::string key;  // the build key of the inputs rebuilt from
  std::string builder_version;
};

std::string render_rebuild_attestation(const RebuildAttestation& attestation);
RebuildAttestation parse_rebuild_attestation(std::string_view bytes, std::string_view where);

// What an envelope kept with a package says, by its payload type and
// predicate: a package signature (package_policy.hpp), a rebuild
// attestation, a signed provenance statement, or something else.
enum class EnvelopeKind { package_signature, rebuild_attestation, provenance, other };
EnvelopeKind envelope_kind(const Envelope& envelope);

// True when `bytes` are a DSSE envelope (a JSON object with payloadType and
// signatures), false for anything else, such as a bare statement.
bool is_envelope(std::string_view bytes);

// A statement as the store keeps it: its bytes, or a DSSE envelope of
// them. Returns the statement and the key id the envelope names ("" for a
// bare statement); throws a ParseError naming `where` for an envelope of
// another payload type.
struct KeptStatement {
  std::string statement;
  std::string signed_by;
};
KeptStatement open_statement(std::string_view bytes, std::string_view where);

// "sha256" digest of a "sha256:<hex>" id, as in-toto's DigestSet writes it.
std::string hex_of(std::string_view digest);

}  // namespace sheaf::sign
