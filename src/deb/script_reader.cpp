// derive_script_effects and the ScriptReader's evaluation of the shell:
// commands, pipelines, control flow, redirections, expansion
// (deb/script_reader.hpp has the whole reader).
#include "deb/script_reader.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <charconv>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "deb/merged_usr.hpp"
#include "deb/shell_filters.hpp"

namespace sheaf::deb {

namespace reader {

std::string canonical_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = end + 1;
  }
  std::string relative;
  for (auto p : parts) {
    if (!relative.empty()) relative += '/';
    relative += p;
  }
  return "/" + merged_usr_path(relative);
}

std::string basename_of(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string dirname_of(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::optional<std::int64_t> to_integer(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool matches(std::string_view pattern, std::string_view text) {
  return ::fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), 0) == 0;
}

bool is_system_directory(std::string_view path) {
  static const std::set<std::string, std::less<>> kDirs = {
      "/",        "/etc",      "/usr",      "/usr/bin",  "/usr/sbin", "/usr/lib",  "/usr/share", "/var",
      "/var/lib", "/var/log",  "/var/cache", "/var/tmp", "/tmp",      "/run",      "/proc",      "/dev",
      "/sys",     "/root",     "/home",     "/usr/local", "/var/spool", "/var/mail", "/srv",      "/opt"};
  return kDirs.contains(path);
}

namespace {

// Packages whose scripts' effects sheaf derives itself, from the image as a
// whole, so their scripts are not read: base-passwd (the fixed accounts),
// ca-certificates (the CA bundle), ca-certificates-java (the Java store) and
// libc-bin (ld.so.cache); see image/assembly.hpp.
bool is_derived_by_sheaf(std::string_view package) {
  return package == "base-passwd" || package == "ca-certificates" || package == "ca-certificates-java" ||
         package == "libc-bin";
}

// "/bin/sh -e" -> "sh", " /usr/bin/env bash" -> "bash".
std::string split_interpreter(std::string_view line) {
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto start = line.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    auto end = std::min(line.find_first_of(" \t", start), line.size());
    words.emplace_back(line.substr(start, end - start));
    pos = end;
  }
  if (words.empty()) return "";
  std::string program = basename_of(words[0]);
  if (program == "env" && words.size() > 1) return basename_of(words[1]);
  return program;
}

}  // namespace

void ScriptReader::read(const MaintainerScript& script, const Args& positional) {
  script_ = script.name;
  positional_ = positional;
  vars_ = {{"DPKG_MAINTSCRIPT_PACKAGE", package_},
           {"DPKG_MAINTSCRIPT_ARCH", arch_},
           {"DPKG_MAINTSCRIPT_NAME", script.name},
           {"DPKG_RUNNING_VERSION", "1.21.22"},
           {"DPKG_ROOT", ""},
           {"DPKG_ADMINDIR", "/var/lib/dpkg"},
           {"DEBIAN_FRONTEND", "noninteractive"},
           {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
           {"IFS", " \t\n"}};
  functions_.clear();
  flow_ = Flow::normal;
  status_ = 0;
  steps_ = 0;
  std::string where = fmt::format("{} {}", package_, script.name);
  if (script.text.starts_with("#!")) {
    // sh, dash and bash scripts are read as POSIX sh (bash syntax beyond it
    // does not parse, and is reported); other interpreters are not read.
    std::string first = script.text.substr(2, std::min(script.text.find('\n'), std::size_t{82}) - 2);
    auto interpreter = split_interpreter(first);
    if (interpreter != "sh" && interpreter != "dash" && interpreter != "bash") {
      out_.uninterpreted.push_back(
          {script.name, 1, fmt::format("the script runs under {}, not sh; it was not read", quote(first))});
      return;
    }
  }
  std::unique_ptr<ShellNode> tree;
  try {
    tree = parse_shell(script.text, where);
  } catch (const ParseError& e) {
    out_.uninterpreted.push_back({script.name, 0, fmt::format("the script does not parse: {}", e.what())});
    return;
  }
  try {
    run(*tree);
  } catch (const Abort& a) {
    out_.uninterpreted.push_back({script.name, line_, a.what + "; the rest of the script was not read"});
  }
}

void ScriptReader::run(const ShellNode& node) {
  if (++steps_ > kMaxSteps) throw Abort{fmt::format("more than {} commands", kMaxSteps)};
  switch (node.kind) {
    case ShellNode::Kind::list:
      for (const auto& child : node.children) {
        run(*child);
        if (flow_ != Flow::normal) return;
      }
      return;
    case ShellNode::Kind::and_or:
      run(*node.children[0]);
      for (std::size_t i = 1; i < node.children.size() && flow_ == Flow::normal; ++i) {
        if ((node.ops[i - 1] == "&&") == (status_ == 0)) run(*node.children[i]);
      }
      return;
    case ShellNode::Kind::pipeline: {
      // Each stage reads what the one before wrote (run in turn, not at
      // once: a stage never waits for a later one here).
      std::string saved_input = input_;
      for (std::size_t i = 0; i + 1 < node.children.size(); ++i) {
        std::string piped;
        {
          Capture capture(*this, &piped);
          run(*node.children[i]);
        }
        input_ = std::move(piped);
        if (flow_ == Flow::exit) flow_ = Flow::normal;  // a stage runs in a subshell
      }
      run(*node.children.back());
      input_ = std::move(saved_input);
      if (node.negate) status_ = status_ == 0 ? 1 : 0;
      return;
    }
    case ShellNode::Kind::if_: {
      std::size_t i = 0;
      for (; i + 1 < node.children.size(); i += 2) {
        run(*node.children[i]);
        if (flow_ != Flow::normal) return;
        if (status_ == 0) {
          run(*node.children[i + 1]);
          return;
        }
      }
      if (node.has_else) {
        run(*node.children.back());
      } else {
        status_ = 0;
      }
      return;
    }
    case ShellNode::Kind::for_: {
      Args items;
      if (node.has_in) {
        for (const auto& w : node.words) {
          auto fields = expand(w);
          items.insert(items.end(), fields.begin(), fields.end());
        }
      } else {
        items = positional_;
      }
      status_ = 0;
      for (const auto& item : items) {
        vars_[node.name] = item;
        run(*node.children[0]);
        if (!loop_continues()) break;
      }
      return;
    }
    case ShellNode::Kind::while_: {
      for (int round = 0;; ++round) {
        if (round == kMaxLoopRounds) throw Abort{fmt::format("a loop ran {} rounds", kMaxLoopRounds)};
        run(*node.children[0]);
        if (flow_ != Flow::normal || (status_ == 0) == node.until) break;
        run(*node.children[1]);
        if (!loop_continues()) break;
      }
      status_ = 0;
      return;
    }
    case ShellNode::Kind::case_: {
      std::string subject = expand_one(node.words[0]);
      for (std::size_t k = 0; k < node.patterns.size(); ++k) {
        for (const auto& p : node.patterns[k]) {
          if (matches(expand_pattern(p), subject)) {
            run(*node.children[k]);
            return;
          }
        }
      }
      status_ = 0;
      return;
    }
    case ShellNode::Kind::group:
      with_redirects(node, [&] { run(*node.children[0]); });
      return;
    case ShellNode::Kind::subshell: {
      auto vars = vars_;
      auto positional = positional_;
      with_redirects(node, [&] { run(*node.children[0]); });
      vars_ = std::move(vars);
      positional_ = std::move(positional);
      if (flow_ == Flow::exit) flow_ = Flow::normal;
      return;
    }
    case ShellNode::Kind::function:
      functions_[node.name] = node.children[0].get();
      status_ = 0;
      return;
    case ShellNode::Kind::simple:
      run_simple(node);
      return;
  }
}

bool ScriptReader::loop_continues() {
  if (flow_ == Flow::continue_) {
    if (--flow_count_ > 0) return false;
    flow_ = Flow::normal;
    return true;
  }
  if (flow_ == Flow::break_) {
    if (--flow_count_ == 0) flow_ = Flow::normal;
    return false;
  }
  return flow_ == Flow::normal;
}

template <typename Body>
void ScriptReader::with_redirects(const ShellNode& node, Body&& body) {
  bool hide = false;
  std::optional<std::pair<std::string, bool>> write_to;  // path, append
  std::optional<std::string> input;
  for (const auto& r : node.redirects) {
    if (r.op == "<<" || r.op == "<<-") {
      input = here_document(r);
      continue;
    }
    if (r.op == "<" || r.op == "<&" || r.op == "<>") {
      input = std::string();
      continue;
    }
    int fd = r.fd < 0 ? 1 : r.fd;
    std::string target = expand_one(r.target);
    if (r.op == ">&") {
      hide |= fd == 1 && target != "1";
      continue;
    }
    if (fd != 1) continue;  // standard error, or another descriptor: not modelled
    if (target == "/dev/null") {
      hide = true;
      continue;
    }
    write_to = {absolute(target), r.op == ">>"};
  }
  // A command's own input redirection holds for it alone; without one it
  // reads (and consumes) what its pipeline or loop gives.
  struct Restore {
    std::string& slot;
    std::optional<std::string> value;
    ~Restore() {
      if (value) slot = std::move(*value);
    }
  } restore{input_, std::nullopt};
  if (input) {
    restore.value = std::move(input_);
    input_ = std::move(*input);
  }
  if (!hide && !write_to) {
    body();
    return;
  }
  std::string written;
  {
    Capture capture(*this, &written);
    body();
  }
  if (write_to && !hide) write_file(write_to->first, written, write_to->second);
}

std::string ScriptReader::here_document(const ShellRedirect& r) {
  if (r.target.text.find_first_of("'\"\\") != std::string::npos) return r.here;
  std::string word = "\"";
  for (char c : r.here) {
    if (c == '"') word += '\\';
    word += c;
  }
  word += '"';
  return expand_one({word, line_});
}

void ScriptReader::write_file(const std::string& path, const std::string& text, bool append) {
  auto it =
      std::find_if(out_.created.rbegin(), out_.created.rend(), [&](const CreatedPath& c) { return c.path == path; });
  if (it != out_.created.rend() && it->kind == CreatedPath::Kind::file) {
    it->content = append ? it->content + text : text;
    return;
  }
  auto type = path_type(path);
  if (type == fileset::EntryType::dir)
    throw Uninterpretable{fmt::format("output written to the directory {}", quote(path))};
  std::string content = text;
  if (type && append) {
    auto before = content_of(path);
    if (!before)
      throw Uninterpretable{fmt::format("output appended to {}, whose content the reader does not know", quote(path))};
    content = *before + text;
  }
  if (!is_dir(dirname_of(path))) return;  // the shell fails to open it
  if (path.starts_with("/dev/") || path.starts_with("/proc/") || path.starts_with("/sys/")) return;
  make(CreatedPath::Kind::file, path, "", "");
  out_.created.back().content = std::move(content);
}

void ScriptReader::run_simple(const ShellNode& node) {
  if (depth_ == 0) line_ = node.line;
  try {
    run_simple_command(node);
  } catch (const Uninterpretable& u) {
    out_.uninterpreted.push_back({script_, line_, u.what});
    status_ = 0;
  }
}

void ScriptReader::run_simple_command(const ShellNode& node) {
  Args argv;
  for (const auto& w : node.words) {
    auto fields = expand(w);
    argv.insert(argv.end(), fields.begin(), fields.end());
  }
  std::vector<std::pair<std::string, std::string>> assignments;
  for (const auto& a : node.assignments) {
    auto eq = a.text.find('=');
    assignments.emplace_back(a.text.substr(0, eq), expand_one({a.text.substr(eq + 1), a.line}));
  }
  if (argv.empty()) {
    for (auto& [k, v] : assignments) vars_[k] = v;
    if (node.words.empty()) status_ = last_substitution_status_;
    with_redirects(node, [] {});
    return;
  }
  with_redirects(node, [&] { call(argv); });
}

void ScriptReader::call(const Args& argv) {
  const std::string& name = argv[0];
  if (auto f = functions_.find(name); f != functions_.end()) {
    if (depth_ >= kMaxCallDepth) throw Abort{"functions nested too deeply"};
    Args saved(argv.begin() + 1, argv.end());
    std::swap(saved, positional_);
    ++depth_;
    run(*f->second);
    --depth_;
    std::swap(saved, positional_);
    if (flow_ == Flow::return_) flow_ = Flow::normal;
    return;
  }
  status_ = command(argv);
}

Args ScriptReader::expand(const ShellWord& word, bool split) {
  auto parts = split_word(word.text, fmt::format("{} {} line {}", package_, script_, word.line));
  Args fields;
  std::string current;
  bool have = false;
  auto add_value = [&](const std::string& value, bool quoted) {
    if (quoted || !split) {
      current += value;
      have = true;
      return;
    }
    const std::string ifs = " \t\n";
    std::size_t pos = 0;
    while (pos < value.size()) {
      if (ifs.find(value[pos]) != std::string::npos) {
        if (have) fields.push_back(std::move(current));
        current.clear();
        have = false;
        while (pos < value.size() && ifs.find(value[pos]) != std::string::npos) ++pos;
        continue;
      }
      auto end = value.find_first_of(ifs, pos);
      if (end == std::string::npos) end = value.size();
      current += value.substr(pos, end - pos);
      have = true;
      pos = end;
    }
  };
  for (const auto& part : parts) {
    switch (part.kind) {
      case ShellWordPart::Kind::literal:
        current += part.text;
        have = have || part.quoted || !part.text.empty();
        break;
      case ShellWordPart::Kind::parameter:
        if (part.text == "@" && part.quoted && split) {
          for (std::size_t i = 0; i < positional_.size(); ++i) {
            if (i > 0) {
              fields.push_back(std::move(current));
              current.clear();
            }
            current += positional_[i];
            have = true;
          }
          break;
        }
        add_value(parameter(part.text), part.quoted);
        break;
      case ShellWordPart::Kind::command:
        add_value(substitute(part.text), part.quoted);
        break;
      case ShellWordPart::Kind::arithmetic:
        add_value(std::to_string(arithmetic(expand_one({part.text, word.line}))), part.quoted);
        break;
    }
  }
  if (have) fields.push_back(std::move(current));
  return fields;
}

std::string ScriptReader::expand_one(const ShellWord& word) {
  auto fields = expand(word, false);
  return fields.empty() ? std::string() : fields.front();
}

std::string ScriptReader::expand_pattern(const ShellWord& word) {
  std::string out;
  for (const auto& part : split_word(word.text, fmt::format("{} {} line {}", package_, script_, word.line))) {
    std::string value = part.kind == ShellWordPart::Kind::literal   ? part.text
                        : part.kind == ShellWordPart::Kind::command ? substitute(part.text)
                                                                    : parameter(part.text);
    if (!part.quoted) {
      out += value;
      continue;
    }
    for (char c : value) {
      if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::optional<std::string> ScriptReader::variable(std::string_view name) const {
  if (name == "#") return std::to_string(positional_.size());
  if (name == "?") return std::to_string(status_);
  if (name == "$") return std::string("4242");
  if (name == "!") return std::string();
  if (name == "-") return std::string("e");
  if (name == "0") return "/var/lib/dpkg/info/" + package_ + "." + script_;
  if (name == "@" || name == "*") {
    std::string joined;
    for (std::size_t i = 0; i < positional_.size(); ++i) joined += (i ? " " : "") + positional_[i];
    return joined;
  }
  if (auto n = to_integer(name)) {
    if (*n >= 1 && static_cast<std::size_t>(*n) <= positional_.size())
      return positional_[static_cast<std::size_t>(*n) - 1];
    return std::nullopt;
  }
  auto it = vars_.find(std::string(name));
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::string ScriptReader::parameter(const std::string& text) {
  if (text.size() > 1 && text[0] == '#') return std::to_string(variable(text.substr(1)).value_or("").size());
  std::size_t n = 0;
  if (!text.empty() && (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) {
    while (n < text.size() && (std::isalnum(static_cast<unsigned char>(text[n])) || text[n] == '_')) ++n;
  } else if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n]))) ++n;
  } else if (!text.empty()) {
    n = 1;
  }
  std::string name = text.substr(0, n);
  std::string op = text.substr(n);
  auto value = variable(name);
  if (op.empty()) return value.value_or("");
  bool colon = op[0] == ':';
  if (op.size() < (colon ? 2u : 1u)) throw Uninterpretable{fmt::format("the expansion ${{{}}}", text)};
  std::string kind = op.substr(colon ? 1 : 0, 1);
  std::string rest = op.substr(colon ? 2 : 1);
  bool set = value.has_value() && (!colon || !value->empty());
  if (kind == "-") return set ? *value : expand_one({rest, line_});
  if (kind == "=") {
    if (!set) vars_[name] = expand_one({rest, line_});
    return vars_[name];
  }
  if (kind == "+") return set ? expand_one({rest, line_}) : std::string();
  if (kind == "?") {
    if (!set) throw Uninterpretable{fmt::format("${{{}}} is unset", name)};
    return *value;
  }
  if (!colon && (op[0] == '#' || op[0] == '%')) {
    bool longest = op.size() > 1 && op[1] == op[0];
    std::string pattern = expand_pattern({op.substr(longest ? 2 : 1), line_});
    std::string v = value.value_or("");
    if (op[0] == '#') {
      for (std::size_t k = 0; k <= v.size(); ++k) {
        std::size_t len = longest ? v.size() - k : k;
        if (matches(pattern, v.substr(0, len))) return v.substr(len);
      }
    } else {
      for (std::size_t k = 0; k <= v.size(); ++k) {
        std::size_t start = longest ? k : v.size() - k;
        if (matches(pattern, v.substr(start))) return v.substr(0, start);
      }
    }
    return v;
  }
  throw Uninterpretable{fmt::format("the expansion ${{{}}}", text)};
}

std::string ScriptReader::substitute(const std::string& text) {
  if (depth_ >= kMaxCallDepth) throw Abort{"substitutions nested too deeply"};
  auto& tree = parsed_[text];
  if (!tree) {
    try {
      tree = parse_shell(text, fmt::format("{} {} line {}: $(...)", package_, script_, line_));
    } catch (const ParseError& e) {
      throw Uninterpretable{e.what()};
    }
  }
  std::string output;
  auto vars = vars_;
  {
    Capture capture(*this, &output);
    ++depth_;
    run(*tree);
    --depth_;
  }
  vars_ = std::move(vars);
  if (flow_ == Flow::exit) flow_ = Flow::normal;
  last_substitution_status_ = status_;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

std::int64_t ScriptReader::arithmetic(const std::string& text) {
  if (text.find_first_not_of(" \t\n") == std::string::npos) return 0;  // dash: $(()) is 0
  std::size_t pos = 0;
  std::function<std::int64_t(int)> parse_binary;
  auto skip = [&] {
    while (pos < text.size() && text[pos] == ' ') ++pos;
  };
  auto primary = [&]() -> std::int64_t {
    skip();
    if (pos < text.size() && text[pos] == '(') {
      ++pos;
      std::int64_t v = parse_binary(0);
      skip();
      if (pos >= text.size() || text[pos] != ')') throw Uninterpretable{"$((" + text + "))"};
      ++pos;
      return v;
    }
    if (pos < text.size() && text[pos] == '-') {
      ++pos;
      return -parse_binary(3);
    }
    std::size_t start = pos;
    while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_')) ++pos;
    std::string token = text.substr(start, pos - start);
    if (auto n = to_integer(token)) return *n;
    if (!token.empty() && !std::isdigit(static_cast<unsigned char>(token[0]))) {
      return to_integer(vars_[token]).value_or(0);
    }
    throw Uninterpretable{"$((" + text + "))"};
  };
  parse_binary = [&](int level) -> std::int64_t {
    static const std::vector<std::vector<std::string>> kLevels = {
        {"==", "!=", "<=", ">=", "<", ">"}, {"+", "-"}, {"*", "/", "%"}};
    if (level >= 3) return primary();
    std::int64_t left = parse_binary(level + 1);
    for (;;) {
      skip();
      std::string op;
      for (const auto& candidate : kLevels[static_cast<std::size_t>(level)]) {
        if (text.compare(pos, candidate.size(), candidate) == 0) {
          op = candidate;
          break;
        }
      }
      if (op.empty()) return left;
      pos += op.size();
      std::int64_t right = parse_binary(level + 1);
      if ((op == "/" || op == "%") && right == 0) throw Uninterpretable{"division by zero in $((" + text + "))"};
      left = op == "+"    ? left + right
             : op == "-"  ? left - right
             : op == "*"  ? left * right
             : op == "/"  ? left / right
             : op == "%"  ? left % right
             : op == "==" ? left == right
             : op == "!=" ? left != right
             : op == "<=" ? left <= right
             : op == ">=" ? left >= right
             : op == "<"  ? left < right
                          : left > right;
    }
  };
  std::int64_t v = parse_binary(0);
  skip();
  if (pos != text.size()) throw Uninterpretable{"$((" + text + "))"};
  return v;
}

std::optional<fileset::EntryType> ScriptReader::path_type(std::string_view path) const {
  std::string p = canonical_path(path);
  if (auto it = made_.find(p); it != made_.end()) return it->second;
  if (removed_.contains(p)) return std::nullopt;
  if (auto it = files_.find(p); it != files_.end()) return it->second;
  if (is_system_directory(p)) return fileset::EntryType::dir;
  if (p == "/dev/null" || p == "/dev/zero" || p == "/dev/urandom") return fileset::EntryType::file;
  return std::nullopt;
}

void ScriptReader::emit(std::string_view text) {
  if (output_) *output_ += text;
}

void ScriptReader::report_removed() {
  for (const auto& [path, line] : removed_) {
    out_.uninterpreted.push_back(
        {script_, line, fmt::format("removes {}, a path of the package, which the image keeps", path)});
  }
  removed_.clear();
}

}  // namespace reader

namespace {

using reader::Args;
using reader::ScriptReader;

// Effects are stored as JSON, which holds UTF-8 only. A script's bytes need
// not be: an effect that names something in other bytes is dropped and
// reported, and descriptions are mended.
void drop_invalid_text(ScriptEffects& e) {
  auto valid = [](std::initializer_list<std::string_view> texts) {
    return std::all_of(texts.begin(), texts.end(), [](std::string_view t) { return is_valid_utf8(t); });
  };
  std::vector<Uninterpreted> dropped;
  auto drop = [&](const std::string& script, bool ok) {
    if (!ok) dropped.push_back({script, 0, "an effect names a path or account in bytes that are not UTF-8; it was left out"});
    return !ok;
  };
  std::erase_if(e.alternatives, [&](const AlternativeInstall& a) {
    bool ok = valid({a.master.link, a.master.name, a.master.path});
    for (const auto& s : a.slaves) ok = ok && valid({s.link, s.name, s.path});
    return drop(a.script, ok);
  });
  std::erase_if(e.accounts, [&](const Account& a) {
    return drop(a.script, valid({a.name, a.group, a.home, a.shell, a.gecos}));
  });
  std::erase_if(e.memberships, [&](const Membership& m) { return drop(m.script, valid({m.user, m.group})); });
  std::erase_if(e.attributes, [&](const PathAttributes& a) {
    return drop(a.script, valid({a.path, a.owner, a.group, a.mode}));
  });
  std::erase_if(e.created, [&](const CreatedPath& c) { return drop(c.script, valid({c.path, c.source, c.mode})); });
  std::erase_if(e.diversions, [&](const Diversion& d) {
    return drop(d.script, valid({d.path, d.divert_to, d.package}));
  });
  for (auto& u : e.uninterpreted) {
    if (is_valid_utf8(u.what)) continue;
    for (char& c : u.what) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  e.uninterpreted.insert(e.uninterpreted.end(), dropped.begin(), dropped.end());
}

}  // namespace

ScriptEffects derive_script_effects(const std::vector<MaintainerScript>& scripts, const PackageFiles& files,
                                    std::string_view package, std::string_view arch, const FileReader& read_file) {
  ScriptEffects effects;
  if (reader::is_derived_by_sheaf(package)) return effects;
  // A fresh install: preinst install, then postinst configure (no old
  // version), on one system, so postinst sees what preinst made.
  ScriptReader reader(files, read_file, package, arch, effects);
  for (std::string_view name : {"preinst", "postinst"}) {
    for (const auto& script : scripts) {
      if (script.name == name) reader.read(script, name == "preinst" ? Args{"install"} : Args{"configure", ""});
    }
  }
  reader.report_removed();
  // Temporary files are not part of what a script leaves.
  std::erase_if(effects.created, [](const CreatedPath& c) { return c.path.starts_with("/tmp/"); });
  std::erase_if(effects.attributes, [](const PathAttributes& a) { return a.path.starts_with("/tmp/"); });
  drop_invalid_text(effects);
  return effects;
}

}  // namespace sheaf::deb
