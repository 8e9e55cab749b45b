// The FileSet manifest: a validated, canonically ordered list of entries, and
// its one byte serialisation, whose sha256 is the FileSet id.
//
// The serialisation is specified in docs/formats/fileset.md and pinned by the
// golden vectors in manifest_test.cpp. Changing it changes every FileSet id
// and every package id, so treat it as a file-format version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "fileset/entry.hpp"

namespace sheaf::fileset {

// The first line of every serialised manifest.
inline constexpr std::string_view kManifestHeader = "{\"sheaf-fileset\":1}\n";

class Manifest {
 public:
  Manifest() = default;

  // Sorts `entries` canonically and validates them. Throws an Error that names
  // the offending path when they do not form a valid FileSet (duplicate path,
  // missing parent directory, hardlink to a non-file, bad field).
  static Manifest from_entries(std::vector<Entry> entries);

  // Parses a serialised manifest. Accepts only the canonical bytes, so that
  // parse(x).serialize() == x. Throws ParseError naming `where` and the line.
  static Manifest parse(std::string_view bytes, std::string_view where);

  const std::vector<Entry>& entries() const noexcept { return entries_; }
  // The entry at `path`, or nullptr (a binary search: entries are sorted).
  const Entry* find(std::string_view path) const;

  std::string serialize() const;
  Digest id() const { return Digest::of(serialize()); }

  // The sum of file sizes (hardlinks are not counted again).
  std::uint64_t content_size() const noexcept;

 private:
  explicit Manifest(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  std::vector<Entry> entries_;
};

// Appends one entry's serialised line (with its newline) to `out`.
void append_entry_line(std::string& out, const Entry& entry);

}  // namespace sheaf::fileset
