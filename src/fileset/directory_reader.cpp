#include "fileset/directory_reader.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::fileset {

namespace {

// The parts of a stat that must not change while the tree is read.
struct Snapshot {
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  off_t size = 0;
  nlink_t nlink = 0;
  timespec mtime{};
  timespec ctime{};

  static Snapshot of(const struct stat& st) {
    return {st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink, st.st_mtim, st.st_ctim};
  }
  bool same_object(const struct stat& st) const { return dev == st.st_dev && ino == st.st_ino; }
  bool operator==(const Snapshot& o) const {
    return dev == o.dev && ino == o.ino && mode == o.mode && uid == o.uid && gid == o.gid && size == o.size &&
           nlink == o.nlink && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
           ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

std::int64_t to_ns(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

std::int64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return to_ns(t);
}

FileIdentity identity_of(const Snapshot& s) {
  return {static_cast<std::uint64_t>(s.dev),
          static_cast<std::uint64_t>(s.ino),
          static_cast<std::uint64_t>(s.size),
          to_ns(s.mtime),
          to_ns(s.ctime),
          static_cast<std::uint32_t>(s.mode),
          s.uid,
          s.gid};
}

struct Item {
  std::string path;
  Snapshot before;
  std::string symlink_target;
  std::vector<Xattr> xattrs;
  ContentRef content;
  std::string hardlink_target;  // set when this is a second name of an earlier file
};

[[noreturn]] void fail_changed(std::string_view path) {
  fail("{} changed while it was being read; nothing was added (try again once the tree is still)", quote(path));
}

std::string_view kind_of(mode_t mode) {
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  return "special file";
}

// Decides what to do with one xattr: keep it, skip it, or refuse the tree.
bool keep_xattr(std::string_view name, std::string_view path) {
  if (name.starts_with("user.") || name == "security.capability") return true;
  if (name == "security.selinux") return false;  // the host's label, not the file's content
  fail(
      "{} has the extended attribute {}, which a FileSet cannot record (it records user.* and "
      "security.capability)",
      quote(path), quote(name));
}

// Reads the xattrs of `fd`, or of the symlink at `link_path` when fd < 0.
std::vector<Xattr> read_xattrs(int fd, const std::string& link_path, std::string_view path) {
  auto list = [&](char* buffer, std::size_t size) {
    return fd >= 0 ? ::flistxattr(fd, buffer, size) : ::llistxattr(link_path.c_str(), buffer, size);
  };
  auto get = [&](const char* name, void* buffer, std::size_t size) {
    return fd >= 0 ? ::fgetxattr(fd, name, buffer, size) : ::lgetxattr(link_path.c_str(), name, buffer, size);
  };
  std::vector<Xattr> out;
  for (int attempt = 0; attempt < 8; ++attempt) {
    ssize_t size = list(nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP || errno == ENOSYS) return out;
      fail_errno(errno, fmt::format("cannot list the extended attributes of {}", quote(path)));
    }
    if (size == 0) return out;
    std::string names(static_cast<std::size_t>(size), '\0');
    ssize_t got = list(names.data(), names.size());
    if (got < 0 && errno == ERANGE) continue;  // grew meanwhile
    if (got < 0) fail_errno(errno, fmt::format("cannot list the extended attributes of {}", quote(path)));
    names.resize(static_cast<std::size_t>(got));
    for (std::size_t pos = 0; pos < names.size();) {
      std::string name(names.c_str() + pos);
      pos += name.size() + 1;
      if (name.empty() || !keep_xattr(name, path)) continue;
      ssize_t value_size = get(name.c_str(), nullptr, 0);
      if (value_size < 0) fail_errno(errno, fmt::format("cannot read xattr {} of {}", quote(name), quote(path)));
      std::string value(static_cast<std::size_t>(value_size), '\0');
      ssize_t value_got = get(name.c_str(), value.data(), value.size());
      if (value_got != value_size) fail_changed(path);
      out.push_back({std::move(name), std::move(value)});
    }
    std::sort(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
    return out;
  }
  fail_changed(path);
}

// Opens a regular file below `root_fd` without following any symlink on the
// way, so a swapped path component cannot lead outside the tree.
UniqueFd open_beneath(int root_fd, const std::string& path) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  if (errno != ENOSYS && errno != EPERM) return UniqueFd();
  // No openat2 (old kernel or a seccomp filter): O_NOFOLLOW guards the last
  // component, and the caller's inode check catches a swapped directory.
  return UniqueFd(::openat(root_fd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
}

class TreeReader {
 public:
  TreeReader(const std::filesystem::path& root, ContentSink& sink, const DirectoryReadOptions& options)
      : root_(root), sink_(sink), options_(options) {}

  Manifest read() {
    root_fd_ = UniqueFd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd_) fail_errno(errno, fmt::format("cannot open the directory {}", quote(root_.string())));
    struct stat st {};
    if (::fstat(root_fd_.get(), &st) != 0) fail_errno(errno, fmt::format("cannot stat {}", quote(root_.string())));
    root_before_ = Snapshot::of(st);

    walk(root_fd_.get(), "");
    std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.path < b.path; });
    link_hardlinks();
    read_contents();
    check_unchanged();
    return build();
  }

  std::uint64_t cached_files() const { return cached_files_.load(); }

 private:
  void walk(int dir_fd, const std::string& prefix) {
    std::string shown = prefix.empty() ? root_.string() : prefix;
    for (const auto& name : list_dir(dir_fd, shown)) {
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (!is_valid_utf8(name)) {
        fail("the name {} is not valid UTF-8, which a FileSet manifest cannot represent", quote(path));
      }
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) fail_changed(path);
        fail_errno(errno, fmt::format("cannot stat {}", quote(path)));
      }
      Item item{path, Snapshot::of(st), {}, {}, {}, {}};
      if (S_ISREG(st.st_mode)) {
        items_.push_back(std::move(item));
      } else if (S_ISDIR(st.st_mode)) {
        UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) fail_errno(errno, fmt::format("cannot open the directory {}", quote(path)));
        struct stat opened {};
        if (::fstat(fd.get(), &opened) != 0 || !item.before.same_object(opened)) fail_changed(path);
        item.xattrs = read_xattrs(fd.get(), {}, path);
        items_.push_back(std::move(item));
        walk(fd.get(), path);
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) fail_errno(errno, fmt::format("cannot read the symlink {}", quote(path)));
        if (n != st.st_size) fail_changed(path);
        target.resize(static_cast<std::size_t>(n));
        item.symlink_target = std::move(target);
        item.xattrs = read_xattrs(-1, symlink_path(dir_fd, name, path), path);
        items_.push_back(std::move(item));
      } else {
        fail("{} is a {}; a FileSet holds only files, directories and symlinks", quote(path), kind_of(st.st_mode));
      }
    }
  }

  // A path by which l*xattr(2) reaches the symlink `name` in `dir_fd` without
  // following it: through /proc where it is mounted, else from the root.
  std::string symlink_path(int dir_fd, const std::string& name, const std::string& path) const {
    static const bool have_proc = ::access("/proc/self/fd", F_OK) == 0;
    return have_proc ? fmt::format("/proc/self/fd/{}/{}", dir_fd, name) : (root_ / path).string();
  }

  // The first name of a multiply-linked file, in canonical order, holds the
  // content; later names become hardlinks to it.
  void link_hardlinks() {
    std::map<std::pair<dev_t, ino_t>, const Item*> first;
    for (auto& item : items_) {
      if (!S_ISREG(item.before.mode) || item.before.nlink < 2) continue;
      auto [it, inserted] = first.emplace(std::make_pair(item.before.dev, item.before.ino), &item);
      if (!inserted) item.hardlink_target = it->second->path;
    }
  }

  void read_contents() {
    std::vector<Item*> files;
    for (auto& item : items_) {
      if (S_ISREG(item.before.mode) && item.hardlink_target.empty()) files.push_back(&item);
    }
    parallel_for(files.size(), options_.threads, [&](std::size_t i) {
      Item& item = *files[i];
      FileIdentity identity = identity_of(item.before);
      if (options_.cache != nullptr && options_.use_cached) {
        if (auto hit = options_.cache->find(identity); hit && hit->content.size == identity.size) {
          item.content = hit->content;
          item.xattrs = std::move(hit->xattrs);
          cached_files_ += 1;
          if (options_.on_file) options_.on_file(item.path, item.content.size);
          return;
        }
      }
      std::int64_t read_started = now_ns();
      UniqueFd fd = open_beneath(root_fd_.get(), item.path);
      if (!fd) {
        if (errno == ENOENT || errno == ELOOP || errno == EXDEV) fail_changed(item.path);
        fail_errno(errno, fmt::format("cannot read {}", quote(item.path)));
      }
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0 || !(Snapshot::of(st) == item.before)) fail_changed(item.path);
      FdSource source(fd.get(), item.path);
      item.content = sink_.put(source);
      if (item.content.size != static_cast<std::uint64_t>(item.before.size)) fail_changed(item.path);
      item.xattrs = read_xattrs(fd.get(), {}, item.path);
      if (options_.cache != nullptr && identity.ctime_ns < read_started - options_.racy_margin_ns) {
        options_.cache->remember(identity, {item.content, item.xattrs});
      }
      if (options_.on_file) options_.on_file(item.path, item.content.size);
    });
  }

  void check_unchanged() {
    struct stat st {};
    if (::fstat(root_fd_.get(), &st) != 0 || !(Snapshot::of(st) == root_before_)) fail_changed(root_.string());
    for (const auto& item : items_) {
      if (::fstatat(root_fd_.get(), item.path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !(Snapshot::of(st) == item.before)) {
        fail_changed(item.path);
      }
    }
  }

  Manifest build() {
    std::vector<Entry> entries;
    entries.reserve(items_.size());
    for (auto& item : items_) {
      Entry e;
      e.path = std::move(item.path);
      mode_t mode = item.before.mode;
      if (!item.hardlink_target.empty()) {
        e.type = EntryType::hardlink;
        e.target = std::move(item.hardlink_target);
        entries.push_back(std::move(e));
        continue;
      }
      e.uid = item.before.uid;
      e.gid = item.before.gid;
      e.xattrs = std::move(item.xattrs);
      if (S_ISLNK(mode)) {
        e.type = EntryType::symlink;
        e.mode = 0777;
        e.target = std::move(item.symlink_target);
      } else {
        e.type = S_ISDIR(mode) ? EntryType::dir : EntryType::file;
        e.mode = static_cast<std::uint32_t>(mode) & kPermissionMask;
        if (e.type == EntryType::file) {
          e.size = item.content.size;
          e.digest = item.content.digest;
        }
      }
      entries.push_back(std::move(e));
    }
    return Manifest::from_entries(std::move(entries));
  }

  std::filesystem::path root_;
  ContentSink& sink_;
  const DirectoryReadOptions& options_;
  UniqueFd root_fd_;
  Snapshot root_before_;
  std::vector<Item> items_;
  std::atomic<std::uint64_t> cached_files_{0};
};

}  // namespace

Manifest read_directory(const std::filesystem::path& root, ContentSink& sink, const DirectoryReadOptions& options,
                        DirectoryReadStats* stats) {
  TreeReader reader(root, sink, options);
  Manifest manifest = reader.read();
  if (stats != nullptr) stats->cached_files = reader.cached_files();
  return manifest;
}

}  // namespace sheaf::fileset
