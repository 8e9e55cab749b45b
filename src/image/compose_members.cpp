#include "image/compose_members.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/canonical_json.hpp"
#include "base/elf.hpp"
#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "deb/merged_usr.hpp"
#include "fileset/directory_reader.hpp"
#include "image/paths.hpp"

namespace sheaf::image::detail {

namespace {

using fileset::Entry;
using fileset::EntryType;
using fileset::Manifest;

// A Debian package name for a [[files]] destination: "/app" -> "sheaf-files-app".
std::string files_package_name(std::string_view dest) {
  std::string name = "sheaf-files";
  bool dash = false;
  for (char c : dest) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+';
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
      ok = true;
    }
    if (ok) {
      if (dash) name += '-';
      name += c;
      dash = false;
    } else {
      dash = true;
    }
  }
  if (name == "sheaf-files") name += "-root";
  return name;
}

// The files of a [[files]] entry (at `src`, the relative paths `files` below
// it, or `src` itself) that are ELF files of another machine than `arch`.
std::vector<std::string> foreign_elf_files(const std::filesystem::path& src, const std::vector<std::string>& files,
                                           const std::string& arch) {
  auto same = [](const std::string& a, const std::string& b) {
    auto family = [](const std::string& x) { return x == "armel" ? std::string("armhf") : x; };
    return family(a) == family(b);
  };
  std::vector<std::string> out;
  for (const auto& rel : files) {
    std::filesystem::path path = rel.empty() ? src : src / rel;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) continue;
    char header[20];
    ssize_t n = ::pread(fd.get(), header, sizeof header, 0);
    if (n <= 0) continue;
    auto machine = elf_header_arch(std::string_view(header, static_cast<std::size_t>(n)));
    if (machine && !machine->empty() && !same(*machine, arch)) {
      out.push_back(fmt::format("{} ({})", rel.empty() ? src.filename().string() : rel, *machine));
    }
  }
  return out;
}

}  // namespace

void finish_local_member(Member& m, store::WriteBatch& batch) {
  m.package.validate();
  m.package.fileset = batch.add_blob(m.manifest.serialize());
  Digest id = batch.add_blob(m.package.document());
  m.record = pkg::make_record(m.package, m.metadata, m.manifest.entries().size(), m.manifest.content_size());
  (void)id;
}

Member read_local_files(const spec::Spec& spec, const spec::LocalFiles& files, const std::string& arch,
                        store::WriteBatch& batch, unsigned threads,
                        const std::function<void(const std::string&)>& warn) {
  std::string where = spec.where(files.position);
  return with_context(fmt::format("{}: while reading [[files]] src {}", where, quote(files.src_as_written)), [&] {
    struct stat st {};
    if (::lstat(files.src.c_str(), &st) != 0) fail_errno(errno, "cannot read " + quote(files.src.string()));
    std::string dest = deb::merged_usr_path(relative_path(files.dest));
    std::vector<Entry> entries;
    std::string origin_type;
    std::vector<std::string> regular;  // the regular files read, relative to src ("" for src itself)
    if (S_ISDIR(st.st_mode)) {
      origin_type = "directory";
      Manifest tree = fileset::read_directory(files.src, batch, {.threads = threads});
      Entry top;
      top.path = dest;
      top.type = EntryType::dir;
      top.mode = files.mode.value_or(0755);
      entries.push_back(std::move(top));
      for (Entry e : tree.entries()) {
        if (e.type == EntryType::file) regular.push_back(e.path);
        e.path = dest + "/" + e.path;
        if (e.type == EntryType::hardlink) e.target = dest + "/" + e.target;
        entries.push_back(std::move(e));
      }
    } else if (S_ISREG(st.st_mode)) {
      origin_type = "file";
      UniqueFd fd(::open(files.src.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) fail_errno(errno, "cannot open " + quote(files.src.string()));
      FdSource source(fd.get(), files.src.string());
      fileset::ContentRef ref = batch.put(source);
      Entry e;
      e.path = dest;
      e.type = EntryType::file;
      e.mode = files.mode.value_or(static_cast<std::uint32_t>(st.st_mode) & fileset::kPermissionMask);
      e.size = ref.size;
      e.digest = ref.digest;
      entries.push_back(std::move(e));
      regular.emplace_back();
    } else {
      fail("{} is neither a regular file nor a directory", quote(files.src.string()));
    }
    // Without an arch, the entry goes into every architecture's image.
    if (files.arch.empty() && warn) {
      auto foreign = foreign_elf_files(files.src, regular, arch);
      if (!foreign.empty()) {
        warn(fmt::format(
            "{}: [[files]] src {} holds ELF files for another machine than {}: {}{}; give the entry "
            "arch = \"...\" to put it into that architecture's image only",
            where, quote(files.src_as_written), arch,
            fmt::join(foreign.begin(),
                      foreign.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, foreign.size())), ", "),
            foreign.size() > 3 ? fmt::format(" and {} more", foreign.size() - 3) : ""));
      }
    }
    for (auto& e : entries) {
      if (e.type == EntryType::hardlink) continue;
      e.uid = files.uid;
      e.gid = files.gid;
    }
    fileset::add_missing_parents(entries);
    Member m;
    m.kind = Kind::files;
    m.manifest = Manifest::from_entries(std::move(entries));
    m.package.name = files_package_name(files.dest);
    m.package.version = "0+" + m.manifest.id().hex().substr(0, 12);
    m.package.arch = arch;
    m.metadata.description = fmt::format("[[files]] {} -> {}", files.src_as_written, files.dest);
    m.metadata.source_name = m.package.name;
    m.metadata.source_version = m.package.version;
    m.origin = canonical_json({{"type", origin_type}, {"path", files.src_as_written}});
    finish_local_member(m, batch);
    return m;
  });
}

}  // namespace sheaf::image::detail
