#include "sign/dsse.hpp"

#include <nlohmann/json.hpp>

#include "base/base64.hpp"
#include "base/canonical_json.hpp"
#include "base/error.hpp"

namespace sheaf::sign {

using nlohmann::json;

std::string pae(std::string_view type, std::string_view body) {
  return fmt::format("DSSEv1 {} {} {} ", type.size(), type, body.size()).append(body);
}

Envelope sign_envelope(std::string_view payload_type, std::string_view payload, const PrivateKey& key) {
  Envelope out{std::string(payload_type), std::string(payload), {}};
  out.signatures.push_back({key.public_key().key_id(), key.sign(pae(payload_type, payload))});
  return out;
}

std::string render_envelope(const Envelope& envelope) {
  json signatures = json::array();
  for (const auto& s : envelope.signatures) signatures.push_back({{"keyid", s.keyid}, {"sig", base64_encode(s.sig)}});
  return canonical_json(json{{"payload", base64_encode(envelope.payload)},
                             {"payloadType", envelope.payload_type},
                             {"signatures", signatures}});
}

Envelope parse_envelope(std::string_view bytes, std::string_view where_view) {
  const std::string where(where_view);
  json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ParseError(where, "a DSSE envelope is not a JSON object");
  auto string_field = [&](const json& object, const char* key, const std::string& at) -> std::string {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) throw ParseError(at, fmt::format("\"{}\" is missing or not a string", key));
    return it->get<std::string>();
  };
  Envelope out;
  out.payload_type = string_field(doc, "payloadType", where);
  auto payload = base64_decode(string_field(doc, "payload", where));
  if (!payload) throw ParseError(where, "\"payload\" is not base64");
  out.payload = std::move(*payload);
  auto signatures = doc.find("signatures");
  if (signatures == doc.end() || !signatures->is_array() || signatures->empty()) {
    throw ParseError(where, "\"signatures\" is missing or empty");
  }
  for (std::size_t i = 0; i < signatures->size(); ++i) {
    const json& s = (*signatures)[i];
    const std::string at = fmt::format("{}: signatures[{}]", where, i);
    if (!s.is_object()) throw ParseError(at, "is not an object");
    EnvelopeSignature entry;
    if (s.contains("keyid")) entry.keyid = string_field(s, "keyid", at);
    auto sig = base64_decode(string_field(s, "sig", at));
    if (!sig) throw ParseError(at, "\"sig\" is not base64");
    entry.sig = std::move(*sig);
    out.signatures.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> envelope_signers(const Envelope& envelope, const std::vector<PublicKey>& keys) {
  const std::string message = pae(envelope.payload_type, envelope.payload);
  std::vector<std::string> out;
  for (const auto& key : keys) {
    const std::string id = key.key_id();
    for (const auto& s : envelope.signatures) {
      // The keyid is a hint; every signature is tried against every key, so
      // that a wrong hint cannot hide a good signature.
      if (key.verify(message, s.sig)) {
        out.push_back(id);
        break;
      }
    }
  }
  return out;
}

}  // namespace sheaf::sign
