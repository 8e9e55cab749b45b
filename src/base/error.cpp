#include "base/error.hpp"

#include <cstring>

namespace sheaf {

std::string Error::describe() const {
  std::string text = what();
  for (const auto& line : context_) {
    text += "\n  ";
    text += line;
  }
  return text;
}

void fail_errno(int err, std::string_view what) {
  throw Error(fmt::format("{}: {}", what, std::strerror(err)));
}

std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      // Bytes >= 0x80 pass through: UTF-8 names stay readable.
      out += c;
    }
  }
  out += "'";
  return out;
}

}  // namespace sheaf
