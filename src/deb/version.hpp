// Debian version numbers: [epoch:]upstream[-revision], ordered as Debian
// Policy section 5.6.12 specifies (and as `dpkg --compare-versions` does).
// Every part of sheaf that orders versions uses this: package lookup, the
// resolver, `which` and the audit.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sheaf::deb {

class Version {
 public:
  // Parses strictly: a numeric epoch, an upstream part that starts with a
  // digit, and only the characters Policy allows in each part. Throws
  // ParseError naming `where` and the problem.
  static Version parse(std::string_view text, std::string_view where = "version");
  static std::optional<Version> try_parse(std::string_view text);

  std::uint32_t epoch() const noexcept { return epoch_; }
  const std::string& upstream() const noexcept { return upstream_; }
  const std::string& revision() const noexcept { return revision_; }  // "" when absent
  // The text it was parsed from.
  const std::string& str() const noexcept { return text_; }

  // Debian ordering. Note that equal versions may differ in spelling
  // ("1.0" == "1.0-0" == "0:1.0"), so this is not text equality.
  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return (a <=> b) == 0; }

 private:
  std::uint32_t epoch_ = 0;
  std::string upstream_;
  std::string revision_;
  std::string text_;
};

// Compares two version parts with dpkg's verrevcmp: '~' sorts before
// everything, even the end of the part; letters sort before other non-digits;
// digit runs compare numerically.
int compare_version_part(std::string_view a, std::string_view b);

}  // namespace sheaf::deb
