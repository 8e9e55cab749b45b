// A Debian control paragraph (deb822): the `control` file of a binary package.
//
// Parsing follows Debian Policy section 5.1: "Field: value" lines, with
// continuation lines that start with a space or a tab. Field names compare
// case-insensitively, and a field may appear only once. The parser is strict,
// because its input is untrusted: anything it does not understand is a
// ParseError naming the line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::deb {

struct ControlField {
  std::string name;   // as spelled in the file
  std::string value;  // first line trimmed; continuation lines kept, joined by '\n'
  unsigned line = 0;  // 1-based line of the field name
};

class Control {
 public:
  // Parses exactly one paragraph (blank lines may follow it, but no second
  // paragraph). Throws ParseError naming `where` and the line.
  static Control parse(std::string_view text, std::string_view where);

  // The field named `name` (case-insensitive), if present.
  const ControlField* find(std::string_view name) const;
  // The value of `name`, or "" when absent.
  std::string_view value(std::string_view name) const;

  const std::vector<ControlField>& fields() const noexcept { return fields_; }

 private:
  std::vector<ControlField> fields_;
};

// True when `a` and `b` are the same field name (ASCII case-insensitive).
bool same_field_name(std::string_view a, std::string_view b);

}  // namespace sheaf::deb
