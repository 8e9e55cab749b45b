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

std::string escape_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string quote(std::string_view text) {
  return "'" + escape_controls(text) + "'";
}

}  // namespace sheaf
