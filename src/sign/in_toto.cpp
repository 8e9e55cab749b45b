#include "sign/in_toto.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/digest.hpp"
#include "base/error.hpp"
#include "sign/package_policy.hpp"

namespace sheaf::sign {

using nlohmann::json;

namespace {

constexpr std::string_view kBuilderId = "urn:sheaf:builder";

std::string rfc3339(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::int64_t from_rfc3339(const std::string& text, std::string_view where) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0')
    throw ParseError(std::string(where), fmt::format("{} is not an RFC 3339 UTC time", quote(text)));
  return static_cast<std::int64_t>(::timegm(&tm));
}

json subject_of(const std::string& id, const std::string& name, const std::string& version, const std::string& arch) {
  return json::array({{{"name", fmt::format("{}_{}_{}", name, version, arch)}, {"digest", {{"sha256", hex_of(id)}}}}});
}

// Reads JSON fields, naming the statement and the field in errors.
class Fields {
 public:
  Fields(std::string_view bytes, std::string_view where) : where_(where) {
    try {
      doc_ = json::parse(bytes);
    } catch (const json::exception& e) {
      throw ParseError(where_, fmt::format("is not JSON: {}", e.what()));
    }
    if (!doc_.is_object()) throw ParseError(where_, "is not a JSON object");
  }
  const json& at(const json& object, const char* key) const {
    if (!object.is_object() || !object.contains(key)) throw ParseError(where_, fmt::format("has no {}", key));
    return object.at(key);
  }
  std::string text(const json& object, const char* key) const {
    const json& v = at(object, key);
    if (!v.is_string()) throw ParseError(where_, fmt::format("{} is not a string", key));
    return v.get<std::string>();
  }
  std::int64_t integer(const json& object, const char* key) const {
    const json& v = at(object, key);
    if (!v.is_number_integer()) throw ParseError(where_, fmt::format("{} is not an integer", key));
    return v.get<std::int64_t>();
  }
  // The statement's type, predicate type and one subject's id.
  std::string statement(std::string_view predicate_type) const {
    if (text(doc_, "_type") != kStatementType) {
      throw ParseError(where_, fmt::format("is not a statement of type {}", kStatementType));
    }
    if (text(doc_, "predicateType") != predicate_type) {
      throw ParseError(
          where_, fmt::format("has the predicate type {}, not {}", quote(text(doc_, "predicateType")), predicate_type));
    }
    const json& subjects = at(doc_, "subject");
    if (!subjects.is_array() || subjects.size() != 1) throw ParseError(where_, "must have exactly one subject");
    std::string hex = text(at(subjects[0], "digest"), "sha256");
    auto id = Digest::parse("sha256:" + hex);
    if (!id) throw ParseError(where_, "the subject's sha256 is not 64 lowercase hex digits");
    return id->str();
  }
  const json& doc() const { return doc_; }
  const std::string& where() const { return where_; }

 private:
  json doc_;
  std::string where_;
};

}  // namespace

EnvelopeKind envelope_kind(const Envelope& envelope) {
  if (envelope.payload_type == kPackageSignatureType) return EnvelopeKind::package_signature;
  if (envelope.payload_type != kInTotoPayloadType) return EnvelopeKind::other;
  try {
    json doc = json::parse(envelope.payload);
    if (!doc.is_object() || !doc.contains("predicateType") || !doc["predicateType"].is_string())
      return EnvelopeKind::other;
    std::string type = doc["predicateType"].get<std::string>();
    if (type == kRebuildType) return EnvelopeKind::rebuild_attestation;
    if (type == kProvenanceType) return EnvelopeKind::provenance;
  } catch (const json::exception&) {
  }
  return EnvelopeKind::other;
}

bool is_envelope(std::string_view bytes) {
  try {
    json doc = json::parse(bytes);
    return doc.is_object() && doc.contains("payloadType") && doc.contains("signatures");
  } catch (const json::exception&) {
    return false;
  }
}

KeptStatement open_statement(std::string_view bytes, std::string_view where) {
  if (!is_envelope(bytes)) return {std::string(bytes), ""};
  Envelope envelope = parse_envelope(bytes, where);
  if (envelope.payload_type != kInTotoPayloadType) {
    throw ParseError(std::string(where),
                     fmt::format("is an envelope of {}, not of an in-toto statement", envelope.payload_type));
  }
  return {std::move(envelope.payload), envelope.signatures.front().keyid};
}

std::string hex_of(std::string_view digest) {
  return std::string(digest.starts_with("sha256:") ? digest.substr(7) : digest);
}

std::string render_provenance(const Provenance& p) {
  json dependencies = json::array();
  for (const auto& input : p.inputs) {
    dependencies.push_back({{"name", input.name},
                            {"digest", {{"sha256", hex_of(input.digest)}}},
                            {"annotations", {{"role", input.role}}}});
  }
  json statement = {
      {"_type", kStatementType},
      {"subject", subject_of(p.package_id, p.name, p.version, p.arch)},
      {"predicateType", kProvenanceType},
      {"predicate",
       {{"buildDefinition",
         {{"buildType", fmt::format("{}:{}", kRecipeBuildType, p.build_format)},
          {"externalParameters",
           {{"recipe", p.recipe_file}, {"package", {{"name", p.name}, {"version", p.version}, {"arch", p.arch}}}}},
          {"internalParameters", {{"key", p.key}, {"sourceDateEpoch", p.source_date_epoch}}},
          {"resolvedDependencies", dependencies}}},
        {"runDetails",
         {{"builder", {{"id", kBuilderId}, {"version", {{"sheaf", p.builder_version}}}}},
          {"metadata",
           {{"invocationId", p.key}, {"startedOn", rfc3339(p.started)}, {"finishedOn", rfc3339(p.finished)}}}}}}}};
  return canonical_json(statement);
}

Provenance parse_provenance(std::string_view bytes, std::string_view where) {
  Fields f(bytes, where);
  Provenance p;
  p.package_id = f.statement(kProvenanceType);
  const json& predicate = f.at(f.doc(), "predicate");
  const json& definition = f.at(predicate, "buildDefinition");
  std::string build_type = f.text(definition, "buildType");
  const std::string prefix = std::string(kRecipeBuildType) + ":";
  if (!build_type.starts_with(prefix)) {
    throw ParseError(std::string(where), fmt::format("has the build type {}, not a recipe build", quote(build_type)));
  }
  try {
    p.build_format = std::stoi(build_type.substr(prefix.size()));
  } catch (const std::exception&) {
    throw ParseError(std::string(where), fmt::format("has the build type {}, not a recipe build", quote(build_type)));
  }
  const json& external = f.at(definition, "externalParameters");
  p.recipe_file = f.text(external, "recipe");
  const json& package = f.at(external, "package");
  p.name = f.text(package, "name");
  p.version = f.text(package, "version");
  p.arch = f.text(package, "arch");
  const json& internal = f.at(definition, "internalParameters");
  p.key = f.text(internal, "key");
  p.source_date_epoch = f.integer(internal, "sourceDateEpoch");
  const json& dependencies = f.at(definition, "resolvedDependencies");
  if (!dependencies.is_array()) throw ParseError(std::string(where), "resolvedDependencies is not a list");
  for (const auto& d : dependencies) {
    ProvenanceInput input;
    input.name = f.text(d, "name");
    std::string hex = f.text(f.at(d, "digest"), "sha256");
    auto digest = Digest::parse("sha256:" + hex);
    if (!digest)
      throw ParseError(std::string(where), fmt::format("the digest of {} is not a sha256", quote(input.name)));
    input.digest = digest->str();
    input.role = f.text(f.at(d, "annotations"), "role");
    p.inputs.push_back(std::move(input));
  }
  const json& run = f.at(predicate, "runDetails");
  p.builder_version = f.text(f.at(f.at(run, "builder"), "version"), "sheaf");
  const json& metadata = f.at(run, "metadata");
  p.started = from_rfc3339(f.text(metadata, "startedOn"), where);
  p.finished = from_rfc3339(f.text(metadata, "finishedOn"), where);
  return p;
}

std::string render_rebuild_attestation(const RebuildAttestation& a) {
  json statement = {{"_type", kStatementType},
                    {"subject", subject_of(a.package_id, a.name, a.version, a.arch)},
                    {"predicateType", kRebuildType},
                    {"predicate",
                     {{"result", "equal"},
                      {"package", {{"id", a.package_id}, {"name", a.name}, {"version", a.version}, {"arch", a.arch}}},
                      {"key", a.key},
                      {"builder", {{"id", kBuilderId}, {"version", {{"sheaf", a.builder_version}}}}}}}};
  return canonical_json(statement);
}

RebuildAttestation parse_rebuild_attestation(std::string_view bytes, std::string_view where) {
  Fields f(bytes, where);
  RebuildAttestation a;
  std::string subject = f.statement(kRebuildType);
  const json& predicate = f.at(f.doc(), "predicate");
  if (f.text(predicate, "result") != "equal") throw ParseError(std::string(where), "does not attest an equal rebuild");
  const json& package = f.at(predicate, "package");
  a.package_id = f.text(package, "id");
  if (a.package_id != subject) throw ParseError(std::string(where), "names another package than its subject");
  a.name = f.text(package, "name");
  a.version = f.text(package, "version");
  a.arch = f.text(package, "arch");
  a.key = f.text(predicate, "key");
  a.builder_version = f.text(f.at(f.at(predicate, "builder"), "version"), "sheaf");
  return a;
}

}  // namespace sheaf::sign
