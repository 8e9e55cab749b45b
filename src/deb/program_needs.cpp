#include "deb/program_needs.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "deb/merged_usr.hpp"
#include "deb/shell_script.hpp"

namespace sheaf::deb {

namespace {

constexpr std::size_t kMaxTable = std::size_t{16} << 20;  // a symbol or string table we read
constexpr std::uint64_t kMaxScript = std::uint64_t{1} << 20;  // a shell script whose commands we read

bool read_at(int fd, std::uint64_t offset, std::size_t size, std::string& out) {
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads unsigned integers of either byte order out of a buffer.
struct Reader {
  const std::string& bytes;
  bool big_endian;
  std::uint64_t get(std::size_t offset, std::size_t width) const {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      auto byte = static_cast<std::uint8_t>(bytes[offset + (big_endian ? i : width - 1 - i)]);
      v = (v << 8) | byte;
    }
    return v;
  }
};

std::string canonical(std::string_view absolute) {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return "/" + merged_usr_path(absolute);
}

}  // namespace

std::vector<std::string> interpreter_needs(std::string_view head) {
  if (!head.starts_with("#!")) return {};
  head.remove_prefix(2);
  head = head.substr(0, head.find('\n'));
  std::vector<std::string_view> words;
  for (std::size_t pos = 0; pos < head.size();) {
    auto start = head.find_first_not_of(" \t\r", pos);
    if (start == std::string_view::npos) break;
    auto end = std::min(head.find_first_of(" \t\r", start), head.size());
    words.push_back(head.substr(start, end - start));
    pos = end;
  }
  if (words.empty() || !words[0].starts_with('/')) return {};
  std::vector<std::string> needs{std::string(words[0])};  // as written: "/bin/sh"
  if (canonical(words[0]) == "/usr/bin/env") {
    // "#!/usr/bin/env -S perl -w" and "#!/usr/bin/env VAR=x cmd" too.
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (words[i].starts_with('-') || words[i].find('=') != std::string_view::npos) continue;
      if (words[i].find('/') == std::string_view::npos) needs.push_back("command:" + std::string(words[i]));
      break;
    }
  }
  return needs;
}

std::optional<std::vector<std::string>> elf_program_imports(int fd, const std::vector<std::string>& wanted) {
  std::string header;
  if (!read_at(fd, 0, 64, header) || header.compare(0, 4, "\x7f" "ELF") != 0) return std::nullopt;
  bool is64 = header[4] == 2;
  if (!is64 && header[4] != 1) return std::nullopt;
  if (header[5] != 1 && header[5] != 2) return std::nullopt;
  Reader h{header, header[5] == 2};
  std::uint64_t phoff = is64 ? h.get(32, 8) : h.get(28, 4);
  std::uint64_t shoff = is64 ? h.get(40, 8) : h.get(32, 4);
  std::uint64_t phentsize = h.get(is64 ? 54 : 42, 2);
  std::uint64_t phnum = h.get(is64 ? 56 : 44, 2);
  std::uint64_t shentsize = h.get(is64 ? 58 : 46, 2);
  std::uint64_t shnum = h.get(is64 ? 60 : 48, 2);
  if (phentsize < 4 || phnum == 0 || shentsize < (is64 ? 64u : 40u) || shnum == 0) return std::nullopt;

  // A program has an interpreter (the dynamic loader); a shared library,
  // even an executable one like libc.so.6, is judged by its callers.
  std::string phdrs;
  if (phentsize * phnum > kMaxTable || !read_at(fd, phoff, phentsize * phnum, phdrs)) return std::nullopt;
  Reader p{phdrs, h.big_endian};
  bool program = false;
  for (std::uint64_t i = 0; i < phnum; ++i) program |= p.get(i * phentsize, 4) == 3;  // PT_INTERP
  if (!program) return std::nullopt;

  std::string shdrs;
  if (shentsize * shnum > kMaxTable || !read_at(fd, shoff, shentsize * shnum, shdrs)) return std::nullopt;
  Reader s{shdrs, h.big_endian};
  auto section = [&](std::uint64_t i, std::size_t field64, std::size_t field32, std::size_t width64,
                     std::size_t width32) {
    return s.get(i * shentsize + (is64 ? field64 : field32), is64 ? width64 : width32);
  };
  std::vector<std::string> found;
  for (std::uint64_t i = 0; i < shnum; ++i) {
    if (section(i, 4, 4, 4, 4) != 11) continue;  // SHT_DYNSYM
    std::uint64_t offset = section(i, 24, 16, 8, 4);
    std::uint64_t size = section(i, 32, 20, 8, 4);
    std::uint64_t link = section(i, 40, 24, 4, 4);
    std::uint64_t entsize = is64 ? 24 : 16;
    if (link >= shnum || size > kMaxTable) return std::nullopt;
    std::uint64_t str_offset = section(link, 24, 16, 8, 4);
    std::uint64_t str_size = section(link, 32, 20, 8, 4);
    std::string symbols, strings;
    if (str_size > kMaxTable || !read_at(fd, offset, size, symbols) || !read_at(fd, str_offset, str_size, strings)) {
      return std::nullopt;
    }
    Reader y{symbols, h.big_endian};
    for (std::uint64_t k = 0; k + entsize <= size; k += entsize) {
      std::uint64_t name = y.get(k, 4);
      std::uint64_t shndx = y.get(k + (is64 ? 6 : 14), 2);
      if (shndx != 0 || name >= strings.size()) continue;  // defined here, or a bad name
      std::string_view text(strings.c_str() + name);
      for (const auto& w : wanted) {
        if (text == w && std::find(found.begin(), found.end(), w) == found.end()) found.push_back(w);
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

namespace {

// Commands a shell script runs by name: the first word of each simple
// command (and of those inside $(...) and `...`) when it is written out,
// less builtins, keywords and the script's own functions. Words built from
// variables are not followed.
class CommandCollector {
 public:
  void walk(const ShellNode& node, int depth = 0) {
    if (depth > kMaxShellNesting) return;
    if (node.kind == ShellNode::Kind::function) functions_.insert(node.name);
    for (const auto& w : node.words) substitutions(w, depth);
    for (const auto& w : node.assignments) substitutions(w, depth);
    for (const auto& r : node.redirects) substitutions(r.target, depth);
    if (node.kind == ShellNode::Kind::simple && !node.words.empty()) command(node.words.front());
    for (const auto& child : node.children) walk(*child, depth + 1);
  }

  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& n : seen_) {
      if (!functions_.contains(n)) out.insert(n);
    }
    return out;
  }

 private:
  void command(const ShellWord& word) {
    std::vector<ShellWordPart> parts;
    try {
      parts = split_word(word.text, "script");
    } catch (const ParseError&) {
      return;
    }
    std::string name;
    for (const auto& p : parts) {
      if (p.kind != ShellWordPart::Kind::literal) return;
      name += p.text;
    }
    static const std::set<std::string, std::less<>> kBuiltins = {
        ".", ":", "[", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit",
        "export", "false", "fg", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd", "read", "readonly",
        "return", "set", "shift", "test", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset",
        "wait", "source", "let", "declare", "typeset", "shopt", "builtin", "enable", "mapfile", "readarray",
        "pushd", "popd", "dirs", "disown", "suspend", "caller", "compgen", "complete", "help", "history", "logout"};
    if (name.empty() || name.find('=') != std::string::npos || kBuiltins.contains(name)) return;
    if (name.find('/') != std::string::npos && !name.starts_with('/')) return;
    seen_.insert(name);
  }

  void substitutions(const ShellWord& word, int depth) {
    std::vector<ShellWordPart> parts;
    try {
      parts = split_word(word.text, "script");
    } catch (const ParseError&) {
      return;
    }
    for (const auto& p : parts) {
      if (p.kind != ShellWordPart::Kind::command) continue;
      try {
        auto tree = parse_shell(p.text, "script");
        walk(*tree, depth + 1);
      } catch (const ParseError&) {
      }
    }
  }

  std::set<std::string> seen_;
  std::set<std::string> functions_;
};

bool is_shell(std::string_view interpreter) {
  return interpreter == "/usr/bin/sh" || interpreter == "/usr/bin/dash" || interpreter == "/usr/bin/bash";
}

}  // namespace

std::vector<std::string> shell_script_commands(std::string_view text) {
  std::unique_ptr<ShellNode> tree;
  try {
    tree = parse_shell(text, "script");
  } catch (const ParseError&) {
    return {};
  }
  CommandCollector collector;
  collector.walk(*tree);
  auto names = collector.names();
  return {names.begin(), names.end()};
}

std::vector<ProgramNeed> program_needs(const std::vector<fileset::Entry>& entries, const ContentOpener& open) {
  static const std::vector<std::string> kShellCalls = {"popen", "system"};
  std::vector<ProgramNeed> out;
  for (const auto& e : entries) {
    if (e.type != fileset::EntryType::file || (e.mode & 0111) == 0 || e.size < 4) continue;
    // Programs are what a bin or sbin directory holds (/usr/bin, and
    // /usr/lib/postgresql/15/bin too); hooks for dpkg, init scripts and
    // helpers elsewhere are not what an image runs.
    if (!e.path.starts_with("usr/") || (e.path.find("/bin/") == std::string::npos && e.path.find("/sbin/") == std::string::npos)) {
      continue;
    }
    auto fd = open(e);
    if (!fd) continue;
    std::string head;
    if (!read_at(fd->get(), 0, static_cast<std::size_t>(std::min<std::uint64_t>(e.size, 256)), head)) continue;
    std::string program = "/" + e.path;
    if (head.starts_with("#!")) {
      auto needs = interpreter_needs(head);
      // A shell script's commands, when it is small enough to be a script.
      if (!needs.empty() && is_shell(canonical(needs.front())) && e.size <= kMaxScript) {
        std::string text;
        if (read_at(fd->get(), 0, static_cast<std::size_t>(e.size), text)) {
          for (auto& name : shell_script_commands(text)) {
            out.push_back({program, name.starts_with('/') ? name : "command:" + name, "run by the script"});
          }
        }
      }
      for (auto& need : needs) out.push_back({program, std::move(need), "interpreter"});
    } else if (head.starts_with("\x7f" "ELF")) {
      auto imports = elf_program_imports(fd->get(), kShellCalls);
      if (!imports) continue;
      for (const auto& name : *imports) out.push_back({program, "/bin/sh", name + "(3)"});
    }
  }
  std::sort(out.begin(), out.end(), [](const ProgramNeed& a, const ProgramNeed& b) {
    return std::tie(a.program, a.needs, a.why) < std::tie(b.program, b.needs, b.why);
  });
  return out;
}

nlohmann::json needs_to_json(const std::vector<ProgramNeed>& needs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& n : needs) list.push_back({{"program", n.program}, {"needs", n.needs}, {"why", n.why}});
  return list;
}

std::vector<ProgramNeed> needs_from_json(const nlohmann::json& doc) {
  std::vector<ProgramNeed> out;
  if (!doc.is_array()) return out;
  for (const auto& item : doc) {
    if (!item.is_object()) continue;
    auto text = [&](const char* key) {
      auto it = item.find(key);
      return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    out.push_back({text("program"), text("needs"), text("why")});
  }
  return out;
}

}  // namespace sheaf::deb
