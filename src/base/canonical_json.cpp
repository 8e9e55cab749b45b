#include "base/canonical_json.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace sheaf {

namespace {

void append_string(std::string& out, std::string_view text) {
  if (!is_valid_utf8(text)) throw Error(fmt::format("string {} is not valid UTF-8", quote(text)));
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

void append_canonical_json(std::string& out, const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::object: {
      // nlohmann::json keeps members in a std::map<std::string, ...>, whose
      // order is std::char_traits<char>::compare: bytewise, as unsigned char.
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        append_canonical_json(out, member);
      }
      out += '}';
      return;
    }
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value) {
        if (!first) out += ',';
        first = false;
        append_canonical_json(out, element);
      }
      out += ']';
      return;
    }
    case Type::string:
      append_string(out, value.get_ref<const std::string&>());
      return;
    case Type::number_unsigned:
      out += fmt::format("{}", value.get<std::uint64_t>());
      return;
    case Type::number_integer:
      out += fmt::format("{}", value.get<std::int64_t>());
      return;
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Type::number_float:
      throw Error("canonical JSON has no floating-point numbers");
    case Type::null:
      throw Error("canonical JSON has no null");
    case Type::binary:
    case Type::discarded:
      break;
  }
  throw Error("value has no canonical JSON form");
}

std::string canonical_json(const nlohmann::json& value) {
  std::string out;
  append_canonical_json(out, value);
  return out;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t length;
    std::uint32_t code;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code = c & 0x07u;
    } else {
      return false;  // a continuation byte, an overlong lead (c0, c1), or > f4
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    for (std::size_t i = 1; i < length; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3fu);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000)) return false;
    if (code >= 0xd800 && code <= 0xdfff) return false;
    if (code > 0x10ffff) return false;
    p += length;
  }
  return true;
}

}  // namespace sheaf
