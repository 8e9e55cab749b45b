#include "sign/sigstore.hpp"

#include <nlohmann/json.hpp>

#include "base/base64.hpp"
#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "sign/payload.hpp"

namespace sheaf::sign {

using nlohmann::json;

namespace {

constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";

std::string shown(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string SigstoreSignature::signature_base64() const {
  auto it = annotations.find(std::string(kSigstoreSignatureAnnotation));
  return it == annotations.end() ? "" : it->second;
}

std::string sigstore_tag(const Digest& manifest) { return "sha256-" + manifest.hex() + ".sig"; }

SigstoreSignature make_sigstore_signature(const PrivateKey& key, const Digest& manifest, const std::string& identity) {
  SigstoreSignature out;
  out.payload = render_payload(Payload{manifest, identity, std::nullopt, std::nullopt}, kSigstoreSignatureType);
  out.annotations[std::string(kSigstoreSignatureAnnotation)] = base64_encode(key.sign(out.payload));
  return out;
}

std::string render_record(const SigstoreSignature& signature) {
  json annotations = json::object();
  for (const auto& [k, v] : signature.annotations) annotations[k] = v;
  return canonical_json(json{{"annotations", annotations}, {"payload", base64_encode(signature.payload)}});
}

SigstoreSignature parse_record(std::string_view bytes, std::string_view where_view) {
  const std::string where(where_view);
  json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ParseError(where, "a sigstore signature record is not a JSON object");
  auto payload = doc.find("payload");
  auto annotations = doc.find("annotations");
  if (payload == doc.end() || !payload->is_string()) throw ParseError(where, "\"payload\" is missing or not a string");
  if (annotations == doc.end() || !annotations->is_object()) {
    throw ParseError(where, "\"annotations\" is missing or not an object");
  }
  SigstoreSignature out;
  auto decoded = base64_decode(payload->get<std::string>());
  if (!decoded) throw ParseError(where, "\"payload\" is not base64");
  out.payload = std::move(*decoded);
  for (const auto& [k, v] : annotations->items()) {
    if (!v.is_string()) throw ParseError(where, fmt::format("the annotation {} is not a string", shown(json(k))));
    out.annotations[k] = v.get<std::string>();
  }
  return out;
}

Attachment render_attachment(const std::vector<SigstoreSignature>& signatures) {
  Attachment out;
  json layers = json::array();
  json diff_ids = json::array();
  std::vector<std::string> seen;
  for (const auto& s : signatures) {
    std::string record = render_record(s);
    if (std::find(seen.begin(), seen.end(), record) != seen.end()) continue;
    seen.push_back(record);
    json annotations = json::object();
    for (const auto& [k, v] : s.annotations) annotations[k] = v;
    layers.push_back({{"mediaType", kSigstorePayloadMediaType},
                      {"size", s.payload.size()},
                      {"digest", s.payload_digest().str()},
                      {"annotations", annotations}});
    diff_ids.push_back(s.payload_digest().str());
    out.payloads.push_back(s.payload);
  }
  // A config as cosign makes one: no platform, the payloads as its layers.
  out.config = canonical_json(
      json{{"architecture", ""}, {"os", ""}, {"config", json::object()}, {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}});
  out.manifest = canonical_json(json{{"schemaVersion", 2},
                                     {"mediaType", kOciManifest},
                                     {"config",
                                      {{"mediaType", kOciConfig},
                                       {"size", out.config.size()},
                                       {"digest", Digest::of(out.config).str()}}},
                                     {"layers", layers}});
  return out;
}

std::vector<AttachmentLayer> parse_attachment(std::string_view manifest, std::string_view where_view) {
  const std::string where(where_view);
  json doc = json::parse(manifest, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ParseError(where, "the signature manifest is not a JSON object");
  auto version = doc.find("schemaVersion");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() != 2) {
    throw ParseError(where, "the signature manifest's schemaVersion is not 2");
  }
  if (auto type = doc.find("mediaType"); type != doc.end()) {
    if (!type->is_string() || (type->get<std::string>() != kOciManifest && type->get<std::string>() != kDockerManifest)) {
      throw ParseError(where, fmt::format("the signature manifest has the media type {}, not an image manifest's",
                                          shown(*type)));
    }
  }
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) throw ParseError(where, "the signature manifest has no list of layers");
  std::vector<AttachmentLayer> out;
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const json& layer = (*layers)[i];
    const std::string at = fmt::format("{}: layer {}", where, i);
    if (!layer.is_object()) throw ParseError(at, "is not an object");
    auto type = layer.find("mediaType");
    if (type == layer.end() || !type->is_string()) throw ParseError(at, "has no media type");
    if (type->get<std::string>() != kSigstorePayloadMediaType) continue;
    auto digest = layer.find("digest");
    auto size = layer.find("size");
    std::optional<Digest> parsed;
    if (digest != layer.end() && digest->is_string()) parsed = Digest::parse(digest->get<std::string>());
    if (!parsed) throw ParseError(at, "has no sha256 digest");
    if (size == layer.end() || !size->is_number_unsigned()) throw ParseError(at, "has no size");
    AttachmentLayer entry{*parsed, size->get<std::uint64_t>(), {}};
    if (auto annotations = layer.find("annotations"); annotations != layer.end()) {
      if (!annotations->is_object()) throw ParseError(at, "has annotations that are not an object");
      for (const auto& [k, v] : annotations->items()) {
        if (!v.is_string()) throw ParseError(at, fmt::format("has the annotation {}, which is not a string", shown(json(k))));
        entry.annotations[k] = v.get<std::string>();
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace sheaf::sign
