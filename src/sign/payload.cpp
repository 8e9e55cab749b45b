#include "sign/payload.hpp"

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace sheaf::sign {

using nlohmann::json;

std::string render_payload(const Payload& payload, std::string_view type) {
  json optional = json::object();
  if (payload.creator) optional["creator"] = *payload.creator;
  if (payload.timestamp) optional["timestamp"] = *payload.timestamp;
  if (type == kSigstoreSignatureType && optional.empty()) optional = nullptr;
  json doc = {{"critical",
               {{"type", type},
                {"image", {{"docker-manifest-digest", payload.manifest.str()}}},
                {"identity", {{"docker-reference", payload.docker_reference}}}}},
              {"optional", optional}};
  return doc.dump();
}

namespace {

// The object at `key` of `parent`, holding exactly the keys given.
const json& exact_object(const json& parent, const char* key, std::initializer_list<const char*> keys,
                         const std::string& where) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_object()) throw ParseError(where, fmt::format("\"{}\" is missing or not an object", key));
  for (const char* k : keys) {
    if (!it->contains(k)) throw ParseError(where, fmt::format("\"{}\" lacks \"{}\"", key, k));
  }
  for (const auto& item : it->items()) {
    const std::string& field = item.key();
    if (std::find_if(keys.begin(), keys.end(), [&](const char* want) { return field == want; }) == keys.end()) {
      throw ParseError(where, fmt::format("\"{}\" holds the unknown field \"{}\"", key, field));
    }
  }
  return *it;
}

const std::string& string_at(const json& object, const char* key, const std::string& where) {
  const json& value = object.at(key);
  if (!value.is_string()) throw ParseError(where, fmt::format("\"{}\" is not a string", key));
  return value.get_ref<const std::string&>();
}

}  // namespace

Payload parse_payload(std::string_view bytes, std::string_view where_view, std::string_view type) {
  const std::string where(where_view);
  json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw ParseError(where, "the signed payload is not a JSON object");
  for (const auto& [k, v] : doc.items()) {
    if (k != "critical" && k != "optional") {
      throw ParseError(where, fmt::format("the signed payload holds the unknown field \"{}\"", k));
    }
  }
  const json& critical = exact_object(doc, "critical", {"type", "image", "identity"}, where);
  if (string_at(critical, "type", where) != type) {
    throw ParseError(where, fmt::format("the signature's type is \"{}\", not \"{}\"",
                                        string_at(critical, "type", where), type));
  }
  const json& image = exact_object(critical, "image", {"docker-manifest-digest"}, where);
  const json& identity = exact_object(critical, "identity", {"docker-reference"}, where);
  Payload payload;
  const std::string& digest = string_at(image, "docker-manifest-digest", where);
  auto parsed = Digest::parse(digest);
  if (!parsed) throw ParseError(where, fmt::format("docker-manifest-digest \"{}\" is not a sha256 digest", digest));
  payload.manifest = *parsed;
  payload.docker_reference = string_at(identity, "docker-reference", where);
  auto optional = doc.find("optional");
  // cosign writes "optional": null when there are no annotations.
  if (optional != doc.end() && optional->is_null() && type == kSigstoreSignatureType) return payload;
  if (optional == doc.end() || !optional->is_object()) throw ParseError(where, "\"optional\" is missing or not an object");
  if (auto c = optional->find("creator"); c != optional->end()) {
    if (!c->is_string()) throw ParseError(where, "optional.creator is not a string");
    payload.creator = c->get<std::string>();
  }
  if (auto t = optional->find("timestamp"); t != optional->end()) {
    if (!t->is_number_integer()) throw ParseError(where, "optional.timestamp is not an integer");
    payload.timestamp = t->get<std::int64_t>();
  }
  return payload;
}

}  // namespace sheaf::sign
