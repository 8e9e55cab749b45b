// derive_script_effects: evaluates maintainer scripts over a model of a
// fresh system and records what they would change (deb/script_effects.hpp).
// Nothing here executes anything: every command is either modelled below or
// recorded as uninterpreted.
#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <functional>
#include <set>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "deb/merged_usr.hpp"
#include "deb/script_effects.hpp"
#include "deb/shell_filters.hpp"
#include "deb/shell_script.hpp"
#include "deb/version.hpp"

namespace sheaf::deb {

namespace {

using Args = std::vector<std::string>;

constexpr int kMaxSteps = 200000;     // commands evaluated per script
constexpr int kMaxLoopRounds = 1000;  // rounds of one while/until loop
constexpr int kMaxCallDepth = 64;     // functions, substitutions and eval, nested

// A path as the reader compares it: absolute, normalised, merged-/usr.
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

// Directories every Debian system has before any package's scripts run.
bool is_system_directory(std::string_view path) {
  static const std::set<std::string, std::less<>> kDirs = {
      "/",        "/etc",      "/usr",      "/usr/bin",  "/usr/sbin", "/usr/lib",  "/usr/share", "/var",
      "/var/lib", "/var/log",  "/var/cache", "/var/tmp", "/tmp",      "/run",      "/proc",      "/dev",
      "/sys",     "/root",     "/home",     "/usr/local", "/var/spool", "/var/mail", "/srv",      "/opt"};
  return kDirs.contains(path);
}

// A command that could not be followed: recorded, and the script goes on
// as if it had succeeded.
struct Uninterpretable {
  std::string what;
};
// A limit that stops reading the script.
struct Abort {
  std::string what;
};

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

class ScriptReader {
 public:
  ScriptReader(const PackageFiles& files, const FileReader& read_file, std::string_view package, std::string_view arch,
               ScriptEffects& out)
      : files_(files), read_file_(read_file), package_(package), arch_(arch), out_(out) {}

  void read(const MaintainerScript& script, const Args& positional) {
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

 private:
  enum class Flow { normal, exit, return_, break_, continue_ };

  // --- evaluation ----------------------------------------------------------

  void run(const ShellNode& node) {
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

  // After a loop body: false when the loop should stop.
  bool loop_continues() {
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

  struct Capture {
    ScriptReader& r;
    std::string* saved;
    Capture(ScriptReader& reader, std::string* into) : r(reader), saved(reader.output_) { r.output_ = into; }
    ~Capture() { r.output_ = saved; }
  };

  // Redirections. Standard output sent to /dev/null or to another
  // descriptor is hidden from $(...); standard output written to a file
  // makes or extends that file (a CreatedPath with its content); standard
  // error is not modelled. A here document is standard input; so is a file
  // read with <, whose content the reader does not know (it reads as empty).
  template <typename Body>
  void with_redirects(const ShellNode& node, Body&& body) {
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

  // A here document's text, expanded as inside "..." unless its delimiter
  // is quoted.
  std::string here_document(const ShellRedirect& r) {
    if (r.target.text.find_first_of("'\"\\") != std::string::npos) return r.here;
    std::string word = "\"";
    for (char c : r.here) {
      if (c == '"') word += '\\';
      word += c;
    }
    word += '"';
    return expand_one({word, line_});
  }

  // > or >> FILE: the file the script writes, as a CreatedPath of kind
  // file holding what was written.
  void write_file(const std::string& path, const std::string& text, bool append) {
    auto it = std::find_if(out_.created.rbegin(), out_.created.rend(),
                           [&](const CreatedPath& c) { return c.path == path; });
    if (it != out_.created.rend() && it->kind == CreatedPath::Kind::file) {
      it->content = append ? it->content + text : text;
      return;
    }
    auto type = path_type(path);
    if (type == fileset::EntryType::dir) throw Uninterpretable{fmt::format("output written to the directory {}", quote(path))};
    std::string content = text;
    if (type && append) {
      auto before = content_of(path);
      if (!before) throw Uninterpretable{fmt::format("output appended to {}, whose content the reader does not know", quote(path))};
      content = *before + text;
    }
    if (!is_dir(dirname_of(path))) return;  // the shell fails to open it
    if (path.starts_with("/dev/") || path.starts_with("/proc/") || path.starts_with("/sys/")) return;
    make(CreatedPath::Kind::file, path, "", "");
    out_.created.back().content = std::move(content);
  }

  void run_simple(const ShellNode& node) {
    if (depth_ == 0) line_ = node.line;
    try {
      run_simple_command(node);
    } catch (const Uninterpretable& u) {
      out_.uninterpreted.push_back({script_, line_, u.what});
      status_ = 0;
    }
  }

  void run_simple_command(const ShellNode& node) {
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

  void call(const Args& argv) {
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

  // --- expansion -----------------------------------------------------------

  // A word's fields after parameter and command substitution and field
  // splitting. Pathname expansion is not done: a glob stays as written.
  Args expand(const ShellWord& word, bool split = true) {
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

  std::string expand_one(const ShellWord& word) {
    auto fields = expand(word, false);
    return fields.empty() ? std::string() : fields.front();
  }

  // A case pattern: quoted parts match literally.
  std::string expand_pattern(const ShellWord& word) {
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

  std::optional<std::string> variable(std::string_view name) const {
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
      if (*n >= 1 && static_cast<std::size_t>(*n) <= positional_.size()) return positional_[static_cast<std::size_t>(*n) - 1];
      return std::nullopt;
    }
    auto it = vars_.find(std::string(name));
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }

  // What is inside ${...}, or a bare $name.
  std::string parameter(const std::string& text) {
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

  // $(...): the output of the commands, trailing newlines removed.
  std::string substitute(const std::string& text) {
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

  // $((...)), after expansion: integers with + - * / % and comparisons,
  // variables by name.
  std::int64_t arithmetic(const std::string& text) {
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
        left = op == "+" ? left + right : op == "-" ? left - right : op == "*" ? left * right
             : op == "/" ? left / right : op == "%" ? left % right : op == "==" ? left == right
             : op == "!=" ? left != right : op == "<=" ? left <= right : op == ">=" ? left >= right
             : op == "<" ? left < right : left > right;
      }
    };
    std::int64_t v = parse_binary(0);
    skip();
    if (pos != text.size()) throw Uninterpretable{"$((" + text + "))"};
    return v;
  }

  // --- the model of the system ---------------------------------------------

  std::optional<fileset::EntryType> path_type(std::string_view path) const {
    std::string p = canonical_path(path);
    if (auto it = made_.find(p); it != made_.end()) return it->second;
    if (removed_.contains(p)) return std::nullopt;
    if (auto it = files_.find(p); it != files_.end()) return it->second;
    if (is_system_directory(p)) return fileset::EntryType::dir;
    if (p == "/dev/null" || p == "/dev/zero" || p == "/dev/urandom") return fileset::EntryType::file;
    return std::nullopt;
  }
  bool is_dir(std::string_view path) const { return path_type(path) == fileset::EntryType::dir; }

  bool user_exists(std::string_view name) const { return find_fixed_user(name) || users_.contains(name); }
  bool group_exists(std::string_view name) const { return find_fixed_group(name) || groups_.contains(name); }

  void emit(std::string_view text) {
    if (output_) *output_ += text;
  }

  // --- commands ------------------------------------------------------------

  int command(const Args& a) {
    const std::string& name = a[0];
    if (name == ":" || name == "true") return 0;
    if (name == "false") return 1;
    if (name == "exit" || name == "return") {
      int code = a.size() > 1 ? static_cast<int>(to_integer(a[1]).value_or(1)) : status_;
      flow_ = name == "exit" ? Flow::exit : Flow::return_;
      if (name == "return" && depth_ == 0) flow_ = Flow::exit;
      return code;
    }
    if (name == "break" || name == "continue") {
      flow_ = name == "break" ? Flow::break_ : Flow::continue_;
      flow_count_ = a.size() > 1 ? static_cast<int>(std::max<std::int64_t>(1, to_integer(a[1]).value_or(1))) : 1;
      return 0;
    }
    if (name == "set") {
      for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i] == "--") {
          positional_.assign(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.end());
          break;
        }
      }
      return 0;
    }
    if (name == "shift") {
      std::size_t n = a.size() > 1 ? static_cast<std::size_t>(to_integer(a[1]).value_or(1)) : 1;
      if (n > positional_.size()) return 1;
      positional_.erase(positional_.begin(), positional_.begin() + static_cast<std::ptrdiff_t>(n));
      return 0;
    }
    if (name == "export" || name == "readonly" || name == "local") {
      for (std::size_t i = 1; i < a.size(); ++i) {
        auto eq = a[i].find('=');
        if (eq != std::string::npos) {
          vars_[a[i].substr(0, eq)] = a[i].substr(eq + 1);
        } else if (name == "local") {
          vars_[a[i]];
        }
      }
      return 0;
    }
    if (name == "unset") {
      for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i] == "-f") continue;
        vars_.erase(a[i]);
        functions_.erase(a[i]);
      }
      return 0;
    }
    if (name == "echo") {
      std::size_t i = 1;
      bool newline = true;
      if (i < a.size() && a[i] == "-n") {
        newline = false;
        ++i;
      }
      std::string text;
      for (; i < a.size(); ++i) text += (text.empty() ? "" : " ") + a[i];
      emit(text + (newline ? "\n" : ""));
      return 0;
    }
    if (name == "printf") return printf_command(a);
    if (name == "test" || name == "[") return test_command(a);
    if (name == "eval") {
      std::string text;
      for (std::size_t i = 1; i < a.size(); ++i) text += (i > 1 ? " " : "") + a[i];
      if (depth_ >= kMaxCallDepth) throw Abort{"eval nested too deeply"};
      auto& tree = parsed_[text];
      if (!tree) {
        try {
          tree = parse_shell(text, "eval");
        } catch (const ParseError& e) {
          throw Uninterpretable{e.what()};
        }
      }
      ++depth_;
      run(*tree);
      --depth_;
      return status_;
    }
    if (name == "." || name == "source") return source(a);
    if (name == "exec") {
      if (a.size() == 1) return 0;
      call(Args(a.begin() + 1, a.end()));
      flow_ = Flow::exit;
      return status_;
    }
    if (name == "command" && a.size() > 1 && a[1] != "-v" && a[1] != "-V") {
      return command(Args(a.begin() + 1, a.end()));
    }
    if (name == "command" || name == "which" || name == "type" || name == "hash") {
      int result = 0;
      for (std::size_t i = 1; i < a.size(); ++i) {
        if (a[i].starts_with("-")) continue;
        if (is_known_command(a[i]) || functions_.contains(a[i])) {
          if (name != "hash") emit((a[i].find('/') == std::string::npos ? "/usr/bin/" : "") + a[i] + "\n");
        } else {
          result = 1;
        }
      }
      return result;
    }
    if (auto it = handlers().find(name); it != handlers().end()) return (this->*(it->second))(a);
    // A command called by its path (/usr/sbin/update-rc.d) is the same one.
    std::string base = basename_of(name);
    if (base != name && name.starts_with('/') &&
        (handlers().contains(base) || quiet_commands().contains(base) || is_filter(base) ||
         runtime_state_commands().contains(base))) {
      Args renamed = a;
      renamed[0] = base;
      return command(renamed);
    }
    if (quiet_commands().contains(name)) return 0;
    if (is_filter(name)) return filter(a);
    if (auto what = runtime_state_commands().find(name); what != runtime_state_commands().end()) {
      record_runtime_state({std::string(what->second), name, script_});
      return 0;
    }
    if (name.starts_with("db_")) return debconf(a);
    out_.uninterpreted.push_back({script_, line_, describe_command(a)});
    return 0;
  }

  static std::string describe_command(const Args& a) {
    std::string text;
    for (const auto& arg : a) {
      if (text.size() > 100) {
        text += " ...";
        break;
      }
      text += (text.empty() ? "" : " ") + arg;
    }
    return "'" + escape_controls(text) + "' is not interpreted";
  }

  using Handler = int (ScriptReader::*)(const Args&);
  static const std::map<std::string, Handler, std::less<>>& handlers() {
    static const std::map<std::string, Handler, std::less<>> kHandlers = {
        {"update-alternatives", &ScriptReader::update_alternatives},
        {"adduser", &ScriptReader::adduser},
        {"addgroup", &ScriptReader::addgroup},
        {"useradd", &ScriptReader::useradd},
        {"groupadd", &ScriptReader::groupadd},
        {"usermod", &ScriptReader::usermod},
        {"gpasswd", &ScriptReader::gpasswd},
        {"dpkg-divert", &ScriptReader::dpkg_divert},
        {"dpkg-statoverride", &ScriptReader::dpkg_statoverride},
        {"chown", &ScriptReader::chown},
        {"chgrp", &ScriptReader::chown},
        {"chmod", &ScriptReader::chmod},
        {"mkdir", &ScriptReader::mkdir},
        {"touch", &ScriptReader::touch},
        {"ln", &ScriptReader::ln},
        {"cp", &ScriptReader::cp},
        {"install", &ScriptReader::install},
        {"ucf", &ScriptReader::ucf},
        {"rm", &ScriptReader::rm},
        {"mv", &ScriptReader::mv},
        {"dpkg-realpath", &ScriptReader::readlink},
        {"rmdir", &ScriptReader::rm},
        {"getent", &ScriptReader::getent},
        {"id", &ScriptReader::id},
        {"dpkg", &ScriptReader::dpkg},
        {"dpkg-query", &ScriptReader::not_installed},
        {"mountpoint", &ScriptReader::succeed},
        {"basename", &ScriptReader::basename},
        {"dirname", &ScriptReader::dirname},
        {"expr", &ScriptReader::expr},
        {"readlink", &ScriptReader::readlink},
        {"realpath", &ScriptReader::readlink},
        {"ischroot", &ScriptReader::not_installed},
        {"deb-systemd-helper", &ScriptReader::deb_systemd_helper},
        {"a2enmod", &ScriptReader::a2enable},
        {"a2enconf", &ScriptReader::a2enable},
        {"a2ensite", &ScriptReader::a2enable},
        {"mktemp", &ScriptReader::mktemp},
        {"sh", &ScriptReader::shell},
        {"uname", &ScriptReader::uname},
        {"xargs", &ScriptReader::xargs},
        {"su", &ScriptReader::su},
        {"runuser", &ScriptReader::su},
        {"pgrep", &ScriptReader::not_installed},
        {"pidof", &ScriptReader::not_installed},
        // AppArmor belongs to the host that runs a container, not to the
        // image: it reads as not enabled, so scripts skip loading profiles.
        {"aa-enabled", &ScriptReader::not_installed},
        {"aa-status", &ScriptReader::not_installed},
        {"apparmor_parser", &ScriptReader::succeed},
        {"read", &ScriptReader::read_line},
        {"bash", &ScriptReader::shell},
        {"dash", &ScriptReader::shell},
    };
    return kHandlers;
  }
  // Service, cache, trigger and bookkeeping commands: nothing an image needs.
  // ldconfig and update-ca-certificates are derived by the assembly itself.
  static const std::set<std::string, std::less<>>& quiet_commands() {
    static const std::set<std::string, std::less<>> kQuiet = {
        "deb-systemd-invoke", "invoke-rc.d",   "update-rc.d",       "systemctl",          "service",
        "systemd-tmpfiles",   "dpkg-trigger",  "dpkg-maintscript-helper", "ldconfig",     "update-binfmts",
        "update-mime-database", "update-desktop-database", "gtk-update-icon-cache", "install-info",
        "update-info-dir",    "mandb",         "update-ca-certificates", "py3compile", "pycompile", "py3clean",
        "pyclean",            "ucfr",          "ucfq",              "update-initramfs",   "udevadm",
        "sleep",              "sync",          "trap",              "umask",              "wait",
        "cd",                 "fc-cache",      "glib-compile-schemas", "update-xmlcatalog", "update-catalog",
        "update-perl-sax-parsers", "mkfontdir", "mkfontscale",      "update-fonts-dir",   "update-fonts-alias",
        "update-fonts-scale", "update-gconf-defaults", "dpkg-reconfigure", "logger",      "kill",
        "pkill",              "start-stop-daemon", "update-menus",  "update-icon-caches", "systemd-sysusers",
        "deb-systemd-helper-quiet", "update-shells", "add-shell",   "remove-shell",       "a2query",
        "update-java-alternatives", "update-catalog", "dh_installdeb", "sgmlwhich",       "update-motd",
        "telinit", "runit-helper",
        // The assembly writes etc/shadow itself when a member ships PAM
        // configuration (image/effects.hpp).
        "shadowconfig",
        // Compiles what /etc/locale.gen selects: nothing, on a fresh system
        // whose debconf answered nothing (C.UTF-8 comes with libc-bin).
        "locale-gen",
        // Writes /etc/default/locale: an image's locale is its environment's.
        "update-locale",
        // Caches programs rebuild, or do without.
        "gio-querymodules", "gdk-pixbuf-query-loaders",
        // postgresql-common's helpers: a check of the host, apt's autoremove
        // list, and links to installed ispell dictionaries (none, fresh).
        "pg_checksystem", "pg_updateaptconfig", "pg_updatedicts"};
    return kQuiet;
  }
  static const std::map<std::string, std::string_view, std::less<>>& runtime_state_commands() {
    static const std::map<std::string, std::string_view, std::less<>> kState = {
        {"ssh-keygen", "SSH host keys"},
        {"make-ssl-cert", "a snake-oil TLS key and certificate"},
        {"openssl", "a private key or certificate"},
        {"systemd-machine-id-setup", "the machine id"},
        {"dbus-uuidgen", "the machine id"},
        {"pg_createcluster", "a database cluster"},
        {"initdb", "a database cluster"},
        {"mysql_install_db", "a database cluster"},
        {"mariadb-install-db", "a database cluster"},
        {"slapadd", "a directory database"},
        {"rndc-confgen", "a secret key"},
        {"tsig-keygen", "a secret key"},
        {"ddns-confgen", "a secret key"},
        {"pwgen", "a generated password"},
    };
    return kState;
  }
  bool is_known_command(std::string_view name) const {
    std::string base = basename_of(name);
    static const std::set<std::string, std::less<>> kBuiltins = {
        ":", "true", "false", "echo", "printf", "test", "[", "set", "shift", "export", "unset", "eval", ".",
        "exec", "command", "which", "type", "local", "readonly", "exit", "return", "break", "continue"};
    return kBuiltins.contains(base) || handlers().contains(base) || quiet_commands().contains(base) ||
           is_filter(base);
  }

  // Splits "--name=value" into two arguments, for the tools that accept both.
  static Args split_long_options(const Args& a) {
    Args out;
    for (const auto& arg : a) {
      auto eq = arg.find('=');
      if (arg.starts_with("--") && eq != std::string::npos) {
        out.push_back(arg.substr(0, eq));
        out.push_back(arg.substr(eq + 1));
      } else {
        out.push_back(arg);
      }
    }
    return out;
  }

  std::string absolute(const std::string& path) const {
    if (!path.starts_with('/')) throw Uninterpretable{fmt::format("the relative path {}", quote(path))};
    return canonical_path(path);
  }

  int succeed(const Args&) { return 0; }
  int not_installed(const Args&) { return 1; }

  int update_alternatives(const Args& raw) {
    Args a = split_long_options(raw);
    std::size_t i = 1;
    static const std::set<std::string, std::less<>> kFlags = {"--quiet", "--verbose", "--force", "--skip-auto", "--debug"};
    static const std::set<std::string, std::less<>> kValued = {"--altdir", "--admindir", "--log", "--instdir", "--root"};
    while (i < a.size() && (kFlags.contains(a[i]) || kValued.contains(a[i]))) i += kValued.contains(a[i]) ? 2u : 1u;
    if (i >= a.size()) throw Uninterpretable{"update-alternatives without an action"};
    const std::string& action = a[i];
    if (action == "--install") {
      if (i + 4 >= a.size()) throw Uninterpretable{"update-alternatives --install needs LINK NAME PATH PRIORITY"};
      AlternativeInstall alt;
      alt.master = {absolute(a[i + 1]), a[i + 2], absolute(a[i + 3])};
      auto priority = to_integer(a[i + 4]);
      if (!priority) throw Uninterpretable{fmt::format("update-alternatives priority {}", quote(a[i + 4]))};
      alt.priority = *priority;
      for (i += 5; i < a.size();) {
        if (kFlags.contains(a[i])) {
          ++i;
          continue;
        }
        if (a[i] != "--slave" || i + 3 >= a.size()) {
          throw Uninterpretable{fmt::format("update-alternatives --install: unexpected {}", quote(a[i]))};
        }
        alt.slaves.push_back({absolute(a[i + 1]), a[i + 2], absolute(a[i + 3])});
        i += 4;
      }
      alt.script = script_;
      out_.alternatives.push_back(std::move(alt));
      return 0;
    }
    // On a fresh system there is nothing to remove, list or query.
    if (action == "--remove" || action == "--remove-all" || action == "--auto" || action == "--refresh") return 0;
    if (action == "--list" || action == "--query" || action == "--display" || action == "--get-selections") return 2;
    throw Uninterpretable{fmt::format("update-alternatives {}", action)};
  }

  // An account Debian's fixed set has: the tool finds it and changes
  // nothing, but the image now needs it (image/accounts.hpp), so it is
  // recorded once, by name.
  bool fixed_exists(Account account, bool user) {
    bool fixed = user ? find_fixed_user(account.name) != nullptr : find_fixed_group(account.name) != nullptr;
    if (!fixed) return false;
    auto& seen = user ? users_ : groups_;
    if (seen.insert(account.name).second) {
      account.kind = user ? Account::Kind::user : Account::Kind::group;
      account.id.reset();
      account.create_home = false;
      account.script = script_;
      out_.accounts.push_back(std::move(account));
    }
    return true;
  }

  // Once per kind of state, command and script (openssh-server makes one
  // key per algorithm).
  void record_runtime_state(RuntimeState state) {
    if (std::find(out_.runtime_state.begin(), out_.runtime_state.end(), state) == out_.runtime_state.end()) {
      out_.runtime_state.push_back(std::move(state));
    }
  }

  void add_user(Account account) {
    users_.insert(account.name);
    if (account.own_group) groups_.insert(account.name);
    account.script = script_;
    out_.accounts.push_back(std::move(account));
  }
  void add_group(Account account) {
    groups_.insert(account.name);
    account.kind = Account::Kind::group;
    account.script = script_;
    out_.accounts.push_back(std::move(account));
  }
  std::optional<std::uint32_t> id_argument(const std::string& text) const {
    auto n = to_integer(text);
    if (!n || *n < 0 || *n > 65535) throw Uninterpretable{fmt::format("the id {}", quote(text))};
    return static_cast<std::uint32_t>(*n);
  }

  // Debian's adduser (3.134): adduser [options] USER, adduser USER GROUP,
  // adduser --group GROUP.
  int adduser(const Args& raw) {
    Args a = split_long_options(raw);
    Account account;
    account.create_home = true;
    bool group_only = false;
    Args names;
    static const std::set<std::string, std::less<>> kIgnored = {
        "--quiet", "-q", "--disabled-password", "--disabled-login", "--force-badname",
        "--allow-badname", "--allow-bad-names", "--allow-all-names", "--debug", "--add-extra-groups",
        "--add_extra_groups", "--encrypt-home", "--verbose"};
    static const std::set<std::string, std::less<>> kIgnoredValued = {"--firstuid", "--lastuid", "--firstgid",
                                                                      "--lastgid", "--conf", "--key"};
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& o = a[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("adduser {} without a value", o)};
        return a[++i];
      };
      if (o == "--system") {
        account.system = true;
      } else if (o == "--group") {
        group_only = true;
      } else if (o == "--ingroup") {
        account.group = value();
      } else if (o == "--uid") {
        account.id = id_argument(value());
      } else if (o == "--gid") {
        std::string g = value();
        if (group_only) {
          account.id = id_argument(g);
        } else {
          account.group = g;
        }
      } else if (o == "--home") {
        account.home = value();
      } else if (o == "--no-create-home") {
        account.create_home = false;
      } else if (o == "--shell") {
        account.shell = value();
      } else if (o == "--gecos" || o == "--comment") {
        account.gecos = value();
      } else if (kIgnored.contains(o)) {
      } else if (kIgnoredValued.contains(o)) {
        value();
      } else if (o.starts_with("-")) {
        throw Uninterpretable{fmt::format("adduser option {}", o)};
      } else {
        names.push_back(o);
      }
    }
    if (names.size() == 2 && !group_only) {
      out_.memberships.push_back({names[0], names[1], script_});
      return 0;
    }
    if (names.size() != 1) throw Uninterpretable{"adduser with " + std::to_string(names.size()) + " names"};
    account.name = names[0];
    if (group_only && !account.system) {
      if (fixed_exists(account, false) || group_exists(account.name)) return 0;
      account.create_home = false;
      add_group(std::move(account));
      return 0;
    }
    // adduser 3.134: a system user's home is /nonexistent unless given, and
    // /nonexistent is never made; anyone else's is /home/USER.
    if (account.home.empty()) account.home = account.system ? "/nonexistent" : "/home/" + account.name;
    if (account.home == "/nonexistent") account.create_home = false;
    if (fixed_exists(account, true) || user_exists(account.name)) return 0;
    account.own_group = group_only;
    add_user(std::move(account));
    return 0;
  }

  int addgroup(const Args& raw) {
    Args a = split_long_options(raw);
    Account account;
    Args names;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& o = a[i];
      if (o == "--system") {
        account.system = true;
      } else if (o == "--gid") {
        if (i + 1 >= a.size()) throw Uninterpretable{"addgroup --gid without a value"};
        account.id = id_argument(a[++i]);
      } else if (o == "--quiet" || o == "-q" || o == "--force-badname" || o == "--allow-badname" ||
                 o == "--allow-bad-names" || o == "--debug") {
      } else if (o.starts_with("-")) {
        throw Uninterpretable{fmt::format("addgroup option {}", o)};
      } else {
        names.push_back(o);
      }
    }
    if (names.size() == 2) {
      out_.memberships.push_back({names[0], names[1], script_});
      return 0;
    }
    if (names.size() != 1) throw Uninterpretable{"addgroup with " + std::to_string(names.size()) + " names"};
    account.name = names[0];
    if (fixed_exists(account, false) || group_exists(account.name)) return 0;
    add_group(std::move(account));
    return 0;
  }

  int useradd(const Args& raw) {
    Args a = split_long_options(raw);
    Account account;
    account.own_group = true;  // Debian's login.defs: USERGROUPS_ENAB yes
    std::vector<std::string> extra_groups;
    Args names;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& o = a[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("useradd {} without a value", o)};
        return a[++i];
      };
      if (o == "-r" || o == "--system") {
        account.system = true;
      } else if (o == "-d" || o == "--home-dir" || o == "--home") {
        account.home = value();
      } else if (o == "-s" || o == "--shell") {
        account.shell = value();
      } else if (o == "-c" || o == "--comment") {
        account.gecos = value();
      } else if (o == "-u" || o == "--uid") {
        account.id = id_argument(value());
      } else if (o == "-g" || o == "--gid") {
        account.group = value();
        account.own_group = false;
      } else if (o == "-G" || o == "--groups") {
        std::string list = value();
        for (std::size_t p = 0; p <= list.size();) {
          auto end = std::min(list.find(',', p), list.size());
          if (end > p) extra_groups.push_back(list.substr(p, end - p));
          p = end + 1;
        }
      } else if (o == "-N" || o == "--no-user-group") {
        account.own_group = false;
      } else if (o == "-U" || o == "--user-group") {
        account.own_group = true;
      } else if (o == "-m" || o == "--create-home") {
        account.create_home = true;
      } else if (o == "-M" || o == "--no-create-home") {
        account.create_home = false;
      } else if (o == "-o" || o == "--non-unique" || o == "-l" || o == "--no-log-init") {
      } else if (o == "-K" || o == "--key" || o == "-p" || o == "--password" || o == "-e" || o == "-f" ||
                 o == "-k" || o == "-b" || o == "--base-dir" || o == "--skel") {
        value();
      } else if (o.starts_with("-")) {
        throw Uninterpretable{fmt::format("useradd option {}", o)};
      } else {
        names.push_back(o);
      }
    }
    if (names.size() != 1) throw Uninterpretable{"useradd with " + std::to_string(names.size()) + " names"};
    account.name = names[0];
    if (account.home.empty()) account.home = "/home/" + account.name;  // /etc/default/useradd: HOME=/home
    if (account.shell.empty()) account.shell = "/bin/sh";              // and SHELL=/bin/sh
    if (fixed_exists(account, true) || user_exists(account.name)) return 9;
    for (const auto& g : extra_groups) out_.memberships.push_back({account.name, g, script_});
    add_user(std::move(account));
    return 0;
  }

  int groupadd(const Args& raw) {
    Args a = split_long_options(raw);
    Account account;
    Args names;
    bool force = false;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& o = a[i];
      if (o == "-r" || o == "--system") {
        account.system = true;
      } else if (o == "-f" || o == "--force") {
        force = true;
      } else if (o == "-g" || o == "--gid") {
        if (i + 1 >= a.size()) throw Uninterpretable{"groupadd -g without a value"};
        account.id = id_argument(a[++i]);
      } else if (o == "-o" || o == "--non-unique") {
      } else if (o == "-K" || o == "--key" || o == "-p" || o == "--password") {
        ++i;
      } else if (o.starts_with("-")) {
        throw Uninterpretable{fmt::format("groupadd option {}", o)};
      } else {
        names.push_back(o);
      }
    }
    if (names.size() != 1) throw Uninterpretable{"groupadd with " + std::to_string(names.size()) + " names"};
    account.name = names[0];
    if (fixed_exists(account, false) || group_exists(account.name)) return force ? 0 : 9;
    add_group(std::move(account));
    return 0;
  }

  // usermod -a -G GROUPS USER (-aG too); anything else is not modelled.
  int usermod(const Args& a) {
    bool append = false;
    std::string groups;
    std::string user;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "-a" || a[i] == "--append") {
        append = true;
      } else if (a[i] == "-aG" && i + 1 < a.size()) {
        append = true;
        groups = a[++i];
      } else if ((a[i] == "-G" || a[i] == "--groups") && i + 1 < a.size()) {
        groups = a[++i];
      } else if (!a[i].starts_with("-")) {
        user = a[i];
      } else {
        throw Uninterpretable{fmt::format("usermod option {}", a[i])};
      }
    }
    if (!append || groups.empty() || user.empty()) throw Uninterpretable{"usermod other than -a -G GROUPS USER"};
    for (std::size_t p = 0; p <= groups.size();) {
      auto end = std::min(groups.find(',', p), groups.size());
      if (end > p) out_.memberships.push_back({user, groups.substr(p, end - p), script_});
      p = end + 1;
    }
    return 0;
  }

  int gpasswd(const Args& a) {
    if (a.size() == 4 && (a[1] == "-a" || a[1] == "--add")) {
      out_.memberships.push_back({a[2], a[3], script_});
      return 0;
    }
    throw Uninterpretable{"gpasswd other than -a USER GROUP"};
  }

  int dpkg_divert(const Args& raw) {
    Args a = split_long_options(raw);
    Diversion d;
    d.package = package_;  // dpkg-divert's default in a maintainer script: $DPKG_MAINTSCRIPT_PACKAGE
    std::string action = "--add";
    std::string file;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const std::string& o = a[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("dpkg-divert {} without a value", o)};
        return a[++i];
      };
      if (o == "--package") {
        d.package = value();
      } else if (o == "--local") {
        d.package.clear();
      } else if (o == "--divert") {
        d.divert_to = value();
      } else if (o == "--rename") {
        d.rename = true;
      } else if (o == "--no-rename") {
        d.rename = false;
      } else if (o == "--quiet" || o == "--test") {
      } else if (o == "--admindir" || o == "--instdir" || o == "--root") {
        value();
      } else if (o == "--add" || o == "--remove" || o == "--list" || o == "--listpackage" || o == "--truename") {
        action = o;
      } else if (o.starts_with("-")) {
        throw Uninterpretable{fmt::format("dpkg-divert option {}", o)};
      } else {
        file = o;
      }
    }
    std::string path = file.empty() ? std::string() : absolute(file);
    auto known = diverted_.find(path);
    if (action == "--list") return 0;
    if (action == "--listpackage") {
      if (known != diverted_.end()) emit((known->second.package.empty() ? "LOCAL" : known->second.package) + "\n");
      return 0;
    }
    if (action == "--truename") {
      emit((known != diverted_.end() ? known->second.divert_to : path) + "\n");
      return 0;
    }
    if (action == "--remove") {
      if (known != diverted_.end()) {
        std::erase_if(out_.diversions, [&](const Diversion& x) { return x.path == path; });
        diverted_.erase(known);
      }
      return 0;
    }
    if (file.empty()) throw Uninterpretable{"dpkg-divert --add without a file"};
    d.path = path;
    d.divert_to = d.divert_to.empty() ? d.path + ".distrib" : absolute(d.divert_to);
    d.script = script_;
    diverted_[path] = d;
    out_.diversions.push_back(std::move(d));
    return 0;
  }

  int dpkg_statoverride(const Args& a) {
    std::size_t i = 1;
    bool add = false;
    bool list = false;
    for (; i < a.size() && a[i].starts_with("--"); ++i) {
      if (a[i] == "--add") add = true;
      if (a[i] == "--list") list = true;
      if (a[i] == "--remove") return 0;
    }
    if (list) return 1;  // no overrides on a fresh system
    if (!add || i + 4 != a.size()) throw Uninterpretable{"dpkg-statoverride other than --list, --remove or --add"};
    out_.attributes.push_back({absolute(a[i + 3]), a[i], a[i + 1], a[i + 2], false, "dpkg-statoverride", script_});
    return 0;
  }

  int chown(const Args& a) {
    bool recursive = false;
    std::size_t i = 1;
    for (; i < a.size() && a[i].starts_with("-"); ++i) {
      const std::string& o = a[i];
      if (o == "-R" || o == "--recursive") {
        recursive = true;
      } else if (o == "-h" || o == "-f" || o == "-v" || o == "-c" || o == "--no-dereference" || o == "-H" ||
                 o == "-L" || o == "-P" || o == "--quiet" || o == "--silent" || o == "-Rh" || o == "-hR") {
        recursive |= o.find('R') != std::string::npos;
      } else {
        throw Uninterpretable{fmt::format("{} option {}", a[0], o)};
      }
    }
    if (i + 2 > a.size()) throw Uninterpretable{fmt::format("{} without an owner and a path", a[0])};
    std::string owner;
    std::string group;
    if (a[0] == "chgrp") {
      group = a[i];
    } else {
      auto sep = a[i].find_first_of(":.");
      owner = a[i].substr(0, sep);
      if (sep != std::string::npos) group = a[i].substr(sep + 1);
    }
    for (std::size_t k = i + 1; k < a.size(); ++k) {
      out_.attributes.push_back({absolute(a[k]), owner, group, "", recursive, a[0], script_});
    }
    return 0;
  }

  int chmod(const Args& a) {
    bool recursive = false;
    std::size_t i = 1;
    for (; i < a.size() && a[i].starts_with("-") && a[i].find_first_of("rwxXst") == std::string::npos; ++i) {
      if (a[i] == "-R" || a[i] == "--recursive") {
        recursive = true;
      } else if (a[i] != "-f" && a[i] != "-v" && a[i] != "-c" && a[i] != "--quiet" && a[i] != "--silent") {
        throw Uninterpretable{fmt::format("chmod option {}", a[i])};
      }
    }
    if (i + 2 > a.size()) throw Uninterpretable{"chmod without a mode and a path"};
    for (std::size_t k = i + 1; k < a.size(); ++k) {
      out_.attributes.push_back({absolute(a[k]), "", "", a[i], recursive, "chmod", script_});
    }
    return 0;
  }

  void make(CreatedPath::Kind kind, const std::string& path, std::string source, std::string mode) {
    removed_.erase(path);
    auto type = kind == CreatedPath::Kind::dir       ? fileset::EntryType::dir
                : kind == CreatedPath::Kind::symlink ? fileset::EntryType::symlink
                                                     : fileset::EntryType::file;
    made_[path] = type;
    out_.created.push_back({kind, path, std::move(source), std::move(mode), script_});
  }

  int mkdir(const Args& a) {
    bool parents = false;
    std::string mode;
    Args paths;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "-p" || a[i] == "--parents" || a[i] == "-pZ" || a[i] == "-Zp") {
        parents = true;
      } else if (a[i] == "-Z") {
      } else if (a[i] == "-m" || a[i] == "--mode") {
        if (i + 1 >= a.size()) throw Uninterpretable{"mkdir -m without a mode"};
        mode = a[++i];
      } else if (a[i].starts_with("-m") && a[i].size() > 2) {
        mode = a[i].substr(2);
      } else if (a[i] == "-v") {
      } else if (a[i].starts_with("-")) {
        throw Uninterpretable{fmt::format("mkdir option {}", a[i])};
      } else {
        paths.push_back(a[i]);
      }
    }
    int result = 0;
    for (const auto& raw : paths) {
      std::string path = absolute(raw);
      if (path_type(path)) {
        if (!parents) result = 1;
        continue;
      }
      std::vector<std::string> chain;
      for (std::string p = path; !path_type(p); p = dirname_of(p)) chain.push_back(p);
      if (chain.size() > 1 && !parents) return 1;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) make(CreatedPath::Kind::dir, *it, "", *it == path ? mode : "");
    }
    return result;
  }

  int touch(const Args& a) {
    for (std::size_t i = 1; i < a.size(); ++i) {
      // Times are not part of a FileSet: options about them change nothing.
      if (a[i] == "-r" || a[i] == "-d" || a[i] == "-t") {
        ++i;
        continue;
      }
      if (a[i].starts_with("-")) {
        if (a[i] == "-c" || a[i] == "--no-create") return 0;
        if (a[i] == "-h" || a[i] == "--no-dereference" || a[i] == "-m" || a[i] == "-a" ||
            a[i].starts_with("--reference=") || a[i].starts_with("--date=")) {
          continue;
        }
        throw Uninterpretable{fmt::format("touch option {}", a[i])};
      }
      std::string path = absolute(a[i]);
      if (!path_type(path)) {
        if (!is_dir(dirname_of(path))) return 1;
        make(CreatedPath::Kind::file, path, "", "");
      }
    }
    return 0;
  }

  int ln(const Args& a) {
    bool symbolic = false;
    bool force = false;
    Args operands;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-") && a[i].size() > 1) {
        for (char c : a[i].substr(1)) {
          if (c == 's') symbolic = true;
          else if (c == 'f') force = true;
          else if (c != 'n' && c != 'T' && c != 'v') throw Uninterpretable{fmt::format("ln option {}", a[i])};
        }
      } else {
        operands.push_back(a[i]);
      }
    }
    if (!symbolic || operands.size() != 2) throw Uninterpretable{"ln other than ln -s TARGET LINK"};
    std::string link = absolute(operands[1]);
    if (is_dir(link)) link = canonical_path(link + "/" + basename_of(operands[0]));
    if (path_type(link) && !force) return 1;
    if (!is_dir(dirname_of(link))) return 1;
    make(CreatedPath::Kind::symlink, link, operands[0], "");
    return 0;
  }

  // A copy of one of the package's own files.
  int copy_file(const std::string& from, const std::string& to, std::string mode, const std::string& tool) {
    // The source may belong to another package (php8.2-cli's ucf of
    // php8.2-common's php.ini): the assembly looks it up in the image.
    std::string source = absolute(from);
    if (auto made = made_.find(source); made != made_.end()) {
      auto it = std::find_if(out_.created.rbegin(), out_.created.rend(),
                             [&](const CreatedPath& c) { return c.path == source; });
      if (it != out_.created.rend() && it->kind == CreatedPath::Kind::file) {
        // A file the script wrote (openssh-server's sshd_config, made from
        // a template in a temporary file): the copy holds what it wrote.
        std::string target = absolute(to);
        if (is_dir(target)) target = canonical_path(target + "/" + basename_of(source));
        if (!is_dir(dirname_of(target))) return 1;
        std::string content = it->content;
        make(CreatedPath::Kind::file, target, "", std::move(mode));
        out_.created.back().content = std::move(content);
        return 0;
      }
      if (it == out_.created.rend() || it->kind != CreatedPath::Kind::copy) {
        throw Uninterpretable{fmt::format("{} {} {}: the source is a path the script made, not a file", tool, from, to)};
      }
      source = it->source;
    } else if (auto type = path_type(source); type && type != fileset::EntryType::file) {
      throw Uninterpretable{fmt::format("{} {} {}: the source is not a regular file", tool, from, to)};
    }
    std::string target = absolute(to);
    if (is_dir(target)) target = canonical_path(target + "/" + basename_of(source));
    if (!is_dir(dirname_of(target))) return 1;
    make(CreatedPath::Kind::copy, target, source, std::move(mode));
    return 0;
  }

  int cp(const Args& a) {
    Args operands;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) {
        if (a[i].find_first_not_of("-afpdvZ") != std::string::npos && a[i] != "--preserve" && a[i] != "--archive") {
          throw Uninterpretable{fmt::format("cp option {}", a[i])};
        }
      } else {
        operands.push_back(a[i]);
      }
    }
    if (operands.size() != 2) throw Uninterpretable{"cp other than cp FILE DEST"};
    return copy_file(operands[0], operands[1], "", "cp");
  }

  int install(const Args& a) {
    bool dirs = false;
    std::string mode;
    std::string owner;
    std::string group;
    Args operands;
    for (std::size_t i = 1; i < a.size(); ++i) {
      auto value = [&]() -> std::string {
        if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("install {} without a value", a[i])};
        return a[++i];
      };
      if (a[i] == "-d" || a[i] == "--directory") {
        dirs = true;
      } else if (a[i] == "-m" || a[i] == "--mode") {
        mode = value();
      } else if (a[i] == "-o" || a[i] == "--owner") {
        owner = value();
      } else if (a[i] == "-g" || a[i] == "--group") {
        group = value();
      } else if (a[i] == "-p" || a[i] == "-v" || a[i] == "-D") {
      } else if (a[i].starts_with("-")) {
        throw Uninterpretable{fmt::format("install option {}", a[i])};
      } else {
        operands.push_back(a[i]);
      }
    }
    auto attributes = [&](const std::string& path) {
      if (!owner.empty() || !group.empty()) {
        out_.attributes.push_back({path, owner, group, "", false, "install", script_});
      }
    };
    if (dirs) {
      for (const auto& d : operands) {
        std::string path = absolute(d);
        Args mk{"mkdir", "-p"};
        if (!mode.empty()) mk.insert(mk.end(), {"-m", mode});
        mk.push_back(path);
        mkdir(mk);
        attributes(path);
      }
      return 0;
    }
    if (operands.size() != 2) throw Uninterpretable{"install other than install [-d] FILE DEST"};
    int result = copy_file(operands[0], operands[1], mode, "install");
    if (result == 0) attributes(out_.created.back().path);
    return result;
  }

  // ucf [options] NEW DEST: installs NEW as the configuration file DEST.
  int ucf(const Args& a) {
    Args operands;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "--purge") return 0;
      if (a[i] == "--src-dir" || a[i] == "--state-dir" || a[i] == "--sum-file") {
        ++i;
      } else if (!a[i].starts_with("-")) {
        operands.push_back(a[i]);
      }
    }
    if (operands.size() != 2) throw Uninterpretable{"ucf other than ucf NEW DEST"};
    if (path_type(operands[1])) return 0;
    return copy_file(operands[0], operands[1], "", "ucf");
  }

  // Removing on a fresh system removes only what the scripts made, which
  // the reader then forgets; removing the package's own files is not modelled.
  // A package file the script removes stays removed in the model; if the
  // script makes the path again (dash's postinst replaces /bin/sh with a
  // new link), what it made stands. One still removed at the end is
  // reported: an image layer cannot remove what the package's layer holds.
  int rm(const Args& a) {
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) continue;
      std::string path = a[i].starts_with('/') ? canonical_path(a[i]) : a[i];
      if (made_.contains(path)) {
        made_.erase(path);
        std::erase_if(out_.created, [&](const CreatedPath& c) { return c.path == path; });
      } else if (files_.contains(path) && !removed_.contains(path)) {
        if (files_.at(path) == fileset::EntryType::dir && a[0] == "rm" &&
            std::none_of(a.begin() + 1, a.end(), [](const std::string& o) { return o.starts_with("-") && o.find_first_of("rR") != std::string::npos; })) {
          return 1;
        }
        removed_.emplace(path, line_);
      }
    }
    return 0;
  }

  // mv FROM TO: what the script made moves; the package's own files do not.
  int mv(const Args& a) {
    Args operands;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) {
        if (a[i].find_first_not_of("-fvTn") != std::string::npos) throw Uninterpretable{fmt::format("mv option {}", a[i])};
        continue;
      }
      operands.push_back(a[i]);
    }
    if (operands.size() != 2) throw Uninterpretable{"mv other than mv FROM TO"};
    std::string from = absolute(operands[0]);
    std::string to = absolute(operands[1]);
    if (is_dir(to)) to = canonical_path(to + "/" + basename_of(from));
    auto made = made_.find(from);
    if (made == made_.end()) {
      if (path_type(from)) throw Uninterpretable{fmt::format("mv {} {}: moves a file of the package", operands[0], operands[1])};
      return 1;
    }
    auto kind = made->second;
    made_.erase(made);
    std::erase_if(out_.created, [&](const CreatedPath& c) { return c.path == to; });
    for (auto& c : out_.created) {
      if (c.path == from) c.path = to;
    }
    made_[to] = kind;
    removed_.erase(to);
    return 0;
  }

  int getent(const Args& a) {
    if (a.size() < 3) return 2;
    if (a[1] == "passwd") {
      if (const FixedAccount* u = find_fixed_user(a[2])) {
        emit(fmt::format("{}:x:{}:{}:{}:{}:{}\n", u->name, u->id, u->gid, u->gecos, u->home, u->shell));
        return 0;
      }
      if (users_.contains(a[2])) {
        emit(a[2] + ":x:::::\n");
        return 0;
      }
      return 2;
    }
    if (a[1] == "group") {
      if (const FixedAccount* g = find_fixed_group(a[2])) {
        emit(fmt::format("{}:x:{}:\n", g->name, g->id));
        return 0;
      }
      if (groups_.contains(a[2])) {
        emit(a[2] + ":x::\n");
        return 0;
      }
      return 2;
    }
    return 2;
  }

  int id(const Args& a) {
    std::string user;
    bool group = false;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "-g") group = true;
      if (!a[i].starts_with("-")) user = a[i];
    }
    if (user.empty()) {
      emit("0\n");
      return 0;
    }
    if (const FixedAccount* u = find_fixed_user(user)) {
      emit(std::to_string(group ? u->gid : u->id) + "\n");
      return 0;
    }
    if (!users_.contains(user)) return 1;
    // The script's own accounts are numbered at assembly; a script that
    // asks only learns that it is a system account.
    emit("999\n");
    return 0;
  }

  int dpkg(const Args& a) {
    if (a.size() >= 2 && a[1] == "--print-architecture") {
      emit(std::string(arch_) + "\n");
      return 0;
    }
    if (a.size() >= 2 && a[1].starts_with("--assert-")) return 0;
    if (a.size() == 5 && a[1] == "--compare-versions") return compare_versions(a[2], a[3], a[4]) ? 0 : 1;
    if (a.size() >= 2 && (a[1] == "-l" || a[1] == "-s" || a[1] == "--status" || a[1] == "-L" || a[1] == "-S")) {
      return 1;
    }
    throw Uninterpretable{describe_command(a)};
  }

  static bool compare_versions(const std::string& left, const std::string& op, const std::string& right) {
    bool nl = op.ends_with("-nl");
    std::string base = nl ? op.substr(0, op.size() - 3) : op;
    int order = 0;
    if (left.empty() || right.empty()) {
      // dpkg: an empty version is earlier than any other, or later with -nl.
      order = left.empty() == right.empty() ? 0 : left.empty() ? -1 : 1;
      if (nl) order = -order;
    } else {
      auto l = Version::try_parse(left);
      auto r = Version::try_parse(right);
      if (!l || !r) throw Uninterpretable{fmt::format("dpkg --compare-versions {} {} {}", left, op, right)};
      auto c = *l <=> *r;
      order = c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    if (base == "lt" || base == "<<") return order < 0;
    if (base == "le" || base == "<=" || base == "<") return order <= 0;
    if (base == "eq" || base == "=") return order == 0;
    if (base == "ne") return order != 0;
    if (base == "ge" || base == ">=" || base == ">") return order >= 0;
    if (base == "gt" || base == ">>") return order > 0;
    throw Uninterpretable{fmt::format("dpkg --compare-versions operator {}", op)};
  }

  int basename(const Args& a) {
    if (a.size() < 2) return 1;
    std::string b = basename_of(a[1]);
    if (a.size() > 2 && b.ends_with(a[2]) && b != a[2]) b.resize(b.size() - a[2].size());
    emit(b + "\n");
    return 0;
  }
  int dirname(const Args& a) {
    if (a.size() < 2) return 1;
    emit(dirname_of(a[1]) + "\n");
    return 0;
  }
  int readlink(const Args& a) {
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) continue;
      if (!a[i].starts_with('/')) return 1;
      emit(canonical_path(a[i]) + "\n");
      return 0;
    }
    return 1;
  }

  int expr(const Args& a) {
    if (a.size() == 4) {
      auto l = to_integer(a[1]);
      auto r = to_integer(a[3]);
      const std::string& op = a[2];
      std::optional<std::int64_t> v;
      if (l && r) {
        if (op == "+") v = *l + *r;
        if (op == "-") v = *l - *r;
        if (op == "*") v = *l * *r;
        if (op == "/" && *r != 0) v = *l / *r;
        if (op == "%" && *r != 0) v = *l % *r;
        if (op == "<") v = *l < *r;
        if (op == ">") v = *l > *r;
        if (op == "<=") v = *l <= *r;
        if (op == ">=") v = *l >= *r;
        if (op == "=") v = *l == *r;
        if (op == "!=") v = *l != *r;
      } else if (op == "=" || op == "!=") {
        v = (a[1] == a[3]) == (op == "=");
      }
      if (v) {
        emit(std::to_string(*v) + "\n");
        return *v == 0 ? 1 : 0;
      }
    }
    throw Uninterpretable{describe_command(a)};
  }

  int printf_command(const Args& a) {
    if (a.size() < 2) return 1;
    const std::string& format = a[1];
    std::size_t next = 2;
    std::string out;
    do {
      for (std::size_t i = 0; i < format.size(); ++i) {
        char c = format[i];
        if (c == '\\' && i + 1 < format.size()) {
          char e = format[++i];
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else if (c == '%' && i + 1 < format.size()) {
          char f = format[++i];
          if (f == '%') {
            out += '%';
          } else if (f == 's' || f == 'd' || f == 'b' || f == 'u' || f == 'i') {
            out += next < a.size() ? a[next++] : (f == 's' || f == 'b' ? "" : "0");
          } else {
            throw Uninterpretable{fmt::format("printf format %{}", f)};
          }
        } else {
          out += c;
        }
      }
    } while (next < a.size() && next > 2);
    emit(out);
    return 0;
  }

  // test and [.
  int test_command(const Args& raw) {
    Args a(raw.begin() + 1, raw.end());
    if (raw[0] == "[") {
      if (a.empty() || a.back() != "]") throw Uninterpretable{"[ without ]"};
      a.pop_back();
    }
    std::size_t pos = 0;
    bool result = test_or(a, pos);
    if (pos != a.size()) throw Uninterpretable{describe_command(raw)};
    return result ? 0 : 1;
  }
  bool test_or(const Args& a, std::size_t& pos) {
    bool v = test_and(a, pos);
    while (pos < a.size() && a[pos] == "-o") {
      ++pos;
      v = test_and(a, pos) || v;
    }
    return v;
  }
  bool test_and(const Args& a, std::size_t& pos) {
    bool v = test_primary(a, pos);
    while (pos < a.size() && a[pos] == "-a") {
      ++pos;
      v = test_primary(a, pos) && v;
    }
    return v;
  }
  bool test_primary(const Args& a, std::size_t& pos) {
    if (pos >= a.size()) return false;
    std::size_t left = a.size() - pos;
    if (a[pos] == "!" && left > 1) {
      ++pos;
      return !test_primary(a, pos);
    }
    if (a[pos] == "(" ) {
      ++pos;
      bool v = test_or(a, pos);
      if (pos < a.size() && a[pos] == ")") ++pos;
      return v;
    }
    if (left >= 3 && is_binary_test(a[pos + 1])) {
      const std::string& l = a[pos];
      const std::string& op = a[pos + 1];
      const std::string& r = a[pos + 2];
      pos += 3;
      if (op == "=" || op == "==") return l == r;
      if (op == "!=") return l != r;
      auto x = to_integer(l);
      auto y = to_integer(r);
      if (!x || !y) throw Uninterpretable{fmt::format("test {} {} {}: not integers", l, op, r)};
      if (op == "-eq") return *x == *y;
      if (op == "-ne") return *x != *y;
      if (op == "-lt") return *x < *y;
      if (op == "-le") return *x <= *y;
      if (op == "-gt") return *x > *y;
      return *x >= *y;
    }
    if (left >= 2 && a[pos].size() == 2 && a[pos][0] == '-') {
      char op = a[pos][1];
      const std::string& operand = a[pos + 1];
      pos += 2;
      if (op == 'z') return operand.empty();
      if (op == 'n') return !operand.empty();
      if (op == 't') return false;
      if (operand.empty() || !operand.starts_with('/')) return false;
      auto type = path_type(operand);
      switch (op) {
        case 'e': case 'r': case 'w': case 'x': case 'O': case 'G':
          return type.has_value();
        case 'f':
          return type == fileset::EntryType::file || type == fileset::EntryType::hardlink;
        case 'd':
          return type == fileset::EntryType::dir;
        case 'L': case 'h':
          return type == fileset::EntryType::symlink;
        case 's':
          return type.has_value() && !made_.contains(canonical_path(operand));
        case 'S': case 'p': case 'b': case 'c': case 'u': case 'g': case 'k':
          return false;
        default:
          throw Uninterpretable{fmt::format("test -{}", op)};
      }
    }
    return !a[pos++].empty();
  }
  static bool is_binary_test(const std::string& op) {
    return op == "=" || op == "==" || op == "!=" || op == "-eq" || op == "-ne" || op == "-lt" || op == "-le" ||
           op == "-gt" || op == "-ge";
  }

  // apache2's a2enmod, a2enconf and a2ensite: the link in *-enabled/ to
  // each file of *-available/ that the package ships, as those tools make.
  int a2enable(const Args& a) {
    std::string kind = a[0] == "a2enmod" ? "mods" : a[0] == "a2enconf" ? "conf" : "sites";
    int result = 0;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) continue;
      std::string name = a[i];
      if (kind == "mods" && name.ends_with(".load")) name.resize(name.size() - 5);
      if (kind != "mods" && name.ends_with(".conf")) name.resize(name.size() - 5);
      std::vector<std::string> suffixes = kind == "mods" ? std::vector<std::string>{".load", ".conf"}
                                                         : std::vector<std::string>{".conf"};
      bool found = false;
      for (const auto& suffix : suffixes) {
        std::string available = fmt::format("/etc/apache2/{}-available/{}{}", kind, name, suffix);
        std::string enabled = fmt::format("/etc/apache2/{}-enabled/{}{}", kind, name, suffix);
        if (path_type(available) != fileset::EntryType::file) continue;
        found = true;
        if (path_type(enabled) || !is_dir(dirname_of(enabled))) continue;
        // a2enmod enables what a module's .load file says it depends on
        // ("# Depends: authz_core") first.
        if (kind == "mods" && suffix == ".load") {
          if (depth_ >= kMaxCallDepth) throw Abort{"a2enmod dependencies nested too deeply"};
          for (const auto& dependency : module_dependencies(available)) {
            ++depth_;
            a2enable({a[0], "-q", dependency});
            --depth_;
          }
        }
        make(CreatedPath::Kind::symlink, enabled, fmt::format("../{}-available/{}{}", kind, name, suffix), "");
      }
      if (!found) throw Uninterpretable{fmt::format("{} {}: the package ships no such file", a[0], name)};
    }
    return result;
  }

  // The modules a mods-available/NAME.load file's "# Depends:" line names.
  std::vector<std::string> module_dependencies(const std::string& load_file) const {
    std::vector<std::string> out;
    auto text = content_of(load_file);
    if (!text) return out;
    std::size_t pos = 0;
    while (pos < text->size()) {
      auto end = std::min(text->find('\n', pos), text->size());
      std::string_view line = std::string_view(*text).substr(pos, end - pos);
      pos = end + 1;
      if (!line.starts_with("# Depends:")) continue;
      line.remove_prefix(10);
      for (std::size_t p = 0; p < line.size();) {
        auto start = line.find_first_not_of(" \t,", p);
        if (start == std::string_view::npos) break;
        auto stop = std::min(line.find_first_of(" \t,", start), line.size());
        out.emplace_back(line.substr(start, stop - start));
        p = stop;
      }
    }
    return out;
  }

  // mktemp [-d] [TEMPLATE]: a fresh name under /tmp (what is left there
  // when the scripts end is dropped: see derive_script_effects).
  int mktemp(const Args& a) {
    bool dir = false;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "-d") dir = true;
      else if (a[i] != "-q" && a[i] != "-t") throw Uninterpretable{describe_command(a)};
    }
    std::string path = fmt::format("/tmp/tmp.sheaf{}", ++temporaries_);
    make(dir ? CreatedPath::Kind::dir : CreatedPath::Kind::file, path, "", "");
    emit(path + "\n");
    return 0;
  }

  // What a file holds, when the reader can know: one the scripts wrote, or
  // one the package ships (read through read_file_).
  std::optional<std::string> content_of(const std::string& raw) const {
    if (!raw.starts_with('/')) return std::nullopt;
    std::string path = canonical_path(raw);
    if (made_.contains(path)) {
      auto it = std::find_if(out_.created.rbegin(), out_.created.rend(),
                             [&](const CreatedPath& c) { return c.path == path; });
      if (it == out_.created.rend()) return std::nullopt;
      if (it->kind == CreatedPath::Kind::file) return it->content;
      if (it->kind == CreatedPath::Kind::copy && it->source != path) return content_of(it->source);
      return std::nullopt;
    }
    if (removed_.contains(path) || !read_file_) return std::nullopt;
    auto it = files_.find(path);
    if (it == files_.end() || it->second != fileset::EntryType::file) return std::nullopt;
    return read_file_(path);
  }

  // Commands that read standard input or files (deb/shell_filters.hpp);
  // `sed -i` edits a file whose content the reader knows.
  int filter(const Args& a) {
    try {
      if (a[0] == "sed") {
        Args plain{a[0]};
        std::vector<std::string> files;
        bool in_place = false;
        bool have_script = false;
        for (std::size_t i = 1; i < a.size(); ++i) {
          if (a[i] == "-i" || a[i].starts_with("-i") || a[i] == "--in-place" || a[i].starts_with("--in-place=")) {
            in_place = true;
          } else if (a[i] == "-e" && i + 1 < a.size()) {
            plain.push_back(a[i]);
            plain.push_back(a[++i]);
            have_script = true;
          } else if (a[i].starts_with("-")) {
            plain.push_back(a[i]);
          } else if (!have_script) {
            plain.push_back(a[i]);
            have_script = true;
          } else {
            files.push_back(a[i]);
          }
        }
        if (in_place) {
          for (const auto& file : files) {
            auto content = content_of(file);
            if (!content) throw Uninterpretable{fmt::format("sed -i edits {}, whose content the reader does not know", file)};
            write_file(absolute(file), run_filter(plain, *content).output, false);
          }
          return 0;
        }
      }
      FilterResult r = run_filter(a, input_, [this](const std::string& path) { return content_of(path); });
      emit(r.output);
      return r.status;
    } catch (const FilterError& e) {
      throw Uninterpretable{e.what.empty() ? describe_command(a) : e.what};
    }
  }

  // read [-r] NAME...: one line of standard input, split by IFS; 1 at its end.
  int read_line(const Args& a) {
    Args names;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "-r") continue;
      if (a[i].starts_with("-")) throw Uninterpretable{describe_command(a)};
      names.push_back(a[i]);
    }
    if (names.empty()) names.emplace_back("REPLY");
    if (input_.empty()) {
      for (const auto& n : names) vars_[n] = "";
      return 1;
    }
    auto end = input_.find('\n');
    std::string line = input_.substr(0, end);
    input_.erase(0, end == std::string::npos ? input_.size() : end + 1);
    std::vector<std::string> words;
    std::size_t pos = 0;
    for (std::size_t k = 0; k < names.size(); ++k) {
      pos = line.find_first_not_of(" \t", pos);
      if (pos == std::string::npos) {
        words.emplace_back();
        continue;
      }
      if (k + 1 == names.size()) {
        auto last = line.find_last_not_of(" \t");
        words.push_back(line.substr(pos, last - pos + 1));
        break;
      }
      auto stop = std::min(line.find_first_of(" \t", pos), line.size());
      words.push_back(line.substr(pos, stop - pos));
      pos = stop;
    }
    for (std::size_t k = 0; k < names.size(); ++k) vars_[names[k]] = k < words.size() ? words[k] : "";
    return 0;
  }

  // sh SCRIPT / bash SCRIPT: another script, which the reader does not have;
  // one that makes per-host state is recorded as such.
  int shell(const Args& a) {
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) continue;
      auto what = runtime_state_commands().find(basename_of(a[i]));
      if (what != runtime_state_commands().end()) {
        record_runtime_state({std::string(what->second), basename_of(a[i]), script_});
        return 0;
      }
      break;
    }
    throw Uninterpretable{describe_command(a)};
  }

 public:
  // Package files the scripts removed and did not make again.
  void report_removed() {
    for (const auto& [path, line] : removed_) {
      out_.uninterpreted.push_back({script_, line, fmt::format("removes {}, a path of the package, which the image keeps", path)});
    }
    removed_.clear();
  }

 private:

  // `. FILE`: a shell library. One the package ships is read and run where
  // it stands; one of another package is known only by the stand-ins below.
  int source(const Args& a) {
    if (a.size() < 2) throw Uninterpretable{"'.' without a file"};
    std::string path = a[1].starts_with('/') ? canonical_path(a[1]) : a[1];
    std::string text;
    if (auto stand_in = sourced_stand_ins().find(path); stand_in != sourced_stand_ins().end()) {
      text = std::string(stand_in->second);
    } else if (auto it = files_.find(path); it != files_.end() && it->second == fileset::EntryType::file && read_file_) {
      auto content = read_file_(path);
      if (!content) throw Uninterpretable{fmt::format("'. {}': the file cannot be read", a[1])};
      text = std::move(*content);
    } else {
      throw Uninterpretable{fmt::format("'. {}' reads a script of another package", a[1])};
    }
    if (depth_ >= kMaxCallDepth) throw Abort{"scripts sourced too deeply"};
    auto& tree = parsed_["source:" + path];
    if (!tree) {
      try {
        tree = parse_shell(text, fmt::format("{} {}: {}", package_, script_, path));
      } catch (const ParseError& e) {
        throw Uninterpretable{e.what()};
      }
    }
    ++depth_;
    run(*tree);
    --depth_;
    if (flow_ == Flow::return_) flow_ = Flow::normal;
    return status_;
  }

  // Shell libraries of other packages that maintainer scripts source, as
  // the reader takes them: reviewed stand-ins in shell, which keep what an
  // image needs and leave out what only a running system has.
  static const std::map<std::string, std::string_view, std::less<>>& sourced_stand_ins() {
    static const std::map<std::string, std::string_view, std::less<>> kStandIns = {
        // debconf: no questions are asked (db_* answer as debconf() says).
        {"/usr/share/debconf/confmodule", ""},
        {"/usr/share/dpkg/maintscript-helper", ""},
        // postgresql-common 248: configure_version makes the main cluster
        // (per-host state, left to run time); its man page alternatives
        // come from `dpkg -L`, which a static read cannot know, and are
        // left out with the rest (catalog checks, service starts).
        {"/usr/share/postgresql-common/maintscripts-functions", R"(
configure_version() { pg_createcluster -u postgres --no-status "$1" main; }
stop_version() { :; }
remove_version() { :; }
configure_client_version() { :; }
remove_client_version() { :; }
configure_contrib_version() { :; }
remove_contrib_version() { :; }
configure_doc_version() { :; }
remove_doc_version() { :; }
set_system_locale() { :; }
preinst_check_catversion() { :; }
postinst_check_catversion() { :; }
)"},
    };
    return kStandIns;
  }

  // xargs [-0] [-r] [-n N] COMMAND ARGS...: COMMAND with the items of
  // standard input (all at once); nothing to do for no items with -r.
  int xargs(const Args& a) {
    bool nul = false;
    bool skip_empty = false;
    std::size_t i = 1;
    for (; i < a.size() && a[i].starts_with("-"); ++i) {
      if (a[i] == "-0" || a[i] == "--null") nul = true;
      else if (a[i] == "-r" || a[i] == "--no-run-if-empty") skip_empty = true;
      else if (a[i] == "-n" && i + 1 < a.size()) ++i;
      else throw Uninterpretable{fmt::format("xargs option {}", a[i])};
    }
    Args items;
    std::string current;
    for (char c : input_) {
      bool end = nul ? c == '\0' : (c == ' ' || c == '\n' || c == '\t');
      if (!end) {
        current += c;
        continue;
      }
      if (!current.empty()) items.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty()) items.push_back(std::move(current));
    if (items.empty() && skip_empty) return 0;
    Args command(a.begin() + static_cast<std::ptrdiff_t>(std::min(i, a.size())), a.end());
    if (command.empty()) command.emplace_back("echo");
    command.insert(command.end(), items.begin(), items.end());
    std::string saved = std::move(input_);
    input_.clear();
    call(command);
    input_ = std::move(saved);
    return status_;
  }

  // su [-s SHELL] [-] USER -c COMMAND, runuser -u USER -- COMMAND...: the
  // command, as if the user ran it (the model has no permissions).
  int su(const Args& a) {
    if (a[0] == "runuser") {
      auto dashes = std::find(a.begin(), a.end(), "--");
      if (dashes == a.end() || dashes + 1 == a.end()) throw Uninterpretable{describe_command(a)};
      call(Args(dashes + 1, a.end()));
      return status_;
    }
    for (std::size_t i = 1; i + 1 < a.size(); ++i) {
      if (a[i] == "-c" || a[i] == "--command") return command({"eval", a[i + 1]});
    }
    throw Uninterpretable{describe_command(a)};
  }

  // uname: the kernel a build runs under is not the one the image will, so
  // the answer is a fixed, current Linux: scripts only check that it is new
  // enough. The machine follows the package's architecture.
  int uname(const Args& a) {
    static const std::map<std::string, std::string, std::less<>> kMachines = {
        {"amd64", "x86_64"}, {"arm64", "aarch64"}, {"armhf", "armv7l"}, {"armel", "armv5tel"}, {"i386", "i686"},
        {"ppc64el", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"}, {"mips64el", "mips64"}};
    auto machine = kMachines.find(arch_);
    std::vector<std::string> fields;
    for (std::size_t i = 1; i < a.size(); ++i) {
      for (char c : a[i].starts_with("-") ? a[i].substr(1) : std::string()) {
        switch (c) {
          case 's': fields.emplace_back("Linux"); break;
          case 'r': fields.emplace_back("6.1.0"); break;
          case 'm': case 'p': case 'i': fields.emplace_back(machine == kMachines.end() ? arch_ : machine->second); break;
          case 'o': fields.emplace_back("GNU/Linux"); break;
          case 'n': fields.emplace_back("localhost"); break;
          default: throw Uninterpretable{describe_command(a)};
        }
      }
    }
    if (fields.empty()) fields.emplace_back("Linux");
    std::string line;
    for (const auto& f : fields) line += (line.empty() ? "" : " ") + f;
    emit(line + "\n");
    return 0;
  }

  // debconf: no questions are asked; db_get answers "" (the image leaves
  // configuration to its spec).
  int debconf(const Args& a) {
    if (a[0] == "db_get" || a[0] == "db_metaget") vars_["RET"] = "";
    return 0;
  }

  // deb-systemd-helper: "was-enabled" answers yes on a fresh system, so
  // scripts take their enable branch, which changes nothing in an image.
  int deb_systemd_helper(const Args& a) {
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "debian-installed") return 1;
    }
    return 0;
  }

  const PackageFiles& files_;
  const FileReader& read_file_;
  std::string package_;
  std::string arch_;
  ScriptEffects& out_;
  std::string script_;
  Args positional_;
  std::map<std::string, std::string> vars_;
  std::map<std::string, const ShellNode*> functions_;
  std::map<std::string, std::unique_ptr<ShellNode>> parsed_;  // substitutions and eval, by text
  std::map<std::string, fileset::EntryType> made_;             // paths the scripts created
  std::map<std::string, int, std::less<>> removed_;            // package files the scripts removed: the line
  std::map<std::string, Diversion, std::less<>> diverted_;     // by path, as dpkg-divert would list them
  std::set<std::string, std::less<>> users_;
  std::set<std::string, std::less<>> groups_;
  std::string* output_ = nullptr;
  std::string input_;  // what standard input holds for the command being run
  Flow flow_ = Flow::normal;
  int flow_count_ = 0;
  int status_ = 0;
  int last_substitution_status_ = 0;
  int steps_ = 0;
  int depth_ = 0;
  int line_ = 0;
  int temporaries_ = 0;
};

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
  if (is_derived_by_sheaf(package)) return effects;
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
