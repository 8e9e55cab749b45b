#include "base/text.hpp"

namespace sheaf {

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto blank = [&](std::size_t at) {
    return text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r';
  };
  while (i < text.size()) {
    while (i < text.size() && blank(i)) ++i;
    std::size_t start = i;
    while (i < text.size() && !blank(i)) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace sheaf
