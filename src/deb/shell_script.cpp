#include "deb/shell_script.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace sheaf::deb {

namespace {

bool is_meta(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '(' ||
         c == ')';
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// Scans quoted and substituted text inside a word. Each function starts at
// the opening character and returns the index just past the closing one.
class WordScanner {
 public:
  WordScanner(std::string_view text, std::string_view where, int& line) : text_(text), where_(where), line_(line) {}

  // The end of the word starting at `pos` (which is not a metacharacter).
  std::size_t word(std::size_t pos) {
    while (pos < text_.size() && !is_meta(text_[pos])) pos = one(pos, false);
    return pos;
  }

  // One unit: an escaped character, a quoted string, a substitution, or a
  // plain character. Inside "..." (`in_double`), single quotes are plain.
  std::size_t one(std::size_t pos, bool in_double) {
    char c = text_[pos];
    if (c == '\\') {
      if (pos + 1 >= text_.size()) return pos + 1;
      if (text_[pos + 1] == '\n') ++line_;
      return pos + 2;
    }
    if (c == '\n') ++line_;
    if (c == '\'' && !in_double) return single_quoted(pos);
    if (c == '"') return double_quoted(pos);
    if (c == '`') return backquoted(pos);
    if (c == '$' && pos + 1 < text_.size()) {
      if (text_.substr(pos + 1, 2) == "((") {
        std::size_t end = balanced(pos + 3, ')', "$((");
        if (end >= text_.size() || text_[end] != ')') fail_at("$((");
        return end + 1;
      }
      if (text_[pos + 1] == '(') return balanced(pos + 2, ')', "$(");
      if (text_[pos + 1] == '{') return balanced(pos + 2, '}', "${");
    }
    return pos + 1;
  }

 private:
  [[noreturn]] std::size_t fail_at(std::string_view what) const {
    throw ParseError(fmt::format("{} line {}", where_, line_), fmt::format("unterminated {}", what));
  }
  std::size_t single_quoted(std::size_t pos) {
    auto end = text_.find('\'', pos + 1);
    if (end == std::string_view::npos) fail_at("'...' string");
    for (std::size_t i = pos; i < end; ++i) line_ += text_[i] == '\n';
    return end + 1;
  }
  std::size_t double_quoted(std::size_t pos) {
    ++pos;
    while (pos < text_.size() && text_[pos] != '"') pos = one(pos, true);
    if (pos >= text_.size()) fail_at("\"...\" string");
    return pos + 1;
  }
  std::size_t backquoted(std::size_t pos) {
    ++pos;
    while (pos < text_.size() && text_[pos] != '`') {
      if (text_[pos] == '\\') ++pos;
      if (pos < text_.size() && text_[pos] == '\n') ++line_;
      ++pos;
    }
    if (pos >= text_.size()) fail_at("`...` substitution");
    return pos + 1;
  }
  // From just inside an opener to just past its `close`, skipping nested
  // openers of the same kind and quoted text.
  std::size_t balanced(std::size_t pos, char close, std::string_view what) {
    char open = close == ')' ? '(' : '{';
    int depth = 1;
    if (++nesting_ > kMaxShellNesting) fail_at("nesting (too deep)");
    while (pos < text_.size()) {
      char c = text_[pos];
      if (c == close && --depth == 0) {
        --nesting_;
        return pos + 1;
      }
      if (c == open) ++depth;
      if (c == '#' && close == ')' && (pos == 0 || text_[pos - 1] == ' ' || text_[pos - 1] == '\n' ||
                                       text_[pos - 1] == '\t' || text_[pos - 1] == ';')) {
        // A comment inside $(...): to the end of the line.
        while (pos < text_.size() && text_[pos] != '\n') ++pos;
        continue;
      }
      pos = one(pos, false);
    }
    fail_at(what);
  }

  std::string_view text_;
  std::string_view where_;
  int& line_;
  int nesting_ = 0;
};

struct Token {
  enum class Type { word, op, newline, end };
  Type type = Type::end;
  std::string text;
  int line = 0;
  bool io_number = false;  // digits just before < or >
  std::string here;        // the body, on a here-document delimiter
};

std::vector<Token> tokenize(std::string_view text, std::string_view where) {
  std::vector<Token> tokens;
  int line = 1;
  WordScanner scanner(text, where, line);
  std::vector<std::pair<std::size_t, bool>> pending_here;  // delimiter token, strip tabs
  std::size_t pos = 0;
  auto read_here_documents = [&] {
    for (auto [index, strip] : pending_here) {
      std::string delimiter;
      for (char c : tokens[index].text) {
        if (c != '\'' && c != '"' && c != '\\') delimiter += c;
      }
      std::string body;
      bool closed = false;
      while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view body_line = text.substr(pos, end - pos);
        pos = std::min(end + 1, text.size());
        ++line;
        if (strip) body_line.remove_prefix(std::min(body_line.find_first_not_of('\t'), body_line.size()));
        if (body_line == delimiter) {
          closed = true;
          break;
        }
        body += body_line;
        body += '\n';
      }
      if (!closed) throw ParseError(fmt::format("{} line {}", where, line), "unterminated here document");
      tokens[index].here = std::move(body);
    }
    pending_here.clear();
  };
  while (pos < text.size()) {
    char c = text[pos];
    if (c == ' ' || c == '\t') {
      ++pos;
      continue;
    }
    if (c == '\\' && pos + 1 < text.size() && text[pos + 1] == '\n') {
      pos += 2;
      ++line;
      continue;
    }
    if (c == '#') {
      while (pos < text.size() && text[pos] != '\n') ++pos;
      continue;
    }
    if (c == '\n') {
      tokens.push_back({Token::Type::newline, "\n", line});
      ++pos;
      ++line;
      read_here_documents();
      continue;
    }
    if (is_meta(c)) {
      static constexpr std::string_view kOps[] = {";;", "&&", "||", "<<-", "<<", ">>", ">&", "<&", "<>", ">|",
                                                  ";",  "&",  "|",  "(",   ")",  "<",  ">"};
      for (std::string_view op : kOps) {
        if (text.substr(pos, op.size()) == op) {
          tokens.push_back({Token::Type::op, std::string(op), line});
          pos += op.size();
          break;
        }
      }
      bool here = tokens.back().text == "<<" || tokens.back().text == "<<-";
      if (here) {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
        if (pos >= text.size() || is_meta(text[pos])) {
          throw ParseError(fmt::format("{} line {}", where, line), "a here document without a delimiter");
        }
        bool strip = tokens.back().text == "<<-";
        std::size_t end = scanner.word(pos);
        tokens.push_back({Token::Type::word, std::string(text.substr(pos, end - pos)), line});
        pending_here.emplace_back(tokens.size() - 1, strip);
        pos = end;
      }
      continue;
    }
    int start_line = line;
    std::size_t end = scanner.word(pos);
    Token word{Token::Type::word, std::string(text.substr(pos, end - pos)), start_line};
    word.io_number = end < text.size() && (text[end] == '<' || text[end] == '>') &&
                     word.text.find_first_not_of("0123456789") == std::string::npos;
    tokens.push_back(std::move(word));
    pos = end;
  }
  if (!pending_here.empty()) read_here_documents();
  tokens.push_back({Token::Type::end, "", line});
  return tokens;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view where) : tokens_(std::move(tokens)), where_(where) {}

  std::unique_ptr<ShellNode> program() {
    auto list = parse_list();
    if (peek().type != Token::Type::end) fail_here(fmt::format("unexpected {}", describe(peek())));
    return list;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  Token next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool is_op(std::string_view op, std::size_t ahead = 0) const {
    return peek(ahead).type == Token::Type::op && peek(ahead).text == op;
  }
  bool is_reserved(std::string_view word) const { return peek().type == Token::Type::word && peek().text == word; }
  static std::string describe(const Token& t) {
    if (t.type == Token::Type::end) return "end of script";
    if (t.type == Token::Type::newline) return "end of line";
    return quote(t.text);
  }
  [[noreturn]] void fail_here(std::string_view problem) const {
    throw ParseError(fmt::format("{} line {}", where_, peek().line), problem);
  }
  void expect_word(std::string_view word) {
    if (!is_reserved(word)) fail_here(fmt::format("expected {}, found {}", quote(word), describe(peek())));
    next();
  }
  void skip_newlines() {
    while (peek().type == Token::Type::newline) next();
  }
  struct Depth {
    Parser& p;
    explicit Depth(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxShellNesting) p.fail_here("commands nested too deeply");
    }
    ~Depth() { --p.depth_; }
  };

  bool at_list_end() const {
    const Token& t = peek();
    if (t.type == Token::Type::end) return true;
    if (t.type == Token::Type::op) return t.text == ")" || t.text == ";;";
    if (t.type != Token::Type::word) return false;
    static constexpr std::string_view kEnds[] = {"then", "elif", "else", "fi", "do", "done", "esac", "}"};
    for (auto e : kEnds) {
      if (t.text == e) return true;
    }
    return false;
  }

  std::unique_ptr<ShellNode> parse_list() {
    Depth depth(*this);
    auto list = std::make_unique<ShellNode>();
    list->kind = ShellNode::Kind::list;
    list->line = peek().line;
    for (;;) {
      skip_newlines();
      if (at_list_end()) break;
      list->children.push_back(parse_and_or());
      if (is_op(";") || is_op("&")) {
        next();
      } else if (peek().type == Token::Type::newline) {
        next();
      } else if (!at_list_end()) {
        fail_here(fmt::format("unexpected {}", describe(peek())));
      }
    }
    return list;
  }

  std::unique_ptr<ShellNode> parse_and_or() {
    auto first = parse_pipeline();
    if (!is_op("&&") && !is_op("||")) return first;
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::and_or;
    node->line = first->line;
    node->children.push_back(std::move(first));
    while (is_op("&&") || is_op("||")) {
      node->ops.push_back(next().text);
      skip_newlines();
      node->children.push_back(parse_pipeline());
    }
    return node;
  }

  std::unique_ptr<ShellNode> parse_pipeline() {
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::pipeline;
    node->line = peek().line;
    if (is_reserved("!")) {
      next();
      node->negate = true;
    }
    node->children.push_back(parse_command());
    while (is_op("|")) {
      next();
      skip_newlines();
      node->children.push_back(parse_command());
    }
    if (!node->negate && node->children.size() == 1) return std::move(node->children.front());
    return node;
  }

  void parse_redirects(ShellNode& node) {
    for (;;) {
      int fd = -1;
      if (peek().type == Token::Type::word && peek().io_number) {
        if (peek(1).type != Token::Type::op) return;
        fd = peek().text.size() < 4 ? std::stoi(peek().text) : 9999;
        next();
      }
      if (peek().type != Token::Type::op) return;
      static constexpr std::string_view kRedirects[] = {">", ">>", "<", ">&", "<&", "<>", ">|", "<<", "<<-"};
      bool redirect = false;
      for (auto r : kRedirects) redirect |= peek().text == r;
      if (!redirect) return;
      ShellRedirect r;
      r.fd = fd;
      r.op = next().text;
      if (peek().type != Token::Type::word) fail_here(fmt::format("{} needs a file, found {}", r.op, describe(peek())));
      Token target = next();
      r.target = {target.text, target.line};
      r.here = std::move(target.here);
      node.redirects.push_back(std::move(r));
    }
  }

  std::unique_ptr<ShellNode> parse_command() {
    Depth depth(*this);
    std::unique_ptr<ShellNode> node;
    int line = peek().line;
    if (is_reserved("{")) {
      next();
      node = std::make_unique<ShellNode>();
      node->kind = ShellNode::Kind::group;
      node->children.push_back(parse_list());
      expect_word("}");
    } else if (is_op("(")) {
      next();
      node = std::make_unique<ShellNode>();
      node->kind = ShellNode::Kind::subshell;
      node->children.push_back(parse_list());
      if (!is_op(")")) fail_here(fmt::format("expected ')', found {}", describe(peek())));
      next();
    } else if (is_reserved("if")) {
      node = parse_if();
    } else if (is_reserved("for")) {
      node = parse_for();
    } else if (is_reserved("while") || is_reserved("until")) {
      node = parse_while();
    } else if (is_reserved("case")) {
      node = parse_case();
    } else if (peek().type == Token::Type::word && is_op("(", 1) && is_op(")", 2)) {
      node = std::make_unique<ShellNode>();
      node->kind = ShellNode::Kind::function;
      node->name = next().text;
      next();
      next();
      skip_newlines();
      node->children.push_back(parse_command());
      node->line = line;
      return node;
    } else if (is_reserved("[[")) {
      fail_here("[[ is bash syntax, not POSIX sh");
    } else {
      return parse_simple();
    }
    node->line = line;
    parse_redirects(*node);
    return node;
  }

  std::unique_ptr<ShellNode> parse_if() {
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::if_;
    next();  // if
    for (;;) {
      node->children.push_back(parse_list());
      expect_word("then");
      node->children.push_back(parse_list());
      if (is_reserved("elif")) {
        next();
        continue;
      }
      if (is_reserved("else")) {
        next();
        node->children.push_back(parse_list());
        node->has_else = true;
      }
      expect_word("fi");
      return node;
    }
  }

  std::unique_ptr<ShellNode> parse_for() {
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::for_;
    next();  // for
    if (peek().type != Token::Type::word) fail_here("for needs a variable name");
    node->name = next().text;
    skip_newlines();
    if (is_reserved("in")) {
      next();
      node->has_in = true;
      while (peek().type == Token::Type::word) {
        Token w = next();
        node->words.push_back({w.text, w.line});
      }
      if (is_op(";")) next();
    } else if (is_op(";")) {
      next();
    }
    skip_newlines();
    expect_word("do");
    node->children.push_back(parse_list());
    expect_word("done");
    return node;
  }

  std::unique_ptr<ShellNode> parse_while() {
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::while_;
    node->until = next().text == "until";
    node->children.push_back(parse_list());
    expect_word("do");
    node->children.push_back(parse_list());
    expect_word("done");
    return node;
  }

  std::unique_ptr<ShellNode> parse_case() {
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::case_;
    next();  // case
    if (peek().type != Token::Type::word) fail_here("case needs a word");
    Token subject = next();
    node->words.push_back({subject.text, subject.line});
    skip_newlines();
    expect_word("in");
    for (;;) {
      skip_newlines();
      if (is_reserved("esac")) {
        next();
        return node;
      }
      if (is_op("(")) next();
      std::vector<ShellWord> patterns;
      for (;;) {
        if (peek().type != Token::Type::word) fail_here(fmt::format("expected a case pattern, found {}", describe(peek())));
        Token p = next();
        patterns.push_back({p.text, p.line});
        if (is_op("|")) {
          next();
          continue;
        }
        break;
      }
      if (!is_op(")")) fail_here(fmt::format("expected ')' after a case pattern, found {}", describe(peek())));
      next();
      node->patterns.push_back(std::move(patterns));
      node->children.push_back(parse_list());
      if (is_op(";;")) {
        next();
      } else if (!is_reserved("esac")) {
        fail_here(fmt::format("expected ';;' or 'esac', found {}", describe(peek())));
      }
    }
  }

  static bool is_assignment(const std::string& word) {
    if (word.empty() || !is_name_start(word[0])) return false;
    for (char c : word) {
      if (c == '=') return true;
      if (!is_name_char(c)) return false;
    }
    return false;
  }

  std::unique_ptr<ShellNode> parse_simple() {
    auto node = std::make_unique<ShellNode>();
    node->kind = ShellNode::Kind::simple;
    node->line = peek().line;
    for (;;) {
      parse_redirects(*node);
      if (peek().type != Token::Type::word) break;
      if (node->words.empty() && is_assignment(peek().text)) {
        Token w = next();
        node->assignments.push_back({w.text, w.line});
        continue;
      }
      if (!node->words.empty() || !at_list_end()) {
        Token w = next();
        node->words.push_back({w.text, w.line});
        continue;
      }
      break;
    }
    if (node->words.empty() && node->assignments.empty() && node->redirects.empty()) {
      fail_here(fmt::format("expected a command, found {}", describe(peek())));
    }
    return node;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  std::string_view where_;
  int depth_ = 0;
};

}  // namespace

std::unique_ptr<ShellNode> parse_shell(std::string_view text, std::string_view where) {
  return Parser(tokenize(text, where), where).program();
}

std::vector<ShellWordPart> split_word(std::string_view word, std::string_view where) {
  std::vector<ShellWordPart> parts;
  int line = 1;
  WordScanner scanner(word, where, line);
  auto literal = [&](std::string_view text, bool quoted) {
    if (!parts.empty() && parts.back().kind == ShellWordPart::Kind::literal && parts.back().quoted == quoted) {
      parts.back().text += text;
    } else {
      parts.push_back({ShellWordPart::Kind::literal, std::string(text), quoted});
    }
  };
  // `$...` at pos: adds the expansion and returns the index past it.
  auto dollar = [&](std::size_t pos, bool quoted) -> std::size_t {
    std::size_t end = scanner.one(pos, false);
    if (word.substr(pos, 3) == "$((") {
      parts.push_back({ShellWordPart::Kind::arithmetic, std::string(word.substr(pos + 3, end - pos - 5)), quoted});
      return end;
    }
    if (word.substr(pos, 2) == "$(") {
      parts.push_back({ShellWordPart::Kind::command, std::string(word.substr(pos + 2, end - pos - 3)), quoted});
      return end;
    }
    if (word.substr(pos, 2) == "${") {
      parts.push_back({ShellWordPart::Kind::parameter, std::string(word.substr(pos + 2, end - pos - 3)), quoted});
      return end;
    }
    // $name, $1, $@, $#, $?, $$, $*, $-, $!
    std::size_t i = pos + 1;
    if (i < word.size() && is_name_start(word[i])) {
      while (i < word.size() && is_name_char(word[i])) ++i;
    } else if (i < word.size() && std::string_view("0123456789@#?$*-!").find(word[i]) != std::string_view::npos) {
      ++i;
    } else {
      literal("$", quoted);
      return pos + 1;
    }
    parts.push_back({ShellWordPart::Kind::parameter, std::string(word.substr(pos + 1, i - pos - 1)), quoted});
    return i;
  };
  auto backquote = [&](std::size_t pos, bool quoted) -> std::size_t {
    std::size_t end = scanner.one(pos, false);
    std::string inner;
    for (std::size_t i = pos + 1; i + 1 < end; ++i) {
      if (word[i] == '\\' && i + 2 < end && std::string_view("$`\\").find(word[i + 1]) != std::string_view::npos) ++i;
      inner += word[i];
    }
    parts.push_back({ShellWordPart::Kind::command, std::move(inner), quoted});
    return end;
  };
  std::size_t pos = 0;
  while (pos < word.size()) {
    char c = word[pos];
    if (c == '\\') {
      if (pos + 1 < word.size() && word[pos + 1] != '\n') literal(word.substr(pos + 1, 1), true);
      pos += 2;
    } else if (c == '\'') {
      std::size_t end = scanner.one(pos, false);
      literal(word.substr(pos + 1, end - pos - 2), true);
      pos = end;
    } else if (c == '"') {
      std::size_t end = scanner.one(pos, false);
      std::size_t i = pos + 1;
      literal("", true);  // "" is an empty field, not none
      while (i + 1 < end) {
        char d = word[i];
        if (d == '\\' && i + 2 < end) {
          char e = word[i + 1];
          if (e == '\n') {
            i += 2;
          } else if (std::string_view("$`\"\\").find(e) != std::string_view::npos) {
            literal(word.substr(i + 1, 1), true);
            i += 2;
          } else {
            literal(word.substr(i, 2), true);
            i += 2;
          }
        } else if (d == '$') {
          i = dollar(i, true);
        } else if (d == '`') {
          i = backquote(i, true);
        } else {
          literal(word.substr(i, 1), true);
          ++i;
        }
      }
      pos = end;
    } else if (c == '$') {
      pos = dollar(pos, false);
    } else if (c == '`') {
      pos = backquote(pos, false);
    } else {
      literal(word.substr(pos, 1), false);
      ++pos;
    }
  }
  return parts;
}

}  // namespace sheaf::deb
