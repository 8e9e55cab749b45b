// Reading a Debian binary package (.deb) in one streaming pass.
//
// A .deb is an ar archive (deb(5)): `debian-binary` ("2.0\n"), then
// `control.tar[.gz|.xz|.zst]`, then `data.tar[.gz|.xz|.zst|.bz2]`. libarchive
// reads the ar container and, nested inside it, each tar member straight from
// the ar stream, so no member is ever buffered whole or unpacked to disk.
// Every file of data.tar goes straight into a ContentSink (the store).
//
// The input is untrusted. Anything malformed or hostile is a ParseError that
// names the file, the member and the problem: a broken container or stream, a
// path that is absolute or has a ".." component, an entry beneath a symlink,
// a hardlink to anything but an earlier file, a device node, fifo or socket,
// and a file larger than the configured limit.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_source.hpp"
#include "base/digest.hpp"
#include "deb/control.hpp"
#include "deb/script_effects.hpp"
#include "fileset/content_sink.hpp"
#include "fileset/entry.hpp"

namespace sheaf::deb {

// Bounds on what one .deb may unpack to, against decompression bombs.
struct DebLimits {
  std::uint64_t max_file_size = std::uint64_t{4} << 30;       // one file of data.tar
  std::uint64_t max_unpacked_size = std::uint64_t{16} << 30;  // all files of data.tar together
};

// The maintainer scripts (and trigger file) whose presence is recorded. They
// are never run.
inline constexpr std::string_view kMaintainerScripts[] = {"preinst", "postinst", "prerm",
                                                          "postrm",  "config",   "triggers"};

struct Conffile {
  std::string path;   // as listed, absolute: "/etc/foo.conf"
  std::string flags;  // "" or, for example, "remove-on-upgrade"
};

struct DebArchive {
  std::string control_member;          // "control.tar.xz"
  std::string data_member;             // "data.tar.xz"
  std::string control_text;            // the control file as shipped
  Control control;                     // validated: Package, Version and Architecture are present and parse
  std::optional<std::string> md5sums;  // control.tar's md5sums, as shipped
  std::vector<Conffile> conffiles;
  std::vector<std::string> maintainer_scripts;  // present ones, in kMaintainerScripts order
  // Their texts, in the same order (read for their effects, never run).
  std::vector<MaintainerScript> scripts;

  // data.tar's entries in archive order, with paths relative and without
  // "./". Hardlinks name an earlier file (never another hardlink). Parent
  // directories the archive omits are added (0755, root).
  std::vector<fileset::Entry> entries;
  // md5 (hex) of each conffile's content, by entry path; of every file when
  // the package ships no md5sums.
  std::map<std::string, std::string> md5;
  // usr/share/doc/<Package>/copyright, when it is a regular file of at most 1 MiB.
  std::optional<std::string> copyright;

  // The newest mtime in data.tar, in seconds: the package's build date (dpkg
  // clamps mtimes to the changelog's date). 0 when the archive has none.
  std::int64_t newest_mtime = 0;

  Digest digest;  // sha256 of the whole .deb
  std::uint64_t size = 0;
};

// Reads the .deb from `input` to its end. `where` names it in errors
// (normally its path). File contents go to `sink`; everything else is
// returned. Throws ParseError for malformed or hostile input, and passes on
// the sink's and the source's errors.
DebArchive read_deb(ByteSource& input, std::string_view where, fileset::ContentSink& sink,
                    const DebLimits& limits = {});

}  // namespace sheaf::deb
