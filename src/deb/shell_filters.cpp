#include "deb/shell_filters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string_view>

#include "base/error.hpp"

namespace sheaf::deb {

namespace {

using Args = std::vector<std::string>;

std::optional<std::int64_t> whole_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string command_line(const Args& a) {
  std::string text;
  for (const auto& arg : a) text += (text.empty() ? "" : " ") + arg;
  return text;
}

// A POSIX basic expression with GNU's extensions (\+ \? \| \s \w), or an
// extended one, as an ECMAScript expression (std::regex's grammar that knows
// \s and \w). Bracket expressions pass through.
std::string to_ecmascript(std::string_view re, bool extended) {
  std::string out;
  for (std::size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '[') {  // a bracket expression, [] and [^] first, classes inside
      std::size_t j = i + 1;
      if (j < re.size() && re[j] == '^') ++j;
      if (j < re.size() && re[j] == ']') ++j;
      while (j < re.size() && re[j] != ']') {
        if (re[j] == '[' && j + 1 < re.size() && (re[j + 1] == ':' || re[j + 1] == '.' || re[j + 1] == '=')) {
          auto close = re.find(std::string(1, re[j + 1]) + "]", j + 2);
          j = close == std::string_view::npos ? re.size() : close + 2;
          continue;
        }
        ++j;
      }
      std::string bracket(re.substr(i, std::min(j + 1, re.size()) - i));
      // ECMAScript reads a backslash inside brackets as an escape; POSIX does not.
      std::string escaped;
      for (char b : bracket) {
        if (b == '\\') escaped += '\\';
        escaped += b;
      }
      out += escaped;
      i = j;
      continue;
    }
    if (c == '\\' && i + 1 < re.size()) {
      char n = re[++i];
      if (!extended && std::string_view("(){}+?|").find(n) != std::string_view::npos) {
        out += n;  // a group, interval or GNU operator in a basic expression
      } else if (std::string_view("sSwWbB").find(n) != std::string_view::npos || (n >= '1' && n <= '9')) {
        out += '\\';
        out += n;
      } else if (n == 'n') {
        out += "\\n";
      } else if (n == 't') {
        out += "\\t";
      } else {
        out += '\\';
        out += n;  // an escaped literal
      }
      continue;
    }
    if (!extended && std::string_view("(){}+?|").find(c) != std::string_view::npos) {
      out += '\\';  // literal in a basic expression
      out += c;
      continue;
    }
    if (!extended && c == '*' && (out.empty() || out.back() == '(' || out.ends_with("^"))) {
      out += "\\*";  // a leading '*' is literal in a basic expression
      continue;
    }
    out += c;
  }
  return out;
}

std::regex make_regex(std::string_view re, bool extended, bool icase = false) {
  auto flags = std::regex::ECMAScript | (icase ? std::regex::icase : std::regex::flag_type{});
  return std::regex(to_ecmascript(re, extended), flags);
}

class Filters {
 public:
  Filters(const std::string& text, const FileContents& files) : input(text), files_(files) {}
  std::string output;

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      lines.push_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
    return lines;
  }
  void emit_lines(const std::vector<std::string>& lines) {
    for (const auto& l : lines) emit(l + "\n");
  }

  // Operands after the options, or nullopt for an option this does not know.
  // `valued` options take the next argument (or the rest of their own).
  struct Options {
    std::map<char, std::string> values;  // option -> value ("" for a flag)
    Args operands;
  };
  static std::optional<Options> options(const Args& a, std::string_view flags, std::string_view valued) {
    Options o;
    std::size_t i = 1;
    for (; i < a.size(); ++i) {
      const std::string& arg = a[i];
      if (arg == "--") {
        ++i;
        break;
      }
      if (arg.size() < 2 || arg[0] != '-' || arg == "-") break;
      for (std::size_t k = 1; k < arg.size(); ++k) {
        char c = arg[k];
        if (valued.find(c) != std::string_view::npos) {
          if (k + 1 < arg.size()) {
            o.values[c] = arg.substr(k + 1);
          } else if (i + 1 < a.size()) {
            o.values[c] = a[++i];
          } else {
            return std::nullopt;
          }
          break;
        }
        if (flags.find(c) == std::string_view::npos && !(c >= '0' && c <= '9')) return std::nullopt;
        o.values[c];
      }
    }
    o.operands.assign(a.begin() + static_cast<std::ptrdiff_t>(std::min(i, a.size())), a.end());
    return o;
  }

  int filter(const Args& a) {
    const std::string& name = a[0];
    if (name == "cat") {
      Args operands(a.begin() + 1, a.end());
      if (std::any_of(operands.begin(), operands.end(), [](const std::string& o) { return o.size() > 1 && o[0] == '-'; })) {
        throw FilterError{};
      }
      take_operands(operands);
      emit(input);
      return 0;
    }
    if (name == "grep" || name == "egrep" || name == "fgrep") return grep(a);
    if (name == "tr") return tr(a);
    if (name == "cut") return cut(a);
    if (name == "head" || name == "tail") return head_tail(a);
    if (name == "sed") return sed(a);
    if (name == "wc") {
      auto o = options(a, "lcw", "");
      if (!o) throw FilterError{};
      take_operands(o->operands);
      auto lines = lines_of(input);
      emit(std::to_string(o->values.contains('c') ? input.size() : lines.size()) + "\n");
      return 0;
    }
    if (name == "sort" || name == "uniq") {
      auto o = options(a, "ur", "");
      if (!o) throw FilterError{};
      take_operands(o->operands);
      auto lines = lines_of(input);
      if (name == "sort") std::sort(lines.begin(), lines.end());
      if (o->values.contains('r')) std::reverse(lines.begin(), lines.end());
      if (name == "uniq" || o->values.contains('u')) lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
      emit_lines(lines);
      return 0;
    }
    // The rest read files or the system, which the reader does not model:
    // no output, success.
    return 0;
  }

  int grep(const Args& raw) {
    // The long spellings scripts use, as their letters.
    static const std::map<std::string, std::string, std::less<>> kLong = {
        {"--quiet", "-q"}, {"--silent", "-q"}, {"--invert-match", "-v"}, {"--line-regexp", "-x"},
        {"--extended-regexp", "-E"}, {"--fixed-strings", "-F"}, {"--ignore-case", "-i"}, {"--count", "-c"},
        {"--no-messages", "-s"}};
    Args a;
    for (const auto& arg : raw) {
      auto it = kLong.find(arg);
      if (it != kLong.end()) {
        a.push_back(it->second);
      } else if (arg.starts_with("--regexp=")) {
        a.push_back("-e");
        a.push_back(arg.substr(9));
      } else {
        a.push_back(arg);
      }
    }
    auto o = options(a, "qsvxEFiwch", "e");
    if (!o) throw FilterError{};
    Args operands = o->operands;
    std::string pattern;
    if (o->values.contains('e')) {
      pattern = o->values['e'];
    } else if (!operands.empty()) {
      pattern = operands.front();
      operands.erase(operands.begin());
    } else {
      throw FilterError{};
    }
    if (!take_operands(operands)) return 1;  // a file whose content is not known: nothing matches
    bool fixed = a[0] == "fgrep" || o->values.contains('F');
    bool extended = a[0] == "egrep" || o->values.contains('E');

    std::vector<std::string> matched;
    try {
      std::regex re = make_regex(fixed ? std::string() : pattern, extended, o->values.contains('i'));
      for (const auto& line : lines_of(input)) {
        bool hit = fixed ? (o->values.contains('x') ? line == pattern : line.find(pattern) != std::string::npos)
                         : (o->values.contains('x') ? std::regex_match(line, re) : std::regex_search(line, re));
        if (hit != o->values.contains('v')) matched.push_back(line);
      }
    } catch (const std::regex_error&) {
      throw FilterError{fmt::format("the pattern of {}", quote(command_line(a)))};
    }
    if (o->values.contains('c')) {
      emit(std::to_string(matched.size()) + "\n");
    } else if (!o->values.contains('q')) {
      emit_lines(matched);
    }
    return matched.empty() ? 1 : 0;
  }

  // tr's sets: characters, ranges a-z, [:lower:], [:upper:], [:digit:],
  // [:space:], and \n \t \\ escapes.
  static std::optional<std::string> tr_set(std::string_view spec) {
    std::string out;
    for (std::size_t i = 0; i < spec.size(); ++i) {
      if (spec.substr(i).starts_with("[:")) {
        auto end = spec.find(":]", i);
        if (end == std::string_view::npos) return std::nullopt;
        std::string_view cls = spec.substr(i + 2, end - i - 2);
        if (cls == "lower") out += "abcdefghijklmnopqrstuvwxyz";
        else if (cls == "upper") out += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        else if (cls == "digit") out += "0123456789";
        else if (cls == "space") out += " \t\n\r\f\v";
        else return std::nullopt;
        i = end + 1;
        continue;
      }
      char c = spec[i];
      if (c == '\\' && i + 1 < spec.size()) {
        char e = spec[++i];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
      }
      if (i + 2 < spec.size() && spec[i + 1] == '-') {
        char last = spec[i + 2];
        if (last < c) return std::nullopt;
        for (int k = c; k <= last; ++k) out += static_cast<char>(k);
        i += 2;
        continue;
      }
      out += c;
    }
    return out;
  }

  int tr(const Args& a) {
    auto o = options(a, "ds", "");
    if (!o || o->operands.empty()) throw FilterError{};
    auto from = tr_set(o->operands[0]);
    if (!from) throw FilterError{};
    std::string out;
    if (o->values.contains('d')) {
      for (char c : input) {
        if (from->find(c) == std::string::npos) out += c;
      }
    } else {
      if (o->operands.size() != 2) throw FilterError{};
      auto to = tr_set(o->operands[1]);
      if (!to || to->empty()) throw FilterError{};
      for (char c : input) {
        auto k = from->find(c);
        out += k == std::string::npos ? c : (*to)[std::min(k, to->size() - 1)];
      }
    }
    emit(out);
    return 0;
  }

  int cut(const Args& a) {
    auto o = options(a, "s", "dfc");
    if (!o || (o->values.contains('f') == o->values.contains('c'))) throw FilterError{};
    take_operands(o->operands);
    bool by_field = o->values.contains('f');
    std::string list = by_field ? o->values['f'] : o->values['c'];
    char delimiter = '\t';
    if (o->values.contains('d')) {
      if (o->values['d'].size() != 1) throw FilterError{};
      delimiter = o->values['d'][0];
    }
    // "N", "N-M", "N-", "-M", comma-separated; 1-based.
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (std::size_t pos = 0; pos <= list.size();) {
      auto end = std::min(list.find(',', pos), list.size());
      std::string item = list.substr(pos, end - pos);
      pos = end + 1;
      auto dash = item.find('-');
      auto number = [&](std::string_view t, std::size_t otherwise) -> std::size_t {
        if (t.empty()) return otherwise;
        auto n = whole_integer(t);
        if (!n || *n < 1) throw FilterError{};
        return static_cast<std::size_t>(*n);
      };
      if (dash == std::string::npos) {
        std::size_t n = number(item, 0);
        ranges.emplace_back(n, n);
      } else {
        ranges.emplace_back(number(std::string_view(item).substr(0, dash), 1),
                            number(std::string_view(item).substr(dash + 1), static_cast<std::size_t>(-1)));
      }
    }
    auto wanted = [&](std::size_t k) {
      return std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) { return k >= r.first && k <= r.second; });
    };
    for (const auto& line : lines_of(input)) {
      std::string out;
      if (by_field) {
        if (line.find(delimiter) == std::string::npos) {
          if (!o->values.contains('s')) emit(line + "\n");
          continue;
        }
        std::size_t k = 1;
        bool first = true;
        for (std::size_t pos = 0; pos <= line.size(); ++k) {
          auto end = std::min(line.find(delimiter, pos), line.size());
          if (wanted(k)) {
            if (!first) out += delimiter;
            out += line.substr(pos, end - pos);
            first = false;
          }
          pos = end + 1;
        }
      } else {
        for (std::size_t k = 0; k < line.size(); ++k) {
          if (wanted(k + 1)) out += line[k];
        }
      }
      emit(out + "\n");
    }
    return 0;
  }

  int head_tail(const Args& a) {
    Args normal = a;
    for (std::size_t i = 1; i < normal.size(); ++i) {  // "-5" means "-n 5"
      if (normal[i].size() > 1 && normal[i][0] == '-' && std::isdigit(static_cast<unsigned char>(normal[i][1]))) {
        normal[i] = "-n" + normal[i].substr(1);
      }
    }
    auto o = options(normal, "q", "nc");
    if (!o || o->values.contains('c')) throw FilterError{};
    take_operands(o->operands);
    std::size_t n = 10;
    if (o->values.contains('n')) {
      auto v = whole_integer(o->values['n']);
      if (!v || *v < 0) throw FilterError{};
      n = static_cast<std::size_t>(*v);
    }
    auto lines = lines_of(input);
    if (a[0] == "head") {
      if (lines.size() > n) lines.resize(n);
    } else if (lines.size() > n) {
      lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
    }
    emit_lines(lines);
    return 0;
  }

  // sed [-n] [-E] SCRIPT | -e SCRIPT... [FILE...]: a script of commands
  // `[ADDRESS[,ADDRESS]][!]COMMAND`, separated by ';' or newlines, where an
  // address is a line number, '$' or /RE/ (GNU's 0,/RE/ too), and a command
  // is s/RE/REPLACEMENT/FLAGS (flags g, N, p), d, p or q. Basic expressions
  // unless -E. `sed -i` is the caller's: it edits a file (run_filter sees
  // the script and the file's content only).
  struct SedAddress {
    enum class Kind { none, line, last, regex } kind = Kind::none;
    std::size_t line = 0;
    std::regex re;
  };
  struct SedCommand {
    SedAddress from, to;
    bool range = false;
    bool negate = false;
    char op = 's';
    std::regex re;
    std::string replacement;
    bool global = false;
    bool print = false;
    int occurrence = 1;
    // Range state: inside the range; 0,/RE/ starts inside.
    bool active = false;
    bool done = false;
  };

  static std::string sed_part(const std::string& script, std::size_t& i, char delim, bool replacement) {
    std::string part;
    for (; i < script.size() && script[i] != delim; ++i) {
      if (script[i] == '\\' && i + 1 < script.size()) {
        char next = script[i + 1];
        if (next == delim) {
          part += delim;
        } else if (replacement && next == 'n') {
          part += '\n';
        } else {
          part += script[i];
          part += next;
        }
        ++i;
        continue;
      }
      part += script[i];
    }
    if (i >= script.size()) throw FilterError{fmt::format("the sed script {}", quote(script))};
    ++i;  // past the delimiter
    return part;
  }

  std::vector<SedCommand> sed_parse(const std::string& script, bool extended) {
    std::vector<SedCommand> commands;
    auto bad = [&] { return FilterError{fmt::format("the sed script {}", quote(script))}; };
    auto address = [&](std::size_t& i) {
      SedAddress a;
      if (i < script.size() && std::isdigit(static_cast<unsigned char>(script[i]))) {
        std::size_t start = i;
        while (i < script.size() && std::isdigit(static_cast<unsigned char>(script[i]))) ++i;
        a.kind = SedAddress::Kind::line;
        auto number = whole_integer(std::string_view(script).substr(start, i - start));
        if (!number) throw bad();
        a.line = static_cast<std::size_t>(*number);
      } else if (i < script.size() && script[i] == '$') {
        a.kind = SedAddress::Kind::last;
        ++i;
      } else if (i < script.size() && (script[i] == '/' || script[i] == '\\')) {
        char delim = '/';
        if (script[i] == '\\') {
          if (i + 1 >= script.size()) throw bad();
          delim = script[++i];
        }
        ++i;
        a.kind = SedAddress::Kind::regex;
        a.re = make_regex(sed_part(script, i, delim, false), extended);
      }
      return a;
    };
    for (std::size_t i = 0; i < script.size();) {
      while (i < script.size() && (script[i] == ';' || script[i] == '\n' || script[i] == ' ')) ++i;
      if (i >= script.size()) break;
      SedCommand c;
      c.from = address(i);
      if (i < script.size() && script[i] == ',') {
        ++i;
        c.range = true;
        c.to = address(i);
        if (c.to.kind == SedAddress::Kind::none) throw bad();
        c.active = c.from.kind == SedAddress::Kind::line && c.from.line == 0;
      }
      while (i < script.size() && script[i] == ' ') ++i;
      if (i < script.size() && script[i] == '!') {
        c.negate = true;
        ++i;
      }
      while (i < script.size() && script[i] == ' ') ++i;
      if (i >= script.size()) throw bad();
      c.op = script[i++];
      if (c.op == 's') {
        if (i >= script.size()) throw bad();
        char delim = script[i++];
        c.re = make_regex(sed_part(script, i, delim, false), extended);
        c.replacement = sed_part(script, i, delim, true);
        for (; i < script.size() && script[i] != ';' && script[i] != '\n'; ++i) {
          char f = script[i];
          if (f == 'g') c.global = true;
          else if (f == 'p') c.print = true;
          else if (f >= '1' && f <= '9') c.occurrence = f - '0';
          else if (f != ' ') throw FilterError{fmt::format("the sed flag {} in {}", f, quote(script))};
        }
      } else if (c.op != 'd' && c.op != 'p' && c.op != 'q') {
        throw FilterError{fmt::format("the sed command {} in {}", c.op, quote(script))};
      }
      commands.push_back(std::move(c));
    }
    return commands;
  }

  static bool sed_matches(const SedAddress& a, const std::string& line, std::size_t number, bool last) {
    switch (a.kind) {
      case SedAddress::Kind::none: return true;
      case SedAddress::Kind::line: return number == a.line;
      case SedAddress::Kind::last: return last;
      case SedAddress::Kind::regex: return std::regex_search(line, a.re);
    }
    return false;
  }

  static bool sed_selects(SedCommand& c, const std::string& line, std::size_t number, bool last) {
    bool hit = false;
    if (!c.range) {
      hit = sed_matches(c.from, line, number, last);
    } else if (c.active) {
      hit = true;
      if (sed_matches(c.to, line, number, last) || (c.to.kind == SedAddress::Kind::line && number >= c.to.line)) {
        c.active = false;
        c.done = true;
      }
    } else if (!c.done && sed_matches(c.from, line, number, last)) {
      hit = true;
      c.active = !(c.to.kind == SedAddress::Kind::line && c.to.line <= number);
    }
    return hit != c.negate;
  }

  static std::string sed_substitute(const SedCommand& c, const std::string& line, bool& changed) {
    std::smatch m;
    if (!std::regex_search(line, m, c.re)) return line;
    changed = true;
    if (c.global) return std::regex_replace(line, c.re, c.replacement, std::regex_constants::format_sed);
    std::string rest = line;
    std::string done;
    int seen = 0;
    while (std::regex_search(rest, m, c.re)) {
      if (++seen == c.occurrence) {
        done += m.prefix().str() + m.format(c.replacement, std::regex_constants::format_sed);
        return done + m.suffix().str();
      }
      auto step = static_cast<std::size_t>(m.position(0) + std::max<std::ptrdiff_t>(m.length(0), 1));
      done += rest.substr(0, step);
      rest = rest.substr(std::min(step, rest.size()));
    }
    changed = false;
    return line;
  }

  int sed(const Args& a) {
    Args scripts;
    Args operands;
    bool quiet = false;
    bool extended = false;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& arg = a[i];
      // Short flags together, "-ne SCRIPT" too.
      if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' && arg.find_first_not_of("nErse", 1) == std::string::npos &&
          arg.find('e') == arg.size() - 1 && i + 1 < a.size()) {
        quiet |= arg.find('n') != std::string::npos;
        extended |= arg.find_first_of("Er") != std::string::npos;
        scripts.push_back(a[++i]);
        continue;
      }
      if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' && arg.find_first_not_of("nErs", 1) == std::string::npos) {
        quiet |= arg.find('n') != std::string::npos;
        extended |= arg.find_first_of("Er") != std::string::npos;
        continue;
      }
      if (arg == "-e" && i + 1 < a.size()) {
        scripts.push_back(a[++i]);
      } else if (arg.starts_with("-e") && arg.size() > 2) {
        scripts.push_back(arg.substr(2));
      } else if (arg == "-n" || arg == "--quiet" || arg == "--silent") {
        quiet = true;
      } else if (arg == "-E" || arg == "-r" || arg == "--regexp-extended") {
        extended = true;
      } else if (arg.starts_with("-") && arg != "-") {
        throw FilterError{fmt::format("sed option {}", arg)};
      } else if (scripts.empty()) {
        scripts.push_back(arg);
      } else {
        operands.push_back(arg);
      }
    }
    if (scripts.empty()) throw FilterError{};
    std::string joined;
    for (const auto& script : scripts) joined += script + "\n";
    // A file whose content is not known, and nothing in, give nothing out.
    if (!take_operands(operands) || input.empty()) return 0;
    try {
      auto commands = sed_parse(joined, extended);
      auto lines = lines_of(input);
      std::string out;
      for (std::size_t n = 0; n < lines.size(); ++n) {
        std::string line = lines[n];
        bool last = n + 1 == lines.size();
        bool deleted = false;
        bool quit = false;
        for (auto& c : commands) {
          if (!sed_selects(c, line, n + 1, last)) continue;
          if (c.op == 'd') {
            deleted = true;
            break;
          }
          if (c.op == 'p') out += line + "\n";
          if (c.op == 'q') {
            quit = true;
            break;
          }
          if (c.op == 's') {
            bool changed = false;
            line = sed_substitute(c, line, changed);
            if (changed && c.print) out += line + "\n";
          }
        }
        if (!deleted && !quiet) out += line + "\n";
        if (quit) break;
      }
      emit(out);
    } catch (const std::regex_error&) {
      throw FilterError{fmt::format("the expression in {}", quote(command_line(a)))};
    }
    return 0;
  }

 private:
  void emit(std::string_view text) { output += text; }
  // The files named as operands become the input, in order. False when one
  // of them cannot be known (its content reads as empty).
  bool take_operands(const Args& operands) {
    if (operands.empty() || (operands.size() == 1 && operands[0] == "-")) return true;
    input.clear();
    bool known = true;
    for (const auto& path : operands) {
      auto content = files_ ? files_(path) : std::nullopt;
      if (!content) {
        known = false;
        continue;
      }
      input += *content;
    }
    return known;
  }

  std::string input;
  const FileContents& files_;
};

}  // namespace

bool is_filter(std::string_view name) {
  static const std::set<std::string, std::less<>> kFilters = {
      "grep", "egrep", "fgrep", "awk", "mawk", "gawk", "cut", "tr", "sort", "uniq", "head", "tail", "wc", "cat", "df",
      "ls", "stat", "cmp", "diff", "md5sum", "sha256sum", "find", "tty", "date", "tee", "seq", "getopt", "nproc",
      "hostname", "sed"};
  return kFilters.contains(name);
}

FilterResult run_filter(const std::vector<std::string>& argv, const std::string& input, const FileContents& files) {
  Filters f(input, files);
  int status = f.filter(argv);
  return {std::move(f.output), status};
}

}  // namespace sheaf::deb
