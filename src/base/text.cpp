#include "base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace sheaf {

std::string_view trim(std::string_view text, std::string_view blanks) {
  auto begin = text.find_first_not_of(blanks);
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(blanks);
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto blank = [&](std::size_t at) {
    return text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r';
  };
  while (i < text.size()) {
    while (i < text.size() && blank(i)) ++i;
    std::size_t start = i;
    while (i < text.size() && !blank(i)) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {

template <typename T>
bool parse_digits(std::string_view text, T& out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<std::int64_t> parse_rfc2822_date(std::string_view text) {
  auto parts = split_whitespace(text);
  if (!parts.empty() && parts[0].ends_with(",")) parts.erase(parts.begin());
  if (parts.size() != 5) return std::nullopt;
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!parse_digits(parts[0], day) || !parse_digits(parts[2], year)) return std::nullopt;
  auto month = std::find(std::begin(kMonths), std::end(kMonths), parts[1]);
  if (month == std::end(kMonths)) return std::nullopt;
  const std::string& clock = parts[3];
  if (clock.size() != 8 || clock[2] != ':' || clock[5] != ':' || !parse_digits(clock.substr(0, 2), hour) ||
      !parse_digits(clock.substr(3, 2), minute) || !parse_digits(clock.substr(6, 2), second)) {
    return std::nullopt;
  }
  std::int64_t offset = 0;  // seconds east of UTC
  const std::string& zone = parts[4];
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    int hours = 0, minutes = 0;
    if (!parse_digits(zone.substr(1, 2), hours) || !parse_digits(zone.substr(3, 2), minutes) || hours > 23 ||
        minutes > 59) {
      return std::nullopt;
    }
    offset = (hours * 3600 + minutes * 60) * (zone[0] == '-' ? -1 : 1);
  } else if (zone != "UTC" && zone != "GMT" && zone != "Z") {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1970) return std::nullopt;
  std::tm tm{};
  tm.tm_mday = day;
  tm.tm_mon = static_cast<int>(month - std::begin(kMonths));
  tm.tm_year = year - 1900;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(::timegm(&tm)) - offset;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace sheaf
