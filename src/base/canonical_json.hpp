// The canonical JSON writer for documents whose bytes are an identity
// (FileSet manifests, package documents). The exact rules are specified in
// docs/formats/canonical-json.md; a change here changes every id.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace sheaf {

// Serialises `value` canonically: no insignificant whitespace, object members
// sorted by the bytes of their keys, integers in shortest decimal form, and
// strings escaped minimally. Floating-point numbers, null and strings that are
// not valid UTF-8 are refused with an Error, because they have no single
// canonical spelling (or no use in our documents).
std::string canonical_json(const nlohmann::json& value);

// Appends the canonical form of `value` to `out`.
void append_canonical_json(std::string& out, const nlohmann::json& value);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace sheaf
