// The text filters maintainer scripts pipe through: what they print for
// the standard input they are given, computed here, never run. For the
// script reader (deb/script_effects.hpp): `echo "$v" | sed 's/a/b/'`,
// `dpkg --print-architecture | cut -d- -f1`, `... | grep -q x`.
//
// cat, grep (-q -v -x -E -F -i -c -e), tr (-d, ranges and [:classes:]),
// cut (-d -f -c -s), head and tail (-n, -N), wc (-l -c), sort (-u -r),
// uniq, and sed with addresses (N, $, /RE/, GNU's 0,/RE/, ranges, !) and
// the s (flags g, N, p), d, p and q commands, in basic or -E extended
// expressions. A file named as an operand is read
// through FileContents; one it cannot know reads as empty (and grep finds
// nothing in it). Other filters (awk, find, ls, ...) print nothing and
// succeed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sheaf::deb {

struct FilterResult {
  std::string output;
  int status = 0;
};

// What a filter cannot model: an option, an expression or a sed command
// outside the list above. `what` is empty when the command line itself is
// the best description.
struct FilterError {
  std::string what;
};

// True for the commands run_filter knows.
bool is_filter(std::string_view name);

// The content of a file a filter names as an operand, when it can be known
// (a file the package ships, or one its script wrote); nullopt otherwise.
using FileContents = std::function<std::optional<std::string>(const std::string& path)>;

// Runs `argv` (argv[0] names the filter) over `input`, or over the files it
// names. Throws FilterError.
FilterResult run_filter(const std::vector<std::string>& argv, const std::string& input,
                        const FileContents& files = nullptr);

}  // namespace sheaf::deb
