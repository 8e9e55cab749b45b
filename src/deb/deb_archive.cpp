#include "deb/deb_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/error.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"

namespace sheaf::deb {

namespace {

constexpr std::size_t kBufferSize = std::size_t{256} << 10;
constexpr std::uint64_t kMaxControlFile = std::uint64_t{64} << 20;  // any one file of control.tar
constexpr std::uint64_t kMaxCopyright = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxDebianBinary = 64;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// Feeds the .deb to libarchive, hashing and counting every byte on the way.
// libarchive is given no skip callback, so it reads every byte in order.
struct DebInput {
  ByteSource& source;
  Sha256 hash;
  std::uint64_t size = 0;
  std::vector<char> buffer = std::vector<char>(kBufferSize);
  std::exception_ptr error;  // what the source threw, for rethrowing outside libarchive

  static la_ssize_t read(archive*, void* self, const void** out) {
    auto* input = static_cast<DebInput*>(self);
    try {
      std::size_t n = input->source.read(input->buffer);
      input->hash.update(input->buffer.data(), n);
      input->size += n;
      *out = input->buffer.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      input->error = std::current_exception();
      return ARCHIVE_FATAL;
    }
  }

  // Reads whatever libarchive left unread, so that the digest covers the file.
  void drain() {
    while (std::size_t n = source.read(buffer)) {
      hash.update(buffer.data(), n);
      size += n;
    }
  }
};

// Feeds one ar member to a nested libarchive reader.
struct MemberInput {
  archive* outer;
  std::vector<char> buffer = std::vector<char>(kBufferSize);
  std::string outer_error;  // the ar reader's complaint, when it had one

  static la_ssize_t read(archive*, void* self, const void** out) {
    auto* input = static_cast<MemberInput*>(self);
    la_ssize_t n = archive_read_data(input->outer, input->buffer.data(), input->buffer.size());
    if (n < 0) {
      const char* message = archive_error_string(input->outer);
      input->outer_error = message ? message : "read error";
      return ARCHIVE_FATAL;
    }
    *out = input->buffer.data();
    return n;
  }
};

enum class Compression { none, gzip, xz, zstd, bzip2 };

struct CompressionInfo {
  std::string_view suffix;
  Compression compression;
  int filter_code;
  std::string_view name;
};

constexpr CompressionInfo kCompressions[] = {
    {"", Compression::none, ARCHIVE_FILTER_NONE, "uncompressed"},
    {".gz", Compression::gzip, ARCHIVE_FILTER_GZIP, "gzip"},
    {".xz", Compression::xz, ARCHIVE_FILTER_XZ, "xz"},
    {".zst", Compression::zstd, ARCHIVE_FILTER_ZSTD, "zstd"},
    {".bz2", Compression::bzip2, ARCHIVE_FILTER_BZIP2, "bzip2"},
};

// The compression named by a member's suffix after "control.tar" or
// "data.tar", or nullptr when sheaf does not accept it.
const CompressionInfo* compression_of(std::string_view suffix) {
  for (const auto& info : kCompressions) {
    if (info.suffix == suffix) return &info;
  }
  return nullptr;
}

void enable_filter(archive* a, Compression compression) {
  switch (compression) {
    case Compression::none:
      break;
    case Compression::gzip:
      archive_read_support_filter_gzip(a);
      break;
    case Compression::xz:
      archive_read_support_filter_xz(a);
      break;
    case Compression::zstd:
      archive_read_support_filter_zstd(a);
      break;
    case Compression::bzip2:
      archive_read_support_filter_bzip2(a);
      break;
  }
}

// Turns a tar member name into an entry path: "./usr/bin/" -> "usr/bin",
// "./" -> "". Returns the reason when the name is hostile or unrepresentable.
std::optional<std::string> normalise_path(std::string_view raw, std::string& out) {
  if (raw.starts_with('/')) return "is an absolute path";
  if (raw == ".") raw = "";
  if (raw.starts_with("./")) raw.remove_prefix(2);
  while (raw.ends_with('/')) raw.remove_suffix(1);
  out.assign(raw);
  if (raw.empty()) return std::nullopt;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    auto end = raw.find('/', pos);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view part = raw.substr(pos, end - pos);
    if (part == "..") return "has a '..' component";
    if (part.empty() || part == ".") return "has an empty or '.' component";
    pos = end + 1;
  }
  if (!fileset::is_valid_path(out)) return "is not valid UTF-8 (or holds a NUL byte), which sheaf cannot represent";
  return std::nullopt;
}

// A ByteSource over the current entry of a libarchive reader, which also
// feeds an optional md5 and keeps an optional copy of the first bytes.
class EntrySource final : public ByteSource {
 public:
  EntrySource(archive* a, std::function<void()> on_error) : archive_(a), on_error_(std::move(on_error)) {}
  std::size_t read(std::span<char> buffer) override {
    la_ssize_t n = archive_read_data(archive_, buffer.data(), buffer.size());
    if (n < 0) on_error_();
    auto got = static_cast<std::size_t>(n);
    if (md5) md5->update(buffer.data(), got);
    if (copy && copy->size() < copy_limit) {
      copy->append(buffer.data(), std::min<std::size_t>(got, copy_limit - copy->size()));
    }
    return got;
  }

  std::optional<Md5> md5;
  std::string* copy = nullptr;
  std::size_t copy_limit = 0;

 private:
  archive* archive_;
  std::function<void()> on_error_;
};

class DebReader {
 public:
  DebReader(ByteSource& input, std::string_view where, fileset::ContentSink& sink, const DebLimits& limits)
      : input_{input}, where_(where), sink_(sink), limits_(limits) {}

  DebArchive read() {
    ArchivePtr outer(archive_read_new());
    if (!outer) throw Error("cannot allocate a libarchive reader");
    archive_read_support_format_ar(outer.get());
    if (archive_read_open2(outer.get(), &input_, nullptr, &DebInput::read, nullptr, nullptr) != ARCHIVE_OK) {
      fail_outer(outer.get(), "not an ar archive");
    }
    unsigned index = 0;
    bool have_control = false;
    bool have_data = false;
    for (;; ++index) {
      archive_entry* entry = nullptr;
      int status = archive_read_next_header(outer.get(), &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) fail_outer(outer.get(), index == 0 ? "not an ar archive" : "broken ar archive");
      const char* raw_name = archive_entry_pathname(entry);
      std::string name = raw_name ? raw_name : "";
      if (have_data) continue;  // dpkg ignores members after data.tar; so does sheaf (but reads them)
      if (index == 0) {
        if (name != "debian-binary") fail(fmt::format("the first member is {}, not debian-binary", quote(name)));
        check_debian_binary(outer.get());
      } else if (name.starts_with('_')) {
        continue;  // deb(5): members starting with '_' are reserved and ignored
      } else if (name.starts_with("control.tar")) {
        if (have_control) fail(fmt::format("a second control member, {}", quote(name)));
        result_.control_member = name;
        read_tar(outer.get(), name, name.substr(11), [&](archive* a, archive_entry* e) { on_control_entry(a, e); });
        finish_control();
        have_control = true;
      } else if (name.starts_with("data.tar")) {
        if (!have_control) fail(fmt::format("{} comes before any control.tar member", quote(name)));
        result_.data_member = name;
        read_tar(outer.get(), name, name.substr(8), [&](archive* a, archive_entry* e) { on_data_entry(a, e); });
        finish_data();
        have_data = true;
      } else {
        fail(fmt::format("unexpected member {} (a .deb holds debian-binary, control.tar.* and data.tar.*)",
                         quote(name)));
      }
    }
    if (index == 0) fail("an empty ar archive, not a Debian package");
    if (!have_control) fail("no control.tar member");
    if (!have_data) fail("no data.tar member");
    input_.drain();
    result_.digest = input_.hash.finish();
    result_.size = input_.size;
    return std::move(result_);
  }

 private:
  [[noreturn]] void fail(std::string_view problem) const { throw ParseError(where_, problem); }

  // Reports a libarchive failure of the ar reader, preferring the source's own
  // error (an I/O failure) when there was one.
  [[noreturn]] void fail_outer(archive* a, std::string_view what) const {
    if (input_.error) std::rethrow_exception(input_.error);
    const char* message = archive_error_string(a);
    fail(fmt::format("{}: {}", what, message ? message : "unknown error"));
  }

  [[noreturn]] void fail_member(archive* inner, const MemberInput& member, std::string_view name) const {
    if (input_.error) std::rethrow_exception(input_.error);
    if (!member.outer_error.empty()) fail(fmt::format("{}: broken ar archive: {}", name, member.outer_error));
    const char* message = archive_error_string(inner);
    fail(fmt::format("{}: {}", name, message ? message : "unknown error"));
  }

  void check_debian_binary(archive* outer) {
    std::string content = read_small(outer, kMaxDebianBinary + 1, "debian-binary");
    if (!content.starts_with("2.") || content.size() > kMaxDebianBinary || !content.ends_with('\n')) {
      fail(fmt::format("debian-binary says {}, but sheaf reads format 2.x only", quote(content)));
    }
  }

  // Reads the current member of `a` (up to `limit` bytes).
  std::string read_small(archive* a, std::uint64_t limit, std::string_view name) {
    std::string out;
    char buffer[4096];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
      if (n < 0) fail_outer(a, fmt::format("{}: broken ar archive", name));
      if (n == 0) return out;
      if (out.size() + static_cast<std::size_t>(n) > limit) {
        fail(fmt::format("{} is larger than {} bytes", name, limit - 1));
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }

  template <typename OnEntry>
  void read_tar(archive* outer, const std::string& name, std::string_view suffix, OnEntry on_entry) {
    const CompressionInfo* compression = compression_of(suffix);
    if (compression == nullptr) {
      fail(fmt::format("member {} has an unknown compression {} (sheaf reads none, .gz, .xz, .zst and .bz2)",
                       quote(name), quote(suffix)));
    }
    MemberInput member{outer};
    ArchivePtr inner(archive_read_new());
    if (!inner) throw Error("cannot allocate a libarchive reader");
    archive_read_support_format_tar(inner.get());
    enable_filter(inner.get(), compression->compression);
    if (archive_read_open2(inner.get(), &member, nullptr, &MemberInput::read, nullptr, nullptr) != ARCHIVE_OK) {
      fail_member(inner.get(), member, name);
    }
    member_ = name;
    bool checked_filter = false;
    for (;;) {
      archive_entry* entry = nullptr;
      int status = archive_read_next_header(inner.get(), &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) fail_member(inner.get(), member, name);
      if (!checked_filter) {
        check_filter(inner.get(), *compression, name);
        checked_filter = true;
      }
      current_ = inner.get();
      current_member_ = &member;
      on_entry(inner.get(), entry);
    }
    if (!checked_filter) check_filter(inner.get(), *compression, name);
  }

  void check_filter(archive* inner, const CompressionInfo& expected, const std::string& name) const {
    if (archive_filter_code(inner, 0) != expected.filter_code) {
      fail(fmt::format("{} is not {} as its name says", name, expected.name));
    }
  }

  [[noreturn]] void fail_entry_data() const { fail_member(current_, *current_member_, member_); }

  // The path of a tar entry, or a failure naming it.
  std::string entry_path(archive_entry* entry, std::string_view what = "entry") const {
    const char* raw = archive_entry_pathname(entry);
    std::string path;
    if (raw == nullptr) fail(fmt::format("{}: an {} has no name", member_, what));
    if (auto problem = normalise_path(raw, path))
      fail(fmt::format("{}: {} {} {}", member_, what, quote(raw), *problem));
    return path;
  }

  // --- control.tar -------------------------------------------------------

  void on_control_entry(archive* a, archive_entry* entry) {
    std::string path = entry_path(entry);
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr) return;
    auto is_script = std::find(std::begin(kMaintainerScripts), std::end(kMaintainerScripts), path);
    std::string* target = nullptr;
    if (is_script != std::end(kMaintainerScripts)) target = &scripts_[path];
    if (path == "control") target = &result_.control_text;
    if (path == "md5sums") target = &result_.md5sums.emplace();
    if (path == "conffiles") target = &conffiles_text_;
    if (target == nullptr) return;
    if (archive_entry_size(entry) > static_cast<la_int64_t>(kMaxControlFile)) {
      fail(fmt::format("{}: {} is larger than {} bytes", member_, path, kMaxControlFile));
    }
    EntrySource source(a, [this] { fail_entry_data(); });
    char buffer[16384];
    while (std::size_t n = source.read(buffer)) {
      if (target->size() + n > kMaxControlFile) fail(fmt::format("{}: {} is too large", member_, path));
      target->append(buffer, n);
    }
    if (path == "control") have_control_file_ = true;
  }

  void finish_control() {
    if (!have_control_file_) fail(fmt::format("{} has no control file", member_));
    std::string where = fmt::format("{}: control", where_);
    result_.control = Control::parse(result_.control_text, where);
    const Control& control = result_.control;
    for (std::string_view field : {"Package", "Version", "Architecture"}) {
      if (control.find(field) == nullptr) throw ParseError(where, fmt::format("the {} field is missing", field));
    }
    auto at_field = [&](std::string_view field) { return fmt::format("{} line {}", where, control.find(field)->line); };
    if (!is_valid_package_name(control.value("Package"))) {
      throw ParseError(at_field("Package"),
                       fmt::format("{} is not a valid package name", quote(control.value("Package"))));
    }
    Version::parse(control.value("Version"), at_field("Version"));
    if (!is_valid_arch_name(control.value("Architecture"))) {
      throw ParseError(at_field("Architecture"),
                       fmt::format("{} is not a valid architecture", quote(control.value("Architecture"))));
    }
    for (std::string_view script : kMaintainerScripts) {
      auto it = scripts_.find(std::string(script));
      if (it == scripts_.end()) continue;
      result_.maintainer_scripts.emplace_back(script);
      result_.scripts.push_back({std::string(script), std::move(it->second)});
    }
    parse_conffiles();
    copyright_path_ = fmt::format("usr/share/doc/{}/copyright", control.value("Package"));
  }

  void parse_conffiles() {
    std::size_t pos = 0;
    unsigned line_number = 0;
    while (pos < conffiles_text_.size()) {
      auto end = conffiles_text_.find('\n', pos);
      if (end == std::string::npos) end = conffiles_text_.size();
      std::string_view line = std::string_view(conffiles_text_).substr(pos, end - pos);
      pos = end + 1;
      ++line_number;
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      // "[flag ]/path": dpkg 1.20.1 added flags such as remove-on-upgrade.
      auto slash = line.find('/');
      if (slash == std::string_view::npos) {
        fail(fmt::format("{}: conffiles line {}: {} is not an absolute path", member_, line_number, quote(line)));
      }
      std::string flags(line.substr(0, slash));
      while (!flags.empty() && flags.back() == ' ') flags.pop_back();
      std::string path(line.substr(slash));
      while (!path.empty() && (path.back() == ' ' || path.back() == '\r')) path.pop_back();
      std::string relative;
      if (auto problem = normalise_path(std::string_view(path).substr(1), relative); problem || relative.empty()) {
        fail(fmt::format("{}: conffiles line {}: {} {}", member_, line_number, quote(path),
                         problem ? *problem : "names the root"));
      }
      conffile_paths_.insert(relative);
      result_.conffiles.push_back({std::move(path), std::move(flags)});
    }
  }

  // --- data.tar ----------------------------------------------------------

  void on_data_entry(archive* a, archive_entry* e) {
    if (archive_entry_mtime_is_set(e)) {
      result_.newest_mtime = std::max<std::int64_t>(result_.newest_mtime, archive_entry_mtime(e));
    }
    std::string path = entry_path(e);
    const char* hardlink = archive_entry_hardlink(e);
    auto filetype = archive_entry_filetype(e);
    if (path.empty()) {
      if (hardlink != nullptr || filetype != AE_IFDIR)
        fail(fmt::format("{}: the root entry is not a directory", member_));
      return;
    }
    check_placement(path, hardlink == nullptr && filetype == AE_IFDIR);

    fileset::Entry entry;
    entry.path = path;
    if (hardlink != nullptr) {
      entry.type = fileset::EntryType::hardlink;
      std::string target;
      if (auto problem = normalise_path(hardlink, target); problem || target.empty()) {
        fail(fmt::format("{}: hardlink {} points outside the package, to {}", member_, quote(path), quote(hardlink)));
      }
      auto it = index_.find(target);
      if (it == index_.end() || entries_[it->second].type == fileset::EntryType::dir ||
          entries_[it->second].type == fileset::EntryType::symlink) {
        fail(fmt::format("{}: hardlink {} points to {}, which is not an earlier file of the archive", member_,
                         quote(path), quote(target)));
      }
      const fileset::Entry& earlier = entries_[it->second];
      entry.target = earlier.type == fileset::EntryType::hardlink ? earlier.target : earlier.path;
      add(std::move(entry));
      return;
    }
    entry.mode = static_cast<std::uint32_t>(archive_entry_perm(e)) & fileset::kPermissionMask;
    la_int64_t uid = archive_entry_uid(e);
    la_int64_t gid = archive_entry_gid(e);
    if (uid < 0 || gid < 0 || uid > 0xffffffffLL || gid > 0xffffffffLL) {
      fail(fmt::format("{}: {} has an owner outside 0..2^32-1", member_, quote(path)));
    }
    entry.uid = static_cast<std::uint32_t>(uid);
    entry.gid = static_cast<std::uint32_t>(gid);
    switch (filetype) {
      case AE_IFDIR:
        entry.type = fileset::EntryType::dir;
        break;
      case AE_IFLNK: {
        entry.type = fileset::EntryType::symlink;
        entry.mode = 0777;
        const char* target = archive_entry_symlink(e);
        if (target == nullptr || *target == '\0')
          fail(fmt::format("{}: symlink {} has no target", member_, quote(path)));
        entry.target = target;
        break;
      }
      case AE_IFREG:
        entry.type = fileset::EntryType::file;
        read_file(a, e, entry);
        break;
      case AE_IFCHR:
      case AE_IFBLK:
        fail(fmt::format("{}: {} is a device node; packages may not ship devices", member_, quote(path)));
      case AE_IFIFO:
        fail(fmt::format("{}: {} is a fifo; packages may not ship fifos", member_, quote(path)));
      case AE_IFSOCK:
        fail(fmt::format("{}: {} is a socket; packages may not ship sockets", member_, quote(path)));
      default:
        fail(fmt::format("{}: {} has an unknown file type", member_, quote(path)));
    }
    add(std::move(entry));
  }

  // Refuses an entry that would land beneath a symlink or a file, that
  // appears twice, or that is a non-directory above earlier entries.
  void check_placement(const std::string& path, bool is_dir) {
    if (index_.contains(path)) fail(fmt::format("{}: {} appears more than once", member_, quote(path)));
    for (std::string_view parent = fileset::parent_path(path); !parent.empty(); parent = fileset::parent_path(parent)) {
      auto it = index_.find(std::string(parent));
      if (it == index_.end()) continue;
      const fileset::Entry& above = entries_[it->second];
      if (above.type == fileset::EntryType::symlink) {
        fail(fmt::format("{}: {} lies beneath the symlink {} (-> {})", member_, quote(path), quote(parent),
                         quote(above.target)));
      }
      if (above.type != fileset::EntryType::dir) {
        fail(fmt::format("{}: {} lies beneath {}, which is not a directory", member_, quote(path), quote(parent)));
      }
      break;  // a directory was checked when it was added
    }
    if (!is_dir && ancestors_.contains(path)) {
      fail(fmt::format("{}: {} is not a directory, but earlier entries lie beneath it", member_, quote(path)));
    }
    for (std::string_view parent = fileset::parent_path(path); !parent.empty(); parent = fileset::parent_path(parent)) {
      if (!ancestors_.emplace(parent).second) break;
    }
  }

  void read_file(archive* a, archive_entry* e, fileset::Entry& entry) {
    if (archive_entry_size_is_set(e)) {
      check_size(entry.path, static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0)));
    }
    EntrySource source(a, [this] { fail_entry_data(); });
    bool want_md5 = !result_.md5sums || conffile_paths_.contains(entry.path);
    if (want_md5) source.md5.emplace();
    if (entry.path == copyright_path_) {
      source.copy = &copyright_;
      source.copy_limit = kMaxCopyright + 1;
    }
    LimitedSource limited(source, *this, entry.path);
    fileset::ContentRef ref = sink_.put(limited);
    entry.digest = ref.digest;
    entry.size = ref.size;
    if (want_md5) result_.md5[entry.path] = source.md5->finish_hex();
    if (source.copy != nullptr && copyright_.size() <= kMaxCopyright) result_.copyright = copyright_;
  }

  void check_size(const std::string& path, std::uint64_t size) {
    if (size > limits_.max_file_size) {
      fail(fmt::format("{}: {} is {} bytes, over the limit of {} bytes per file (a decompression bomb?)", member_,
                       quote(path), size, limits_.max_file_size));
    }
  }

  // Enforces the limits on bytes actually produced, whatever the header said.
  class LimitedSource final : public ByteSource {
   public:
    LimitedSource(ByteSource& inner, DebReader& reader, const std::string& path)
        : inner_(inner), reader_(reader), path_(path) {}
    std::size_t read(std::span<char> buffer) override {
      std::size_t n = inner_.read(buffer);
      size_ += n;
      reader_.unpacked_ += n;
      reader_.check_size(path_, size_);
      if (reader_.unpacked_ > reader_.limits_.max_unpacked_size) {
        reader_.fail(fmt::format("{}: unpacks to more than {} bytes (a decompression bomb?)", reader_.member_,
                                 reader_.limits_.max_unpacked_size));
      }
      return n;
    }

   private:
    ByteSource& inner_;
    DebReader& reader_;
    const std::string& path_;
    std::uint64_t size_ = 0;
  };

  void add(fileset::Entry entry) {
    index_.emplace(entry.path, entries_.size());
    entries_.push_back(std::move(entry));
  }

  void finish_data() {
    // Parent directories the archive leaves out get dpkg's defaults.
    std::vector<std::string> missing;
    for (const auto& parent : ancestors_) {
      if (!index_.contains(parent)) missing.push_back(parent);
    }
    std::sort(missing.begin(), missing.end());
    for (auto& path : missing) {
      fileset::Entry dir;
      dir.path = std::move(path);
      dir.type = fileset::EntryType::dir;
      dir.mode = 0755;
      add(std::move(dir));
    }
    result_.entries = std::move(entries_);
  }

  DebInput input_;
  std::string where_;
  fileset::ContentSink& sink_;
  DebLimits limits_;
  DebArchive result_;

  std::string member_;  // the tar member being read, for messages
  archive* current_ = nullptr;
  const MemberInput* current_member_ = nullptr;

  bool have_control_file_ = false;
  std::map<std::string, std::string> scripts_;  // maintainer script -> its text
  std::string conffiles_text_;
  std::unordered_set<std::string> conffile_paths_;
  std::string copyright_path_;
  std::string copyright_;

  std::vector<fileset::Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
  std::unordered_set<std::string> ancestors_;
  std::uint64_t unpacked_ = 0;
};

}  // namespace

DebArchive read_deb(ByteSource& input, std::string_view where, fileset::ContentSink& sink, const DebLimits& limits) {
  return DebReader(input, where, sink, limits).read();
}

}  // namespace sheaf::deb
