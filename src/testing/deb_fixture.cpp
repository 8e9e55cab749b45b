#include "testing/deb_fixture.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>

#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::testing {

DebTree::DebTree(const std::filesystem::path& dir) : root(dir) {
  make_dirs(root / "DEBIAN");
}

void DebTree::control(std::string_view package, std::string_view version, std::string_view arch,
                      std::string_view extra) {
  control_file("control",
               fmt::format("Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: Test <test@example.invalid>\n"
                           "Description: a test package\n{}",
                           package, version, arch, extra));
}

void DebTree::control_file(std::string_view name, std::string_view content, unsigned mode) {
  write_file(root / "DEBIAN" / name, content, mode);
}

void DebTree::file(std::string_view path, std::string_view content, unsigned mode) {
  std::filesystem::create_directories((root / path).parent_path());
  write_file(root / path, content, mode);
  // write_file applies the umask; setuid bits need an explicit chmod.
  if (::chmod((root / path).c_str(), mode) != 0) throw std::runtime_error("chmod failed");
}

void DebTree::dir(std::string_view path, unsigned mode) {
  std::filesystem::create_directories(root / path);
  if (::chmod((root / path).c_str(), mode) != 0) throw std::runtime_error("chmod failed");
}

void DebTree::symlink(std::string_view path, std::string_view target) {
  std::filesystem::create_directories((root / path).parent_path());
  std::filesystem::create_symlink(target, root / path);
}

void DebTree::hardlink(std::string_view path, std::string_view existing) {
  std::filesystem::create_directories((root / path).parent_path());
  std::filesystem::create_hard_link(root / existing, root / path);
}

std::filesystem::path DebTree::build(const std::filesystem::path& out, std::string_view compression) const {
  auto result = run_command({"/usr/bin/dpkg-deb", "--root-owner-group", fmt::format("-Z{}", compression), "--build",
                             root.string(), out.string()});
  if (result.exit_code != 0) throw std::runtime_error("dpkg-deb --build failed: " + result.err);
  return out;
}

std::string ar_archive(const std::vector<ArMember>& members) {
  std::string out = "!<arch>\n";
  for (const auto& m : members) {
    std::size_t size = m.claimed_size.value_or(m.data.size());
    out += fmt::format("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", m.name, 0, 0, 0, "100644", size);
    out += m.data;
    if (m.data.size() % 2 != 0) out += '\n';
  }
  return out;
}

std::vector<ArMember> ar_members(std::string_view bytes) {
  if (!bytes.starts_with("!<arch>\n")) throw std::runtime_error("not an ar archive");
  std::vector<ArMember> members;
  std::size_t pos = 8;
  while (pos + 60 <= bytes.size()) {
    std::string_view header = bytes.substr(pos, 60);
    std::string name(header.substr(0, 16));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.ends_with('/')) name.pop_back();
    std::size_t size = std::stoul(std::string(header.substr(48, 10)));
    members.push_back({name, std::string(bytes.substr(pos + 60, size)), std::nullopt});
    pos += 60 + size + (size % 2);
  }
  return members;
}

namespace {

void put_octal(std::string& header, std::size_t offset, std::size_t width, std::uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  header.replace(offset, width - 1, digits);
}

}  // namespace

std::string tar_archive(const std::vector<TarEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (e.name.size() > 100 || e.link.size() > 100) throw std::runtime_error("tar_archive: name too long");
    std::string header(512, '\0');
    header.replace(0, e.name.size(), e.name);
    put_octal(header, 100, 8, e.mode);
    put_octal(header, 108, 8, 0);
    put_octal(header, 116, 8, 0);
    put_octal(header, 124, 12, e.claimed_size.value_or(e.data.size()));
    put_octal(header, 136, 12, 0);
    header[156] = e.type;
    header.replace(157, e.link.size(), e.link);
    header.replace(257, 6, std::string("ustar\0", 6));
    header.replace(263, 2, "00");
    header.replace(148, 8, "        ");
    unsigned sum = 0;
    for (char c : header) sum += static_cast<unsigned char>(c);
    header.replace(148, 7, fmt::format("{:06o}", sum) + std::string(1, '\0'));
    out += header;
    out += e.data;
    out.append((512 - e.data.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

std::string compress(std::string_view data, std::string_view method) {
  archive* a = archive_write_new();
  if (method == "gz")
    archive_write_add_filter_gzip(a);
  else if (method == "xz")
    archive_write_add_filter_xz(a);
  else if (method == "zst")
    archive_write_add_filter_zstd(a);
  else if (method == "bz2")
    archive_write_add_filter_bzip2(a);
  else
    throw std::runtime_error("compress: unknown method");
  archive_write_set_format_raw(a);
  archive_write_set_bytes_in_last_block(a, 1);
  std::string out(data.size() + 65536, '\0');
  std::size_t used = 0;
  if (archive_write_open_memory(a, out.data(), out.size(), &used) != ARCHIVE_OK) {
    throw std::runtime_error(archive_error_string(a));
  }
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_write_header(a, entry);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(entry);
  if (archive_write_close(a) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::string control_tar_gz(std::string_view package, std::string_view version) {
  std::string control =
      fmt::format("Package: {}\nVersion: {}\nArchitecture: all\nDescription: test\n", package, version);
  return compress(tar_archive({{"./", '5', "", 0755}, {"./control", '0', control}}), "gz");
}

std::string deb_bytes(const std::string& control_member, const std::string& control_tar, const std::string& data_member,
                      const std::string& data_tar) {
  return ar_archive({{"debian-binary", "2.0\n", std::nullopt},
                     {control_member, control_tar, std::nullopt},
                     {data_member, data_tar, std::nullopt}});
}

}  // namespace sheaf::testing
