#include "sbom/licenses.hpp"

#include <set>
#include <vector>

namespace sheaf::sbom {

namespace {

const std::map<std::string, std::string, std::less<>>& known_names() {
  static const std::map<std::string, std::string, std::less<>> names = {
      {"AGPL-3", "AGPL-3.0-only"},
      {"AGPL-3+", "AGPL-3.0-or-later"},
      {"Apache-2", "Apache-2.0"},
      {"Apache-2.0", "Apache-2.0"},
      {"Artistic", "Artistic-1.0-Perl"},
      {"Artistic-2.0", "Artistic-2.0"},
      {"BSD-2-clause", "BSD-2-Clause"},
      {"BSD-3-clause", "BSD-3-Clause"},
      {"BSD-4-clause", "BSD-4-Clause"},
      {"BSL-1.0", "BSL-1.0"},
      {"CC0", "CC0-1.0"},
      {"CC0-1.0", "CC0-1.0"},
      {"Expat", "MIT"},
      {"FTL", "FTL"},
      {"GFDL-1.2", "GFDL-1.2-only"},
      {"GFDL-1.2+", "GFDL-1.2-or-later"},
      {"GFDL-1.3", "GFDL-1.3-only"},
      {"GFDL-1.3+", "GFDL-1.3-or-later"},
      {"GPL-1", "GPL-1.0-only"},
      {"GPL-1+", "GPL-1.0-or-later"},
      {"GPL-2", "GPL-2.0-only"},
      {"GPL-2+", "GPL-2.0-or-later"},
      {"GPL-2.0", "GPL-2.0-only"},
      {"GPL-2.0+", "GPL-2.0-or-later"},
      {"GPL-3", "GPL-3.0-only"},
      {"GPL-3+", "GPL-3.0-or-later"},
      {"GPL-3.0", "GPL-3.0-only"},
      {"GPL-3.0+", "GPL-3.0-or-later"},
      {"ISC", "ISC"},
      {"LGPL-2", "LGPL-2.0-only"},
      {"LGPL-2+", "LGPL-2.0-or-later"},
      {"LGPL-2.1", "LGPL-2.1-only"},
      {"LGPL-2.1+", "LGPL-2.1-or-later"},
      {"LGPL-3", "LGPL-3.0-only"},
      {"LGPL-3+", "LGPL-3.0-or-later"},
      {"MIT", "MIT"},
      {"MPL-1.1", "MPL-1.1"},
      {"MPL-2.0", "MPL-2.0"},
      {"OpenSSL", "OpenSSL"},
      {"PSF-2", "PSF-2.0"},
      {"Python-2.0", "Python-2.0"},
      {"Sleepycat", "Sleepycat"},
      {"Unicode-DFS-2016", "Unicode-DFS-2016"},
      {"X11", "X11"},
      {"Zlib", "Zlib"},
      {"curl", "curl"},
      {"zlib", "Zlib"},
      {"0BSD", "0BSD"},
      {"Unlicense", "Unlicense"},
  };
  return names;
}

const std::set<std::string, std::less<>>& spdx_ids() {
  static const std::set<std::string, std::less<>> ids = [] {
    std::set<std::string, std::less<>> out;
    for (const auto& [debian, spdx] : known_names()) out.insert(spdx);
    for (const char* id : {"GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "LGPL-2.1-only",
                           "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT-0", "BSD-1-Clause"}) {
      out.insert(id);
    }
    return out;
  }();
  return ids;
}

const std::set<std::string, std::less<>>& spdx_exceptions() {
  static const std::set<std::string, std::less<>> ids = {
      "Autoconf-exception-2.0", "Autoconf-exception-3.0", "Bison-exception-2.2", "Classpath-exception-2.0",
      "Font-exception-2.0",     "GCC-exception-2.0",      "GCC-exception-3.1",   "Libtool-exception",
      "LLVM-exception",         "OpenSSL-exception",      "Qt-GPL-exception-1.0"};
  return ids;
}

std::string ref_for(std::string_view debian, std::map<std::string, std::string>& refs) {
  std::string ref = "LicenseRef-Debian-";
  for (char c : debian) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    ref += ok ? c : c == '+' ? 'p' : '-';
  }
  refs.emplace(ref, std::string(debian));
  return ref;
}

std::string license_id(std::string_view debian, std::map<std::string, std::string>& refs) {
  if (auto it = known_names().find(debian); it != known_names().end()) return it->second;
  if (spdx_ids().count(debian)) return std::string(debian);
  return ref_for(debian, refs);
}

}  // namespace

SpdxLicense to_spdx(std::string_view text) {
  SpdxLicense out;
  if (text.empty() || text == "NOASSERTION") {
    out.expression = "NOASSERTION";
    return out;
  }
  // Tokens: "(", ")", operators and names.
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i;
    } else if (c == '(' || c == ')') {
      tokens.emplace_back(1, c);
      ++i;
    } else {
      std::size_t end = text.find_first_of(" \t(),", i);
      if (end == std::string_view::npos) end = text.size();
      tokens.emplace_back(text.substr(i, end - i));
      i = end;
    }
  }
  std::string expression;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    std::string piece;
    if (t == "(" || t == ")") {
      piece = t;
    } else if (t == "AND" || t == "OR" || t == "and" || t == "or") {
      piece = t == "and" ? "AND" : t == "or" ? "OR" : t;
    } else if (i + 2 < tokens.size() && (tokens[i + 1] == "WITH" || tokens[i + 1] == "with")) {
      const std::string& exception = tokens[i + 2];
      if (spdx_exceptions().count(exception)) {
        piece = license_id(t, out.refs) + " WITH " + exception;
      } else {
        piece = ref_for(t + "-with-" + exception, out.refs);
        out.refs[piece] = t + " with " + exception;
      }
      i += 2;
    } else {
      piece = license_id(t, out.refs);
    }
    if (!expression.empty() && expression.back() != '(' && piece != ")") expression += ' ';
    expression += piece;
  }
  out.expression = expression.empty() ? "NOASSERTION" : expression;
  return out;
}

}  // namespace sheaf::sbom
