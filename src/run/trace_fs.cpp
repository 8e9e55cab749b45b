#include "run/trace_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::run {

namespace fs = std::filesystem;

namespace {

// The source's files never change while it is served, so the kernel may
// keep what it learns for the whole run.
constexpr std::uint64_t kValidSeconds = 86400;
// Large enough for any request the kernel sends a read-only mount (it wants
// room for a write of max_write bytes even so).
constexpr std::size_t kRequestBuffer = (1 << 20) + 4096;
constexpr std::uint32_t kMaxWrite = 4096;

void fill_attr(fuse_attr& a, const struct stat& st) {
  a = {};
  a.ino = st.st_ino;
  a.size = static_cast<std::uint64_t>(st.st_size);
  a.blocks = static_cast<std::uint64_t>(st.st_blocks);
  a.atime = static_cast<std::uint64_t>(st.st_atim.tv_sec);
  a.mtime = static_cast<std::uint64_t>(st.st_mtim.tv_sec);
  a.ctime = static_cast<std::uint64_t>(st.st_ctim.tv_sec);
  a.atimensec = static_cast<std::uint32_t>(st.st_atim.tv_nsec);
  a.mtimensec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
  a.ctimensec = static_cast<std::uint32_t>(st.st_ctim.tv_nsec);
  a.mode = st.st_mode;
  a.nlink = static_cast<std::uint32_t>(st.st_nlink);
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.rdev = static_cast<std::uint32_t>(st.st_rdev);
  a.blksize = static_cast<std::uint32_t>(st.st_blksize);
}

std::string proc_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

std::string child_path(const std::string& parent, std::string_view name) {
  return parent == "/" ? "/" + std::string(name) : parent + "/" + std::string(name);
}

}  // namespace

struct TracingMount::Server {
  struct DirEntry {
    std::uint64_t ino;
    std::uint32_t type;
    std::string name;
  };
  struct Node {
    UniqueFd fd;  // O_PATH
    std::string path;
    std::uint64_t lookups = 0;
    dev_t dev = 0;
    ino_t ino = 0;
  };

  fs::path mountpoint;
  UniqueFd fuse;
  UniqueFd wake;  // an eventfd: stop() writes it
  std::thread thread;
  std::exception_ptr failure;
  bool mounted = false;
  bool stopped = false;

  std::unordered_map<std::uint64_t, Node> nodes;
  std::map<std::pair<dev_t, ino_t>, std::uint64_t> by_inode;
  std::uint64_t next_node = FUSE_ROOT_ID + 1;
  std::unordered_map<std::uint64_t, UniqueFd> files;
  std::unordered_map<std::uint64_t, std::vector<DirEntry>> dirs;
  std::uint64_t next_handle = 1;
  AccessTrace trace;

  void serve();
  void handle(const fuse_in_header& in, const char* body, std::size_t body_size);
  void reply(std::uint64_t unique, int error, const void* data = nullptr, std::size_t size = 0);

  void lookup(const fuse_in_header& in, std::string_view name);
  void forget(std::uint64_t node, std::uint64_t count);
  void getattr(const fuse_in_header& in);
  void readlink(const fuse_in_header& in);
  void open(const fuse_in_header& in, const fuse_open_in& args);
  void read(const fuse_in_header& in, const fuse_read_in& args);
  void opendir(const fuse_in_header& in);
  void readdir(const fuse_in_header& in, const fuse_read_in& args);
  void statfs(const fuse_in_header& in);
  void getxattr(const fuse_in_header& in, const fuse_getxattr_in& args, const char* name);
  void listxattr(const fuse_in_header& in, const fuse_getxattr_in& args);
  void init(const fuse_in_header& in, const fuse_init_in& args);

  Node* node(std::uint64_t id) {
    auto it = nodes.find(id);
    return it == nodes.end() ? nullptr : &it->second;
  }
};

void TracingMount::Server::reply(std::uint64_t unique, int error, const void* data, std::size_t size) {
  fuse_out_header out{};
  out.len = static_cast<std::uint32_t>(sizeof out + (error ? 0 : size));
  out.error = -error;
  out.unique = unique;
  iovec iov[2] = {{&out, sizeof out}, {const_cast<void*>(data), size}};
  // ENOENT: the request was interrupted meanwhile; nothing waits for it.
  (void)::writev(fuse.get(), iov, error || size == 0 ? 1 : 2);
}

void TracingMount::Server::init(const fuse_in_header& in, const fuse_init_in& args) {
  // From 7.23 (Linux 3.15) on, fuse_init_out has the size sent here.
  if (args.major != FUSE_KERNEL_VERSION || args.minor < 23) {
    reply(in.unique, EPROTO);
    throw Error(
        fmt::format("the kernel speaks FUSE {}.{}; sheaf's tracer needs 7.23 or later", args.major, args.minor));
  }
  fuse_init_out out{};
  out.major = FUSE_KERNEL_VERSION;
  out.minor = FUSE_KERNEL_MINOR_VERSION;
  out.max_readahead = args.max_readahead;
  out.flags = args.flags & (FUSE_CACHE_SYMLINKS | FUSE_ASYNC_READ);
  out.max_background = 16;
  out.congestion_threshold = 12;
  out.max_write = kMaxWrite;
  out.time_gran = 1;
  reply(in.unique, 0, &out, sizeof out);
}

void TracingMount::Server::lookup(const fuse_in_header& in, std::string_view name) {
  Node* parent = node(in.nodeid);
  if (!parent) return reply(in.unique, ESTALE);
  std::string path = child_path(parent->path, name);
  std::string name_z(name);
  struct stat st {};
  if (::fstatat(parent->fd.get(), name_z.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    int err = errno;
    if (err == ENOENT) trace.missing.insert(path);
    return reply(in.unique, err);
  }
  trace.found.insert(path);
  std::uint64_t id;
  auto known = by_inode.find({st.st_dev, st.st_ino});
  if (known != by_inode.end()) {
    id = known->second;
  } else {
    UniqueFd fd(::openat(parent->fd.get(), name_z.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return reply(in.unique, errno);
    id = next_node++;
    nodes.emplace(id, Node{std::move(fd), path, 0, st.st_dev, st.st_ino});
    by_inode.emplace(std::pair{st.st_dev, st.st_ino}, id);
  }
  ++nodes.at(id).lookups;
  fuse_entry_out out{};
  out.nodeid = id;
  out.entry_valid = kValidSeconds;
  out.attr_valid = kValidSeconds;
  fill_attr(out.attr, st);
  reply(in.unique, 0, &out, sizeof out);
}

void TracingMount::Server::forget(std::uint64_t id, std::uint64_t count) {
  if (id == FUSE_ROOT_ID) return;
  auto it = nodes.find(id);
  if (it == nodes.end()) return;
  if (it->second.lookups > count) {
    it->second.lookups -= count;
    return;
  }
  by_inode.erase({it->second.dev, it->second.ino});
  nodes.erase(it);
}

void TracingMount::Server::getattr(const fuse_in_header& in) {
  Node* n = node(in.nodeid);
  if (!n) return reply(in.unique, ESTALE);
  struct stat st {};
  if (::fstatat(n->fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return reply(in.unique, errno);
  fuse_attr_out out{};
  out.attr_valid = kValidSeconds;
  fill_attr(out.attr, st);
  reply(in.unique, 0, &out, sizeof out);
}

void TracingMount::Server::readlink(const fuse_in_header& in) {
  Node* n = node(in.nodeid);
  if (!n) return reply(in.unique, ESTALE);
  char target[PATH_MAX];
  ssize_t size = ::readlinkat(n->fd.get(), "", target, sizeof target);
  if (size < 0) return reply(in.unique, errno);
  trace.found.insert(n->path);
  reply(in.unique, 0, target, static_cast<std::size_t>(size));
}

void TracingMount::Server::open(const fuse_in_header& in, const fuse_open_in& args) {
  Node* n = node(in.nodeid);
  if (!n) return reply(in.unique, ESTALE);
  if ((args.flags & O_ACCMODE) != O_RDONLY) return reply(in.unique, EROFS);
  UniqueFd fd(::open(proc_path(n->fd.get()).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return reply(in.unique, errno);
  trace.found.insert(n->path);
  fuse_open_out out{};
  out.fh = next_handle++;
  out.open_flags = FOPEN_KEEP_CACHE;
  files.emplace(out.fh, std::move(fd));
  reply(in.unique, 0, &out, sizeof out);
}

void TracingMount::Server::read(const fuse_in_header& in, const fuse_read_in& args) {
  auto it = files.find(args.fh);
  if (it == files.end()) return reply(in.unique, EBADF);
  std::vector<char> data(args.size);
  ssize_t got = ::pread(it->second.get(), data.data(), data.size(), static_cast<off_t>(args.offset));
  if (got < 0) return reply(in.unique, errno);
  reply(in.unique, 0, data.data(), static_cast<std::size_t>(got));
}

void TracingMount::Server::opendir(const fuse_in_header& in) {
  Node* n = node(in.nodeid);
  if (!n) return reply(in.unique, ESTALE);
  int fd = ::open(proc_path(n->fd.get()).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return reply(in.unique, errno);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    int err = errno;
    ::close(fd);
    return reply(in.unique, err);
  }
  std::vector<DirEntry> entries;
  while (dirent* e = ::readdir(dir)) entries.push_back({e->d_ino, e->d_type, e->d_name});
  ::closedir(dir);
  trace.found.insert(n->path);
  fuse_open_out out{};
  out.fh = next_handle++;
  dirs.emplace(out.fh, std::move(entries));
  reply(in.unique, 0, &out, sizeof out);
}

void TracingMount::Server::readdir(const fuse_in_header& in, const fuse_read_in& args) {
  auto it = dirs.find(args.fh);
  if (it == dirs.end()) return reply(in.unique, EBADF);
  std::vector<char> out;
  for (std::size_t i = args.offset; i < it->second.size(); ++i) {
    const DirEntry& e = it->second[i];
    std::size_t size = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + e.name.size());
    if (out.size() + size > args.size) break;
    std::size_t at = out.size();
    out.resize(at + size, 0);
    fuse_dirent d{};
    d.ino = e.ino;
    d.off = i + 1;
    d.namelen = static_cast<std::uint32_t>(e.name.size());
    d.type = e.type;
    std::memcpy(out.data() + at, &d, FUSE_NAME_OFFSET);
    std::memcpy(out.data() + at + FUSE_NAME_OFFSET, e.name.data(), e.name.size());
  }
  reply(in.unique, 0, out.data(), out.size());
}

void TracingMount::Server::statfs(const fuse_in_header& in) {
  struct statfs st {};
  if (::fstatfs(nodes.at(FUSE_ROOT_ID).fd.get(), &st) != 0) return reply(in.unique, errno);
  fuse_statfs_out out{};
  out.st.blocks = st.f_blocks;
  out.st.bfree = st.f_bfree;
  out.st.bavail = st.f_bavail;
  out.st.files = st.f_files;
  out.st.ffree = st.f_ffree;
  out.st.bsize = static_cast<std::uint32_t>(st.f_bsize);
  out.st.namelen = static_cast<std::uint32_t>(st.f_namelen);
  out.st.frsize = static_cast<std::uint32_t>(st.f_frsize);
  reply(in.unique, 0, &out, sizeof out);
}

// Extended attributes pass through (file capabilities matter to exec),
// except overlayfs's own, which an overlay above this mount asks for and
// which the source, an overlay itself, does not give out.
void TracingMount::Server::getxattr(const fuse_in_header& in, const fuse_getxattr_in& args, const char* name) {
  Node* n = node(in.nodeid);
  if (!n) return reply(in.unique, ESTALE);
  struct stat st {};
  if (std::string_view(name).starts_with("trusted.overlay.") ||
      (::fstatat(n->fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))) {
    return reply(in.unique, ENODATA);
  }
  std::vector<char> value(args.size);
  ssize_t size = ::getxattr(proc_path(n->fd.get()).c_str(), name, value.data(), value.size());
  if (size < 0) return reply(in.unique, errno == ENOTSUP ? ENODATA : errno);
  if (args.size == 0) {
    fuse_getxattr_out out{};
    out.size = static_cast<std::uint32_t>(size);
    return reply(in.unique, 0, &out, sizeof out);
  }
  reply(in.unique, 0, value.data(), static_cast<std::size_t>(size));
}

void TracingMount::Server::listxattr(const fuse_in_header& in, const fuse_getxattr_in& args) {
  Node* n = node(in.nodeid);
  if (!n) return reply(in.unique, ESTALE);
  struct stat st {};
  ssize_t size = 0;
  std::vector<char> names(args.size);
  if (::fstatat(n->fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) {
    size = ::listxattr(proc_path(n->fd.get()).c_str(), names.data(), names.size());
    if (size < 0 && errno != ENOTSUP) return reply(in.unique, errno);
    if (size < 0) size = 0;
  }
  if (args.size == 0) {
    fuse_getxattr_out out{};
    out.size = static_cast<std::uint32_t>(size);
    return reply(in.unique, 0, &out, sizeof out);
  }
  reply(in.unique, 0, names.data(), static_cast<std::size_t>(size));
}

void TracingMount::Server::handle(const fuse_in_header& in, const char* body, std::size_t body_size) {
  auto args = [&]<typename T>(T& out) {
    if (body_size < sizeof(T)) return false;
    std::memcpy(&out, body, sizeof(T));
    return true;
  };
  auto name_after = [&](std::size_t offset) -> std::string_view {
    if (body_size <= offset) return {};
    return std::string_view(body + offset, ::strnlen(body + offset, body_size - offset));
  };
  switch (in.opcode) {
    case FUSE_INIT: {
      fuse_init_in a{};
      // The kernel's fuse_init_in may be shorter or longer than ours.
      std::memcpy(&a, body, std::min(body_size, sizeof a));
      return init(in, a);
    }
    case FUSE_LOOKUP:
      return lookup(in, name_after(0));
    case FUSE_FORGET: {
      fuse_forget_in a{};
      if (args(a)) forget(in.nodeid, a.nlookup);
      return;  // no reply
    }
    case FUSE_BATCH_FORGET: {
      fuse_batch_forget_in a{};
      if (!args(a)) return;
      for (std::uint32_t i = 0; i < a.count; ++i) {
        std::size_t at = sizeof a + i * sizeof(fuse_forget_one);
        if (at + sizeof(fuse_forget_one) > body_size) break;
        fuse_forget_one one{};
        std::memcpy(&one, body + at, sizeof one);
        forget(one.nodeid, one.nlookup);
      }
      return;
    }
    case FUSE_GETATTR:
      return getattr(in);
    case FUSE_READLINK:
      return readlink(in);
    case FUSE_OPEN: {
      fuse_open_in a{};
      return args(a) ? open(in, a) : reply(in.unique, EINVAL);
    }
    case FUSE_READ: {
      fuse_read_in a{};
      return args(a) ? read(in, a) : reply(in.unique, EINVAL);
    }
    case FUSE_RELEASE: {
      fuse_release_in a{};
      if (args(a)) files.erase(a.fh);
      return reply(in.unique, 0);
    }
    case FUSE_OPENDIR:
      return opendir(in);
    case FUSE_READDIR: {
      fuse_read_in a{};
      return args(a) ? readdir(in, a) : reply(in.unique, EINVAL);
    }
    case FUSE_RELEASEDIR: {
      fuse_release_in a{};
      if (args(a)) dirs.erase(a.fh);
      return reply(in.unique, 0);
    }
    case FUSE_STATFS:
      return statfs(in);
    case FUSE_GETXATTR: {
      fuse_getxattr_in a{};
      std::string name(name_after(sizeof a));
      return args(a) ? getxattr(in, a, name.c_str()) : reply(in.unique, EINVAL);
    }
    case FUSE_LISTXATTR: {
      fuse_getxattr_in a{};
      return args(a) ? listxattr(in, a) : reply(in.unique, EINVAL);
    }
    case FUSE_FLUSH:
    case FUSE_FSYNC:
    case FUSE_FSYNCDIR:
      return reply(in.unique, 0);
    case FUSE_INTERRUPT:
      return;  // every request is answered at once; nothing to interrupt
    case FUSE_DESTROY:
      return reply(in.unique, 0);
    default:
      // Writes never come (the mount is read-only); ACCESS, POLL, LSEEK,
      // IOCTL and newer requests fall back to what the kernel does alone.
      return reply(in.unique, ENOSYS);
  }
}

void TracingMount::Server::serve() {
  std::vector<char> buffer(kRequestBuffer);
  for (;;) {
    pollfd fds[2] = {{fuse.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, "the tracer cannot wait for requests");
    }
    if (fds[1].revents) return;
    ssize_t got = ::read(fuse.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ENOENT) continue;
      if (errno == ENODEV) return;  // unmounted
      fail_errno(errno, "the tracer cannot read from /dev/fuse");
    }
    if (static_cast<std::size_t>(got) < sizeof(fuse_in_header)) continue;
    fuse_in_header in{};
    std::memcpy(&in, buffer.data(), sizeof in);
    std::size_t size = std::min<std::size_t>(in.len, static_cast<std::size_t>(got));
    handle(in, buffer.data() + sizeof in, size - sizeof in);
  }
}

TracingMount::TracingMount(const fs::path& source, const fs::path& mountpoint) : server_(std::make_unique<Server>()) {
  Server& s = *server_;
  s.mountpoint = mountpoint;
  if (::geteuid() != 0) fail("tracing a workload needs root: it mounts a FUSE filesystem");
  UniqueFd root(::open(source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) fail_errno(errno, "cannot open " + quote(source.string()));
  struct stat st {};
  if (::fstat(root.get(), &st) != 0) fail_errno(errno, "cannot stat " + quote(source.string()));
  s.nodes.emplace(FUSE_ROOT_ID, Server::Node{std::move(root), "/", 1, st.st_dev, st.st_ino});
  s.trace.found.insert("/");
  s.fuse = UniqueFd(::open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!s.fuse) {
    fail_errno(errno,
               "cannot open /dev/fuse, which tracing a workload needs (load the fuse module, or give the "
               "container running sheaf the device)");
  }
  s.wake = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (!s.wake) fail_errno(errno, "cannot make an eventfd");
  std::string options = fmt::format("fd={},rootmode={:o},user_id=0,group_id=0,allow_other,default_permissions",
                                    s.fuse.get(), st.st_mode & S_IFMT);
  if (::mount("sheaf-trace", mountpoint.c_str(), "fuse.sheaf-trace", MS_RDONLY | MS_NODEV, options.c_str()) != 0) {
    fail_errno(errno, "cannot mount the tracing filesystem at " + quote(mountpoint.string()));
  }
  s.mounted = true;
  s.thread = std::thread([&s] {
    try {
      s.serve();
    } catch (...) {
      s.failure = std::current_exception();
    }
  });
}

AccessTrace TracingMount::stop() {
  Server& s = *server_;
  if (!s.stopped) {
    s.stopped = true;
    std::uint64_t one = 1;
    (void)::write(s.wake.get(), &one, sizeof one);
    if (s.thread.joinable()) s.thread.join();
    // Closing the device aborts the connection: anything still using the
    // mount gets ENOTCONN instead of waiting for a server that is gone.
    s.fuse.reset();
    if (s.mounted) ::umount2(s.mountpoint.c_str(), MNT_DETACH);
    s.mounted = false;
    s.nodes.clear();
    s.files.clear();
    s.dirs.clear();
  }
  if (s.failure) std::rethrow_exception(s.failure);
  return std::move(s.trace);
}

TracingMount::~TracingMount() {
  try {
    stop();
  } catch (...) {
    // A failure of the server was the caller's to hear through stop().
  }
}

}  // namespace sheaf::run
