// Small text helpers shared by the parsers of line-based formats.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sheaf {

// The words of `text`, split on spaces, tabs and newlines; no empty words.
std::vector<std::string> split_whitespace(std::string_view text);

}  // namespace sheaf
