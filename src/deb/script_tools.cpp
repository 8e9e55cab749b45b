// The ScriptReader's text and test utilities (getent, id, basename, expr,
// printf, test, grep and sed through shell_filters, read, uname) and the
// commands that run others (sh -c, ., xargs, su) (deb/script_reader.hpp).
#include "deb/script_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/error.hpp"
#include "deb/shell_filters.hpp"

namespace sheaf::deb::reader {

int ScriptReader::getent(const Args& a) {
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

int ScriptReader::id(const Args& a) {
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

int ScriptReader::basename(const Args& a) {
  if (a.size() < 2) return 1;
  std::string b = basename_of(a[1]);
  if (a.size() > 2 && b.ends_with(a[2]) && b != a[2]) b.resize(b.size() - a[2].size());
  emit(b + "\n");
  return 0;
}

int ScriptReader::dirname(const Args& a) {
  if (a.size() < 2) return 1;
  emit(dirname_of(a[1]) + "\n");
  return 0;
}

int ScriptReader::expr(const Args& a) {
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

int ScriptReader::printf_command(const Args& a) {
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

int ScriptReader::test_command(const Args& raw) {
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

bool ScriptReader::test_or(const Args& a, std::size_t& pos) {
  bool v = test_and(a, pos);
  while (pos < a.size() && a[pos] == "-o") {
    ++pos;
    v = test_and(a, pos) || v;
  }
  return v;
}

bool ScriptReader::test_and(const Args& a, std::size_t& pos) {
  bool v = test_primary(a, pos);
  while (pos < a.size() && a[pos] == "-a") {
    ++pos;
    v = test_primary(a, pos) && v;
  }
  return v;
}

bool ScriptReader::test_primary(const Args& a, std::size_t& pos) {
  if (pos >= a.size()) return false;
  std::size_t left = a.size() - pos;
  if (a[pos] == "!" && left > 1) {
    ++pos;
    return !test_primary(a, pos);
  }
  if (a[pos] == "(") {
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
      case 'e':
      case 'r':
      case 'w':
      case 'x':
      case 'O':
      case 'G':
        return type.has_value();
      case 'f':
        return type == fileset::EntryType::file || type == fileset::EntryType::hardlink;
      case 'd':
        return type == fileset::EntryType::dir;
      case 'L':
      case 'h':
        return type == fileset::EntryType::symlink;
      case 's':
        return type.has_value() && !made_.contains(canonical_path(operand));
      case 'S':
      case 'p':
      case 'b':
      case 'c':
      case 'u':
      case 'g':
      case 'k':
        return false;
      default:
        throw Uninterpretable{fmt::format("test -{}", op)};
    }
  }
  return !a[pos++].empty();
}

bool ScriptReader::is_binary_test(const std::string& op) {
  return op == "=" || op == "==" || op == "!=" || op == "-eq" || op == "-ne" || op == "-lt" || op == "-le" ||
         op == "-gt" || op == "-ge";
}

int ScriptReader::filter(const Args& a) {
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
          if (!content)
            throw Uninterpretable{fmt::format("sed -i edits {}, whose content the reader does not know", file)};
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

int ScriptReader::read_line(const Args& a) {
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

int ScriptReader::shell(const Args& a) {
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

int ScriptReader::source(const Args& a) {
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

const std::map<std::string, std::string_view, std::less<>>& ScriptReader::sourced_stand_ins() {
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

int ScriptReader::xargs(const Args& a) {
  bool nul = false;
  bool skip_empty = false;
  std::size_t i = 1;
  for (; i < a.size() && a[i].starts_with("-"); ++i) {
    if (a[i] == "-0" || a[i] == "--null")
      nul = true;
    else if (a[i] == "-r" || a[i] == "--no-run-if-empty")
      skip_empty = true;
    else if (a[i] == "-n" && i + 1 < a.size())
      ++i;
    else
      throw Uninterpretable{fmt::format("xargs option {}", a[i])};
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

int ScriptReader::su(const Args& a) {
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

int ScriptReader::uname(const Args& a) {
  static const std::map<std::string, std::string, std::less<>> kMachines = {
      {"amd64", "x86_64"},    {"arm64", "aarch64"}, {"armhf", "armv7l"},    {"armel", "armv5tel"}, {"i386", "i686"},
      {"ppc64el", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}, {"mips64el", "mips64"}};
  auto machine = kMachines.find(arch_);
  std::vector<std::string> fields;
  for (std::size_t i = 1; i < a.size(); ++i) {
    for (char c : a[i].starts_with("-") ? a[i].substr(1) : std::string()) {
      switch (c) {
        case 's':
          fields.emplace_back("Linux");
          break;
        case 'r':
          fields.emplace_back("6.1.0");
          break;
        case 'm':
        case 'p':
        case 'i':
          fields.emplace_back(machine == kMachines.end() ? arch_ : machine->second);
          break;
        case 'o':
          fields.emplace_back("GNU/Linux");
          break;
        case 'n':
          fields.emplace_back("localhost");
          break;
        default:
          throw Uninterpretable{describe_command(a)};
      }
    }
  }
  if (fields.empty()) fields.emplace_back("Linux");
  std::string line;
  for (const auto& f : fields) line += (line.empty() ? "" : " ") + f;
  emit(line + "\n");
  return 0;
}

}  // namespace sheaf::deb::reader
