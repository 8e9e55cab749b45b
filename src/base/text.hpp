// Small text helpers shared by the parsers of line-based formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf {

// The words of `text`, split on spaces, tabs and newlines; no empty words.
std::vector<std::string> split_whitespace(std::string_view text);

// The lines of `text`, without their '\n'. A final '\n' ends the last line
// and does not start another; "a\n\nb" is three lines, the middle one empty.
// The views point into `text`.
std::vector<std::string_view> split_lines(std::string_view text);

// `text` with ASCII letters in lower case (host names, header names).
std::string ascii_lower(std::string_view text);

// "4.2 KiB", "61.0 MiB": sizes for people (1024-based).
std::string human_bytes(std::uint64_t bytes);

}  // namespace sheaf
