#include "deb/version.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace sheaf::deb {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}

// dpkg's order(): the weight of one non-digit character. `c == 0` is the end.
int order(char c) {
  if (c == 0 || is_digit(c)) return 0;
  if (is_alpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  return static_cast<unsigned char>(c) + 256;
}

}  // namespace

int compare_version_part(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  auto at = [](std::string_view s, std::size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = order(at(a, i));
      int bc = order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_diff == 0) first_diff = at(a, i) - at(b, j);
      ++i;
      ++j;
    }
    if (is_digit(at(a, i))) return 1;
    if (is_digit(at(b, j))) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

Version Version::parse(std::string_view text, std::string_view where) {
  auto bad = [&](std::string_view problem) -> ParseError {
    return ParseError(fmt::format("{} {}", where, quote(text)), problem);
  };
  Version v;
  v.text_ = std::string(text);
  if (text.empty()) throw bad("is empty");
  std::string_view rest = text;
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    std::string_view epoch = rest.substr(0, colon);
    if (epoch.empty()) throw bad("has an empty epoch before ':'");
    std::uint64_t value = 0;
    for (char c : epoch) {
      if (!is_digit(c)) throw bad("has an epoch that is not a number");
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      if (value > 0x7fffffff) throw bad("has an epoch that is too large");
    }
    v.epoch_ = static_cast<std::uint32_t>(value);
    rest.remove_prefix(colon + 1);
  }
  if (auto hyphen = rest.rfind('-'); hyphen != std::string_view::npos) {
    v.revision_ = std::string(rest.substr(hyphen + 1));
    if (v.revision_.empty()) throw bad("has an empty revision after '-'");
    for (char c : v.revision_) {
      if (!is_alnum(c) && c != '+' && c != '.' && c != '~') {
        throw bad(fmt::format("has {} in its revision (allowed: letters, digits, '+', '.', '~')", quote({&c, 1})));
      }
    }
    rest = rest.substr(0, hyphen);
  }
  if (rest.empty()) throw bad("has an empty upstream version");
  if (!is_digit(rest.front())) throw bad("does not start with a digit");
  for (char c : rest) {
    if (!is_alnum(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':') {
      throw bad(fmt::format("has {} in its upstream version (allowed: letters, digits, '.', '+', '~', '-', ':')",
                            quote({&c, 1})));
    }
  }
  v.upstream_ = std::string(rest);
  return v;
}

std::optional<Version> Version::try_parse(std::string_view text) {
  try {
    return parse(text);
  } catch (const ParseError&) {
    return std::nullopt;
  }
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  if (a.epoch_ != b.epoch_) return a.epoch_ <=> b.epoch_;
  if (int c = compare_version_part(a.upstream_, b.upstream_); c != 0) return c <=> 0;
  return compare_version_part(a.revision_, b.revision_) <=> 0;
}

}  // namespace sheaf::deb
