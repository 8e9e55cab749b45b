// A read-only FUSE filesystem that serves a directory and records every
// path a process touches in it: what `sheaf trim` traces a workload with.
//
// The kernel resolves every path one name at a time, and a name not in its
// dentry cache becomes a LOOKUP request to this server; so the first time a
// workload opens, executes, stats, reads as a link or walks through a name,
// the server hears of it, whatever system call did it (stat, readlink, the
// dynamic loader's searches through absent directories, io_uring). A
// listed directory is a READDIR, a read link a READLINK. What the kernel
// caches afterwards needs no second record: the trace is a set.
//
// The server is a thread of this process, outside the container: the
// workload can neither see it nor write into its record. The mount is
// read-only; a container's writes go to an overlay's upper directory above
// it (run/container.cpp). The protocol is spoken directly over /dev/fuse
// (<linux/fuse.h>, version 7.23 and later), with no libfuse: it is a
// stable kernel interface, and a read-only passthrough answers about twenty of its
// requests. Owners, modes, sizes, times and extended attributes are the
// source's; with `default_permissions` the kernel checks access itself.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>

namespace sheaf::run {

// Paths relative to the served root, spelt "/usr/bin/python3".
struct AccessTrace {
  std::set<std::string> found;    // looked up and present, listed, read as a link, opened; "/" too
  std::set<std::string> missing;  // looked up and absent
};

class TracingMount {
 public:
  // Serves `source` (a directory) read-only at `mountpoint` (an empty
  // directory) until stopped. Needs root and /dev/fuse; throws an Error
  // saying which is missing.
  TracingMount(const std::filesystem::path& source, const std::filesystem::path& mountpoint);
  // Stops serving and unmounts, if stop() was not called.
  ~TracingMount();
  TracingMount(const TracingMount&) = delete;
  TracingMount& operator=(const TracingMount&) = delete;

  // Stops serving (a process still using the mount gets ENOTCONN), unmounts
  // and returns what was recorded. Call it after whatever mounted over the
  // mount point is gone.
  AccessTrace stop();

 private:
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace sheaf::run
