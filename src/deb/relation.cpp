#include "deb/relation.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace sheaf::deb {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

class RelationParser {
 public:
  RelationParser(std::string_view text, RelationKind kind, std::string_view where)
      : text_(text), kind_(kind), where_(where) {}

  std::vector<RelationGroup> parse() {
    std::vector<RelationGroup> groups;
    skip_space();
    if (at_end()) return groups;
    for (;;) {
      groups.push_back(parse_group());
      skip_space();
      if (at_end()) break;
      expect(',');
      skip_space();
      if (at_end()) break;  // a trailing comma is tolerated, as dpkg does
    }
    return groups;
  }

 private:
  RelationGroup parse_group() {
    RelationGroup group;
    for (;;) {
      skip_space();
      group.push_back(parse_alternative());
      skip_space();
      if (peek() != '|') break;
      if (kind_ != RelationKind::dependency) throw error("alternatives ('|') are allowed only in dependency fields");
      ++pos_;
    }
    return group;
  }

  Alternative parse_alternative() {
    Alternative alt;
    std::size_t start = pos_;
    while (!at_end() && (is_lower_alnum(peek()) || peek() == '+' || peek() == '-' || peek() == '.')) ++pos_;
    alt.name = std::string(text_.substr(start, pos_ - start));
    if (alt.name.empty()) {
      throw error(at_end() ? std::string("expected a package name")
                           : fmt::format("expected a package name, found {}", quote(text_.substr(pos_, 1))));
    }
    if (!is_valid_package_name(alt.name)) {
      pos_ = start;
      throw error(
          fmt::format("{} is not a valid package name (at least two of [a-z0-9+.-], starting with a "
                      "letter or digit)",
                      quote(alt.name)));
    }
    if (peek() == ':') {
      ++pos_;
      std::size_t arch_start = pos_;
      while (!at_end() && (is_lower_alnum(peek()) || peek() == '-')) ++pos_;
      alt.arch_qualifier = std::string(text_.substr(arch_start, pos_ - arch_start));
      if (alt.arch_qualifier.empty()) throw error("expected an architecture after ':'");
    }
    skip_space();
    if (peek() == '(') {
      ++pos_;
      skip_space();
      alt.op = parse_op();
      skip_space();
      std::size_t version_start = pos_;
      while (!at_end() && !is_space(peek()) && peek() != ')') ++pos_;
      alt.version = std::string(text_.substr(version_start, pos_ - version_start));
      if (alt.version.empty()) throw error("expected a version after the operator");
      try {
        Version::parse(alt.version);
      } catch (const ParseError& e) {
        pos_ = version_start;
        throw error(e.what());
      }
      skip_space();
      expect(')');
      if (kind_ == RelationKind::provides && alt.op != RelationOp::equal) {
        throw error("Provides allows only '=' version constraints");
      }
    }
    skip_space();
    if (peek() == '[') throw error("architecture restrictions ('[...]') belong to source packages, not here");
    if (peek() == '<') throw error("build profiles ('<...>') belong to source packages, not here");
    return alt;
  }

  RelationOp parse_op() {
    auto take = [&](std::string_view token) {
      if (text_.substr(pos_, token.size()) != token) return false;
      pos_ += token.size();
      return true;
    };
    if (take("<<")) return RelationOp::earlier;
    if (take("<=")) return RelationOp::earlier_or_equal;
    if (take(">>")) return RelationOp::later;
    if (take(">=")) return RelationOp::later_or_equal;
    if (take("=")) return RelationOp::equal;
    // The obsolete '<' and '>' mean '<=' and '>=', as dpkg reads them.
    if (take("<")) return RelationOp::earlier_or_equal;
    if (take(">")) return RelationOp::later_or_equal;
    throw error("expected one of <<, <=, =, >=, >>");
  }

  void skip_space() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void expect(char c) {
    if (peek() != c) {
      throw error(at_end() ? fmt::format("expected '{}' at the end", c)
                           : fmt::format("expected '{}', found {}", c, quote(text_.substr(pos_, 1))));
    }
    ++pos_;
  }
  ParseError error(std::string_view problem) const {
    return ParseError(fmt::format("{} column {}", where_, pos_ + 1), problem);
  }

  std::string_view text_;
  RelationKind kind_;
  std::string_view where_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string_view to_string(RelationOp op) {
  switch (op) {
    case RelationOp::earlier:
      return "<<";
    case RelationOp::earlier_or_equal:
      return "<=";
    case RelationOp::equal:
      return "=";
    case RelationOp::later_or_equal:
      return ">=";
    case RelationOp::later:
      return ">>";
  }
  return "?";
}

Relations Relations::parse(std::string_view text, RelationKind kind, std::string_view where) {
  Relations relations;
  relations.groups_ = RelationParser(text, kind, where).parse();
  return relations;
}

std::string Relations::str() const {
  std::string out;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    if (g > 0) out += ", ";
    for (std::size_t a = 0; a < groups_[g].size(); ++a) {
      const Alternative& alt = groups_[g][a];
      if (a > 0) out += " | ";
      out += alt.name;
      if (!alt.arch_qualifier.empty()) out += ":" + alt.arch_qualifier;
      if (alt.op) out += fmt::format(" ({} {})", to_string(*alt.op), alt.version);
    }
  }
  return out;
}

bool is_valid_package_name(std::string_view name) {
  if (name.size() < 2 || !is_lower_alnum(name.front())) return false;
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

bool is_machine_arch(std::string_view arch) {
  return is_valid_arch_name(arch) && arch != "all" && arch != "any";
}

bool is_valid_arch_name(std::string_view arch) {
  if (arch.empty()) return false;
  for (char c : arch) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

}  // namespace sheaf::deb
