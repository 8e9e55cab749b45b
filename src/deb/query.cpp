#include "deb/query.hpp"

#include <fmt/format.h>

#include "base/error.hpp"
#include "deb/closure.hpp"

namespace sheaf::deb {

namespace {

// Debian policy 5.6.1: lower-case letters, digits, + - ., at least two
// characters, starting with a letter or digit.
bool valid_name(std::string_view name) {
  if (name.size() < 2 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

PackageQuery PackageQuery::parse(std::string_view text) {
  PackageQuery q;
  auto at = text.find('@');
  q.name = std::string(text.substr(0, at));
  if (!valid_name(q.name)) fail_usage("{} is not a Debian package name", quote(q.name));
  if (at == std::string_view::npos) return q;
  std::string_view rest = text.substr(at + 1);
  struct Spelling {
    std::string_view text;
    RelationOp op;
  };
  // Longest first, so "<=" is not read as "<" then "=...".
  static constexpr Spelling kOps[] = {{"<=", RelationOp::earlier_or_equal},
                                      {">=", RelationOp::later_or_equal},
                                      {"<", RelationOp::earlier},
                                      {">", RelationOp::later},
                                      {"=", RelationOp::equal}};
  q.op = RelationOp::equal;
  for (const auto& s : kOps) {
    if (rest.starts_with(s.text)) {
      q.op = s.op;
      rest.remove_prefix(s.text.size());
      break;
    }
  }
  q.version = std::string(rest);
  if (q.version.empty()) fail_usage("{}: no version after '@'", quote(text));
  if (!Version::try_parse(q.version)) fail_usage("{}: {} is not a valid Debian version", quote(text), quote(q.version));
  return q;
}

bool PackageQuery::matches(std::string_view have) const {
  return !op || version_satisfies(have, *op, version);
}

std::string PackageQuery::str() const {
  if (!op) return name;
  std::string_view spelled;
  switch (*op) {
    case RelationOp::earlier:
      spelled = "<";
      break;
    case RelationOp::earlier_or_equal:
      spelled = "<=";
      break;
    case RelationOp::equal:
      spelled = "";
      break;
    case RelationOp::later_or_equal:
      spelled = ">=";
      break;
    case RelationOp::later:
      spelled = ">";
      break;
  }
  return fmt::format("{}@{}{}", name, spelled, version);
}

}  // namespace sheaf::deb
