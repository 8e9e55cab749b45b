// The text filters maintainer scripts pipe through: what they print for
// the standard input they are given, computed here, never run. For the
// script reader (deb/script_effects.hpp): `echo "$v" | sed 's/a/b/'`,
// `dpkg --print-architecture | cut -d- -f1`, `... | grep -q x`.
//
// cat, grep (-q -v -x -E -F -i -c -e), tr (-d, ranges and [:classes:]),
// cut (-d -f -c -s), head and tail (-n, -N), wc (-l -c), sort (-u -r),
// uniq, and sed's s/RE/REPLACEMENT/FLAGS commands (basic or -E extended
// expressions; flags g, N and p with -n). A file named as an operand reads
// as empty: the reader knows a package's paths, not their contents. Other
// filters (awk, find, ls, ...) print nothing and succeed.
#pragma once

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

// Runs `argv` (argv[0] names the filter) over `input`. Throws FilterError.
FilterResult run_filter(const std::vector<std::string>& argv, const std::string& input);

}  // namespace sheaf::deb
