// Test .deb files. Valid packages are built by the real dpkg-deb from a staged
// tree; hostile ones are assembled byte by byte (ar and tar writers below),
// since dpkg-deb refuses to build them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf::testing {

// A tree for `dpkg-deb --build`. `root` gets the files; DEBIAN/ the control
// files. The tree lives in `dir`, which the caller owns.
struct DebTree {
  std::filesystem::path root;

  explicit DebTree(const std::filesystem::path& dir);
  // DEBIAN/control; `extra` is appended verbatim (more fields).
  void control(std::string_view package, std::string_view version, std::string_view arch = "all",
               std::string_view extra = "");
  void control_file(std::string_view name, std::string_view content, unsigned mode = 0644);
  void file(std::string_view path, std::string_view content, unsigned mode = 0644);
  void dir(std::string_view path, unsigned mode = 0755);
  void symlink(std::string_view path, std::string_view target);
  void hardlink(std::string_view path, std::string_view existing);
  // Runs dpkg-deb --build --root-owner-group -Z<compression>; returns the .deb.
  std::filesystem::path build(const std::filesystem::path& out, std::string_view compression = "xz") const;
};

// One ar member. `claimed_size`, when set, is written in the header instead of
// the real size (a lying header).
struct ArMember {
  std::string name;
  std::string data;
  std::optional<std::size_t> claimed_size;
};

// The bytes of an ar archive in the format dpkg-deb writes.
std::string ar_archive(const std::vector<ArMember>& members);
// The members of an ar archive (as dpkg-deb writes it); throws on anything else.
std::vector<ArMember> ar_members(std::string_view bytes);

// One tar entry for tar_archive(). type is the ustar typeflag: '0' file,
// '1' hardlink, '2' symlink, '3' char device, '5' directory, '6' fifo.
struct TarEntry {
  std::string name;
  char type = '0';
  std::string data;
  unsigned mode = 0644;
  std::string link;                           // hardlink or symlink target
  std::optional<std::uint64_t> claimed_size;  // header size instead of data.size()
};

// A ustar archive (names up to 100 bytes), with end-of-archive blocks.
std::string tar_archive(const std::vector<TarEntry>& entries);

// Compresses with libarchive's writers: "gz", "xz", "zst" or "bz2".
std::string compress(std::string_view data, std::string_view method);

// The first line of a machine-readable (DEP-5) copyright file. Real ones name
// the format by a URL on Debian's site; sheaf matches only the
// "copyright-format/1.0" part, and tests name no outside host.
inline constexpr std::string_view kDep5Format =
    "Format: https://example.invalid/doc/packaging-manuals/copyright-format/1.0/\n";

// A minimal control.tar.gz (./control for `package`) for hand-made debs.
std::string control_tar_gz(std::string_view package, std::string_view version = "1.0");

// A .deb from a control tar and a data tar with the given member names.
std::string deb_bytes(const std::string& control_member, const std::string& control_tar, const std::string& data_member,
                      const std::string& data_tar);

}  // namespace sheaf::testing
