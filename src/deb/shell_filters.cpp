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

std::optional<std::int64_t> to_integer(std::string_view text) {
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

class Filters {
 public:
  explicit Filters(const std::string& text) : input(text) {}
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
      if (a.size() == 1 || (a.size() == 2 && a[1] == "-")) emit(input);
      return 0;
    }
    if (name == "grep" || name == "egrep" || name == "fgrep") return grep(a);
    if (name == "tr") return tr(a);
    if (name == "cut") return cut(a);
    if (name == "head" || name == "tail") return head_tail(a);
    if (name == "sed") return sed(a);
    if (name == "wc") {
      auto o = options(a, "lcw", "");
      if (!o || !o->operands.empty()) throw FilterError{};
      auto lines = lines_of(input);
      emit(std::to_string(o->values.contains('c') ? input.size() : lines.size()) + "\n");
      return 0;
    }
    if (name == "sort" || name == "uniq") {
      auto o = options(a, "ur", "");
      if (!o || !o->operands.empty()) throw FilterError{};
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

  int grep(const Args& a) {
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
    if (!operands.empty()) return 1;  // files: their content is not known, so nothing matches
    bool fixed = a[0] == "fgrep" || o->values.contains('F');
    bool extended = a[0] == "egrep" || o->values.contains('E');
    auto flags = (extended ? std::regex::extended : std::regex::basic) |
                 (o->values.contains('i') ? std::regex::icase : std::regex::flag_type{});
    std::vector<std::string> matched;
    try {
      std::regex re(fixed ? std::string() : pattern, flags);
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
    if (!o || !o->operands.empty() || (o->values.contains('f') == o->values.contains('c'))) {
      throw FilterError{};
    }
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
        auto n = to_integer(t);
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
    if (!o || !o->operands.empty() || o->values.contains('c')) throw FilterError{};
    std::size_t n = 10;
    if (o->values.contains('n')) {
      auto v = to_integer(o->values['n']);
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

  // sed SCRIPT on standard input, for the scripts' s/RE/REPLACEMENT/FLAGS
  // commands (basic or -E extended expressions; flags g and a number, and
  // p with -n); sed -i edits a file in place, which is not modelled.
  int sed(const Args& a) {
    Args scripts;
    Args operands;
    bool quiet = false;
    bool extended = false;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& arg = a[i];
      if (arg == "-i" || arg.starts_with("-i") || arg == "--in-place" || arg.starts_with("--in-place=")) {
        throw FilterError{fmt::format("sed -i edits {} in place", a.back())};
      }
      if (arg == "-e" && i + 1 < a.size()) {
        scripts.push_back(a[++i]);
      } else if (arg == "-n") {
        quiet = true;
      } else if (arg == "-E" || arg == "-r") {
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
    // A file's content is not known, and nothing in gives nothing out
    // (whatever the script says).
    if (!operands.empty() || input.empty()) return 0;
    struct Substitution {
      std::regex re;
      std::string replacement;
      bool global = false;
      bool print = false;
      int occurrence = 1;
    };
    std::vector<Substitution> commands;
    try {
      for (const auto& script : scripts) {
        for (std::size_t pos = 0; pos < script.size();) {
          while (pos < script.size() && (script[pos] == ';' || script[pos] == '\n' || script[pos] == ' ')) ++pos;
          if (pos >= script.size()) break;
          if (script[pos] != 's' || pos + 1 >= script.size()) throw FilterError{fmt::format("the sed script {}", quote(script))};
          char delim = script[pos + 1];
          std::string parts[2];
          std::size_t i = pos + 2;
          for (int k = 0; k < 2; ++k) {
            for (; i < script.size() && script[i] != delim; ++i) {
              if (script[i] == '\\' && i + 1 < script.size()) {
                if (script[i + 1] == delim) {
                  parts[k] += delim;
                  ++i;
                  continue;
                }
                if (k == 1 && script[i + 1] == 'n') {
                  parts[k] += '\n';
                  ++i;
                  continue;
                }
                parts[k] += script[i++];
              }
              parts[k] += script[i];
            }
            if (i >= script.size()) throw FilterError{fmt::format("the sed script {}", quote(script))};
            ++i;
          }
          Substitution sub{std::regex(parts[0], extended ? std::regex::extended : std::regex::basic), parts[1]};
          for (; i < script.size() && script[i] != ';' && script[i] != '\n'; ++i) {
            char f = script[i];
            if (f == 'g') sub.global = true;
            else if (f == 'p') sub.print = true;
            else if (f >= '1' && f <= '9') sub.occurrence = f - '0';
            else if (f != ' ') throw FilterError{fmt::format("the sed flag {} in {}", f, quote(script))};
          }
          commands.push_back(std::move(sub));
          pos = i;
        }
      }
      std::string out;
      for (auto line : lines_of(input)) {
        bool printed = false;
        for (const auto& c : commands) {
          std::smatch m;
          if (!std::regex_search(line, m, c.re)) continue;
          if (c.global) {
            line = std::regex_replace(line, c.re, c.replacement, std::regex_constants::format_sed);
          } else {
            // The N-th match only.
            std::string rest = line;
            std::string done;
            int seen = 0;
            while (std::regex_search(rest, m, c.re)) {
              if (++seen == c.occurrence) {
                done += m.prefix().str() + m.format(c.replacement, std::regex_constants::format_sed);
                rest = m.suffix().str();
                break;
              }
              std::size_t step = static_cast<std::size_t>(m.position(0) + std::max<std::ptrdiff_t>(m.length(0), 1));
              done += rest.substr(0, step);
              rest = rest.substr(std::min(step, rest.size()));
            }
            line = done + rest;
          }
          if (c.print) printed = true;
        }
        if (!quiet) out += line + "\n";
        if (printed) out += line + "\n";
      }
      emit(out);
    } catch (const std::regex_error&) {
      throw FilterError{fmt::format("the expression in {}", quote(command_line(a)))};
    }
    return 0;
  }

 private:
  void emit(std::string_view text) { output += text; }
  const std::string& input;
};

}  // namespace

bool is_filter(std::string_view name) {
  static const std::set<std::string, std::less<>> kFilters = {
      "grep", "egrep", "fgrep", "awk", "mawk", "gawk", "cut", "tr", "sort", "uniq", "head", "tail", "wc", "cat",
      "ls", "stat", "cmp", "diff", "md5sum", "sha256sum", "find", "tty", "date", "tee", "seq", "getopt", "nproc",
      "hostname", "sed"};
  return kFilters.contains(name);
}

FilterResult run_filter(const std::vector<std::string>& argv, const std::string& input) {
  Filters f(input);
  int status = f.filter(argv);
  return {std::move(f.output), status};
}

}  // namespace sheaf::deb
