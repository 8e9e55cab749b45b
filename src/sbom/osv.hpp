// OSV advisories (ossf.github.io/osv-schema) for Debian, and whether a
// package version is affected.
//
// Only the Debian ecosystem of one release is used ("Debian:12"); records for
// other releases and for other known ecosystems are skipped. A record names a
// source package (Debian's advisories do), and says which of its versions are
// affected by an explicit `versions` list, by ECOSYSTEM ranges of
// `introduced`, `fixed`, `last_affected` and `limit` events, or both, all
// compared by Debian version ordering (deb/version.hpp, as `sheaf which`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sheaf::sbom {

struct OsvEvent {
  enum class Kind { introduced, fixed, last_affected, limit };
  Kind kind;
  std::string version;  // "0" for introduced-from-the-start
};

struct OsvAffected {
  std::string package;                        // the source package name
  std::vector<std::string> versions;          // explicit affected versions
  std::vector<std::vector<OsvEvent>> ranges;  // ECOSYSTEM ranges
  std::string severity;                       // ecosystem_specific.urgency, when given
};

struct OsvRecord {
  std::string id;
  std::vector<std::string> aliases;
  std::string summary;
  std::string severity;               // database_specific.severity, else the first severity score; "" when none
  std::vector<OsvAffected> affected;  // only those of the wanted ecosystem
  std::string file;                   // where it was read, for messages
};

struct OsvSet {
  std::vector<OsvRecord> records;
  std::vector<std::string> problems;  // "FILE: problem", one per bad file or entry
  std::size_t files = 0;
  std::size_t skipped = 0;  // records of other releases or ecosystems
};

// Reads every *.json file below `dir` (sorted by path), keeping the entries
// for `ecosystem` ("Debian:12"). A file that is not a valid OSV record, an
// ecosystem name OSV does not define, or a version that is not a Debian
// version is a problem for that file (or entry); the rest is still read.
OsvSet read_osv_dir(const std::filesystem::path& dir, const std::string& ecosystem);

// Parses one record; throws an Error naming what is wrong.
OsvRecord parse_osv(std::string_view text, const std::string& ecosystem, const std::string& file,
                    std::vector<std::string>& problems, bool& other_ecosystem);

struct OsvVerdict {
  bool affected = false;
  std::optional<std::string> fixed;  // the first fixed version above the installed one, when known
};

// Whether `version` of the affected entry's package is affected.
OsvVerdict evaluate(const OsvAffected& affected, const std::string& version);

}  // namespace sheaf::sbom
