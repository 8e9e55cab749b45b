#include "base/json_fields.hpp"

namespace sheaf {

namespace {

const nlohmann::json* field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

std::string string_field(const nlohmann::json& object, std::string_view key, std::string_view fallback) {
  const auto* value = field(object, key);
  if (value && value->is_string()) return value->get<std::string>();
  return std::string(fallback);
}

bool bool_field(const nlohmann::json& object, std::string_view key, bool fallback) {
  const auto* value = field(object, key);
  if (value && value->is_boolean()) return value->get<bool>();
  return fallback;
}

}  // namespace sheaf
