// Debian source packages: their stanzas in a suite's Sources index, and the
// date of their newest changelog entry.
//
// A stanza names the files that make the source package (the .dsc, the
// upstream tarball(s) with their signatures, the Debian tarball or diff),
// each with its sha256 and size, and the pool directory that holds them.
// Only an index whose sha256 the signed Release lists is ever read, so the
// sha256 here is what the files are checked against (repo/sources.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"

namespace sheaf::deb {

struct SourceFile {
  std::string name;  // a plain file name, no '/'
  Digest sha256;
  std::uint64_t size = 0;

  friend bool operator==(const SourceFile&, const SourceFile&) = default;
};

struct SourceStanza {
  std::string name;
  std::string version;
  std::string format;             // "3.0 (quilt)", "3.0 (native)", "1.0"
  std::string directory;          // below the mirror's root: "pool/main/h/hello"
  std::vector<SourceFile> files;  // from Checksums-Sha256, sorted by name

  // The .dsc among the files; null when there is none.
  const SourceFile* dsc() const;
};

// A plain file name: not empty, not "." or "..", no '/' and no NUL (a
// Sources file name, joined to a pool directory).
bool is_plain_file_name(std::string_view name);
// A relative path below a mirror's root: no leading '/', no empty, "." or
// ".." component, no "://" (a Sources Directory).
bool is_repository_path(std::string_view path);

// Every stanza of source package `name` in a Sources index (decompressed
// text), in index order. Throws a ParseError naming `where` and the line for
// a stanza of that name that is malformed: no Version, no Directory, no
// Checksums-Sha256 with a .dsc, a file name with '/', a directory that is
// absolute or climbs with "..".
std::vector<SourceStanza> find_source_stanzas(std::string_view index, std::string_view name, std::string_view where);

// The date of the newest entry of a debian/changelog: its first trailer line
// (" -- NAME <EMAIL>  DATE"), in seconds since the epoch, as
// dpkg-parsechangelog gives SOURCE_DATE_EPOCH. Throws a ParseError naming
// `where` when the changelog has no trailer or its date does not parse.
std::int64_t changelog_date(std::string_view changelog, std::string_view where);

}  // namespace sheaf::deb
