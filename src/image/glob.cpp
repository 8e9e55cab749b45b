#include "image/glob.hpp"

namespace sheaf::image {

namespace {

// Matches one component against a pattern component with * and ?.
bool component_matches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// A trailing "**" must match at least one component: "a/**" is what a
// holds, not a itself.
bool match_from(const std::vector<std::string_view>& g, std::size_t gi, const std::vector<std::string_view>& p,
                std::size_t pi) {
  if (gi == g.size()) return pi == p.size();
  if (g[gi] == "**") {
    std::size_t first = gi + 1 == g.size() ? pi + 1 : pi;
    for (std::size_t next = first; next <= p.size(); ++next) {
      if (match_from(g, gi + 1, p, next)) return true;
    }
    return false;
  }
  return pi < p.size() && component_matches(g[gi], p[pi]) && match_from(g, gi + 1, p, pi + 1);
}

}  // namespace

bool glob_matches(std::string_view glob, std::string_view path) {
  return match_from(components(glob), 0, components(path), 0);
}

bool dropped_by(const std::vector<std::string>& globs, std::string_view path) {
  for (std::string_view p = path; !p.empty();) {
    for (const auto& glob : globs) {
      if (glob_matches(glob, p)) return true;
    }
    std::size_t slash = p.rfind('/');
    if (slash == std::string_view::npos) break;
    p = p.substr(0, slash);
  }
  return false;
}

}  // namespace sheaf::image
