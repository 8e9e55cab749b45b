// Small text helpers shared by the parsers of line-based formats.
#pragma once

#include <cstdint>
#include <optional>
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

// `text` without the characters of `blanks` at either end.
std::string_view trim(std::string_view text, std::string_view blanks = " \t");

// `text` with ASCII letters in lower case (host names, header names).
std::string ascii_lower(std::string_view text);

// Seconds since the epoch of an RFC 2822 date as Debian writes them, in
// Release files and changelog trailers: "[Day, ]DD Mon YYYY HH:MM:SS ZONE",
// the zone UTC, GMT, Z or a numeric offset (+0200, -0700). nullopt when it
// does not parse.
std::optional<std::int64_t> parse_rfc2822_date(std::string_view text);

// "4.2 KiB", "61.0 MiB": sizes for people (1024-based).
std::string human_bytes(std::uint64_t bytes);

}  // namespace sheaf
