#include "deb/control.hpp"

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/text.hpp"

namespace sheaf::deb {

namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// Policy 5.1: a field name is US-ASCII printable characters except controls,
// space and ':', and does not begin with '#' or '-'.
bool is_valid_field_name(std::string_view name) {
  if (name.empty() || name[0] == '#' || name[0] == '-') return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == ':') return false;
  }
  return true;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool same_field_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Control Control::parse(std::string_view text, std::string_view where) {
  Control control;
  unsigned line_number = 0;
  bool ended = false;  // a blank line followed the paragraph
  auto at = [&](unsigned line) { return fmt::format("{} line {}", where, line); };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\0') != std::string_view::npos) throw ParseError(at(line_number), "contains a NUL byte");
    if (is_blank(line)) {
      if (!control.fields_.empty()) ended = true;
      continue;
    }
    if (ended) throw ParseError(at(line_number), "a second paragraph; a control file holds exactly one");
    if (line[0] == ' ' || line[0] == '\t') {
      if (control.fields_.empty()) throw ParseError(at(line_number), "a continuation line before any field");
      auto& value = control.fields_.back().value;
      value += '\n';
      value += line.substr(0, line.find_last_not_of(" \t") + 1);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      throw ParseError(at(line_number), fmt::format("expected \"Field: value\", got {}", quote(line)));
    }
    std::string_view name = line.substr(0, colon);
    if (!is_valid_field_name(name)) {
      throw ParseError(at(line_number), fmt::format("{} is not a valid field name", quote(name)));
    }
    if (const ControlField* earlier = control.find(name)) {
      throw ParseError(at(line_number),
                       fmt::format("field {} appears twice (first on line {})", quote(name), earlier->line));
    }
    control.fields_.push_back({std::string(name), std::string(trim(line.substr(colon + 1))), line_number});
  }
  if (control.fields_.empty()) throw ParseError(std::string(where), "empty: no fields");
  return control;
}

const ControlField* Control::find(std::string_view name) const {
  for (const auto& field : fields_) {
    if (same_field_name(field.name, name)) return &field;
  }
  return nullptr;
}

std::string_view Control::value(std::string_view name) const {
  const ControlField* field = find(name);
  return field ? std::string_view(field->value) : std::string_view();
}

}  // namespace sheaf::deb
