// A parser for the POSIX shell that Debian's maintainer scripts are written
// in, for reading them, never for running them (deb/script_effects.hpp).
//
// It covers the grammar of POSIX sh (XCU 2.10): simple commands with
// assignments and redirections, pipelines, && and ||, ; and &, if, for,
// while, until, case, { } and ( ) groups, function definitions and here
// documents. Words are kept as written (quotes, $var, ${...}, $(...), `...`),
// to be expanded by the reader. bash-only syntax ([[ ]], arrays, $'...') is
// a ParseError, as it is in dash, which runs these scripts on Debian.
//
// The input is untrusted. Anything it cannot parse is a ParseError naming
// the script and the line; nesting deeper than kMaxShellNesting is one too.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::deb {

inline constexpr int kMaxShellNesting = 64;

struct ShellWord {
  std::string text;  // as written, quotes included
  int line = 0;
};

struct ShellRedirect {
  int fd = -1;       // the descriptor written before the operator ("2>"), or -1
  std::string op;    // ">", ">>", "<", ">&", "<&", "<>", ">|", "<<", "<<-"
  ShellWord target;  // the file, fd or here-document delimiter
  std::string here;  // a here document's body
};

struct ShellNode {
  enum class Kind {
    simple,    // assignments, words, redirects
    pipeline,  // children joined by |; negate for a leading !
    and_or,    // children joined by ops ("&&", "||")
    list,      // children run in turn
    if_,       // children: cond, body, cond, body, ... [, else body]
    for_,      // name; words (or "$@" when !has_in); children[0] the body
    while_,    // children: cond, body; until for `until`
    case_,     // subject in words[0]; patterns[k] for children[k]
    group,     // { list }; children[0]
    subshell,  // ( list ); children[0]
    function,  // name; children[0] the body
  };
  Kind kind = Kind::simple;
  int line = 0;
  std::vector<ShellWord> assignments;
  std::vector<ShellWord> words;
  std::vector<ShellRedirect> redirects;  // of a simple or compound command
  std::vector<std::unique_ptr<ShellNode>> children;
  std::vector<std::string> ops;                      // and_or
  std::vector<std::vector<ShellWord>> patterns;      // case_
  std::string name;                                  // for_, function
  bool negate = false;                               // pipeline
  bool has_in = false;                               // for_
  bool until = false;                                // while_
  bool has_else = false;                             // if_
};

// Parses a whole script. `where` names it in errors ("redis-tools 7:7.0.15-1
// postinst"). Throws ParseError.
std::unique_ptr<ShellNode> parse_shell(std::string_view text, std::string_view where);

// A word's parts in order, for expansion: literal text, or an expansion.
struct ShellWordPart {
  enum class Kind {
    literal,      // text, taken as is
    parameter,    // text: what is inside ${...} or after $ ("1", "foo", "foo:-bar", "#")
    command,      // text: the script inside $(...) or `...`
    arithmetic,   // text: what is inside $((...))
  };
  Kind kind = Kind::literal;
  std::string text;
  bool quoted = false;  // inside "..." or '...': neither split nor globbed
};

// Splits a word (as written) into its parts, removing quotes. Throws
// ParseError naming `where` for an unterminated quote or substitution.
std::vector<ShellWordPart> split_word(std::string_view word, std::string_view where);

}  // namespace sheaf::deb
