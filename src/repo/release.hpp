// A repository's Release file: which suite it describes, until when it is
// valid, and the sha256 and size of every index it lists. And its signature:
// InRelease (clearsigned) or Release with Release.gpg, checked with gpgv.
//
// Only bytes that gpgv has verified are ever parsed: for InRelease, sheaf
// parses what `gpgv --output` writes, never the file as fetched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"

namespace sheaf::repo {

struct ReleaseEntry {
  Digest sha256;
  std::uint64_t size = 0;
};

class Release {
 public:
  // Parses a Release paragraph. Throws ParseError naming `where`.
  static Release parse(std::string_view text, std::string_view where);

  const std::string& suite() const noexcept { return suite_; }
  const std::string& codename() const noexcept { return codename_; }
  std::optional<std::int64_t> date() const noexcept { return date_; }                // seconds since the epoch
  std::optional<std::int64_t> valid_until() const noexcept { return valid_until_; }  // seconds since the epoch
  const std::vector<std::string>& components() const noexcept { return components_; }
  const std::vector<std::string>& architectures() const noexcept { return architectures_; }
  bool acquire_by_hash() const noexcept { return acquire_by_hash_; }

  // The SHA256 line for `path` ("main/binary-amd64/Packages.xz"), if listed.
  const ReleaseEntry* find(std::string_view path) const;
  // The hex sha256 of every file listed.
  std::vector<std::string> sha256_hexes() const;

 private:
  std::string suite_;
  std::string codename_;
  std::optional<std::int64_t> date_;
  std::optional<std::int64_t> valid_until_;
  std::vector<std::string> components_;
  std::vector<std::string> architectures_;
  bool acquire_by_hash_ = false;
  std::map<std::string, ReleaseEntry, std::less<>> sha256_;
};

// Parses an RFC 2822 date as Release files write it ("Sat, 10 Jun 2023
// 08:53:33 UTC"). Returns nullopt when it does not parse.
std::optional<std::int64_t> parse_release_date(std::string_view text);

// Checks a clearsigned InRelease file with gpgv against `keyring` and returns
// the signed text. Throws an Error that says what is wrong (not signed, bad
// signature, a key not in the keyring, an expired key) and names `shown`.
std::string verify_clearsigned(const std::filesystem::path& signed_file, const std::filesystem::path& keyring,
                               std::string_view shown);
// Checks a detached signature (Release.gpg) over `data_file` (Release).
void verify_detached(const std::filesystem::path& signature, const std::filesystem::path& data_file,
                     const std::filesystem::path& keyring, std::string_view shown);

// Strips the clearsign armour without checking anything: for --allow-unsigned
// only, where the text is trusted by the user's explicit choice.
std::string strip_clearsign(std::string_view text);

}  // namespace sheaf::repo
