#pragma once

// Typed reads of optional fields in JSON that came from outside: a stored
// record, a registry's answer, a document someone pushed. nlohmann's
// value(key, default) throws its own type_error when the field is there with
// another type; these return the fallback instead, so that a reader that
// tolerates a missing field tolerates a mistyped one the same way.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sheaf {

// OBJECT[KEY] when OBJECT is an object and the field is a string, else FALLBACK.
std::string string_field(const nlohmann::json& object, std::string_view key, std::string_view fallback = {});

// OBJECT[KEY] when OBJECT is an object and the field is a boolean, else FALLBACK.
bool bool_field(const nlohmann::json& object, std::string_view key, bool fallback);

}  // namespace sheaf
