// Standard base64 (RFC 4648 section 4, with padding): how binary values such as
// xattrs appear in JSON documents.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sheaf {

std::string base64_encode(std::string_view bytes);

// Decodes canonical base64 only: padded, no whitespace, and unused trailing
// bits zero, so that every byte string has exactly one accepted spelling.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sheaf
