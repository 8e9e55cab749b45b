#include "deb/copyright.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "base/text.hpp"
#include "deb/control.hpp"

namespace sheaf::deb {

namespace {

// One deb822 paragraph, leniently: only the first line of each field.
using Paragraph = std::vector<std::pair<std::string, std::string>>;

std::string_view trim_line(std::string_view s) {
  return trim(s, " \t\r");
}

std::vector<Paragraph> split_paragraphs(std::string_view text) {
  std::vector<Paragraph> paragraphs(1);
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (trim_line(line).empty()) {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t' || line[0] == '#') continue;  // continuation or comment
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    paragraphs.back().emplace_back(std::string(trim_line(line.substr(0, colon))),
                                   std::string(trim_line(line.substr(colon + 1))));
  }
  if (paragraphs.back().empty()) paragraphs.pop_back();
  return paragraphs;
}

const std::string* field(const Paragraph& paragraph, std::string_view name) {
  for (const auto& [key, value] : paragraph) {
    if (same_field_name(key, name)) return &value;
  }
  return nullptr;
}

// "GPL-2+ or Artistic, and MIT" -> "GPL-2+ OR Artistic AND MIT".
std::string normalise_expression(std::string_view expression) {
  std::string out;
  std::size_t pos = 0;
  while (pos < expression.size()) {
    auto begin = expression.find_first_not_of(" \t,", pos);
    if (begin == std::string_view::npos) break;
    auto end = expression.find_first_of(" \t,", begin);
    std::string word(expression.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    pos = end == std::string_view::npos ? expression.size() : end;
    if (word == "or" || word == "and" || word == "with") {
      std::transform(word.begin(), word.end(), word.begin(), [](char c) { return static_cast<char>(c - 'a' + 'A'); });
    }
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

}  // namespace

std::optional<std::string> license_from_copyright(std::string_view text) {
  std::vector<Paragraph> paragraphs = split_paragraphs(text);
  if (paragraphs.empty()) return std::nullopt;
  const std::string* format = field(paragraphs.front(), "Format");
  if (format == nullptr || format->find("copyright-format/1.0") == std::string::npos) return std::nullopt;

  std::set<std::string> licenses;
  for (std::size_t i = 1; i < paragraphs.size(); ++i) {
    if (field(paragraphs[i], "Files") == nullptr) continue;
    if (const std::string* license = field(paragraphs[i], "License")) {
      if (std::string expression = normalise_expression(*license); !expression.empty()) licenses.insert(expression);
    }
  }
  if (licenses.empty()) {
    if (const std::string* license = field(paragraphs.front(), "License")) {
      if (std::string expression = normalise_expression(*license); !expression.empty()) licenses.insert(expression);
    }
  }
  if (licenses.empty()) return std::nullopt;
  if (licenses.size() == 1) return *licenses.begin();
  std::string joined;
  for (const auto& license : licenses) {
    if (!joined.empty()) joined += " AND ";
    bool compound = license.find(' ') != std::string::npos;
    joined += compound ? "(" + license + ")" : license;
  }
  return joined;
}

}  // namespace sheaf::deb
