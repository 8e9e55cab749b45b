// Errors: the one exception type that sheaf's library code throws.
//
// An Error carries a message a user can act on, plus a chain of context lines
// that callers add as the error travels up ("while adding directory 'app'").
// main() is the only place that catches everything; it prints the message and
// the chain and maps the kind to a documented exit code (see README.md).
//
// Expected misses (a blob that is absent, a name with no package) are not
// errors: functions return std::optional for those.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf {

enum class ErrorKind {
  failure,  // anything that went wrong at run time; exit code 3
  usage,    // the command line or its arguments are wrong; exit code 2
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::failure)
      : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const noexcept { return kind_; }

  // Context lines, innermost first.
  const std::vector<std::string>& context() const noexcept { return context_; }
  void add_context(std::string line) { context_.push_back(std::move(line)); }

  // The message followed by its context chain, one "  while ..." line each.
  std::string describe() const;

 private:
  ErrorKind kind_;
  std::vector<std::string> context_;
};

// The single error type thrown by parsers of untrusted input. `where` names the
// input and the position ("manifest line 3", "--depends column 7").
class ParseError : public Error {
 public:
  ParseError(std::string where, std::string_view problem)
      : Error(where + ": " + std::string(problem)), where_(std::move(where)) {}
  const std::string& where() const noexcept { return where_; }

 private:
  std::string where_;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail_usage(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...), ErrorKind::usage);
}

// Throws an Error whose message is `what` followed by strerror(err).
[[noreturn]] void fail_errno(int err, std::string_view what);

// Runs `body`; if it throws an Error, adds `context` to it and rethrows.
template <typename Body>
decltype(auto) with_context(std::string_view context, Body&& body) {
  try {
    return body();
  } catch (Error& e) {
    e.add_context(std::string(context));
    throw;
  }
}

// Shows control bytes (below 0x20, and 0x7f) as \xNN, so that a hostile name
// cannot garble a terminal. Other bytes, UTF-8 included, pass through.
std::string escape_controls(std::string_view text);

// Quotes a path or name for a message: 'a b', with escape_controls applied.
std::string quote(std::string_view text);

}  // namespace sheaf
