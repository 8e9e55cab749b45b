#include "run/trace_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>

#include "run/overlay.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::run {
namespace {

namespace fs = std::filesystem;
using testing::read_file_bytes;
using testing::write_file;

// A small root: a program, a library reached through a symlink, a listed
// directory, a file nothing touches, and a file with another owner.
void make_root(const fs::path& root) {
  for (const char* d : {"usr/bin", "usr/lib", "etc", "listed"}) fs::create_directories(root / d);
  write_file(root / "usr/bin/tool", "#!/bin/true\n", 0755);
  write_file(root / "usr/lib/libx.so.1.0", "library");
  fs::create_symlink("libx.so.1.0", root / "usr/lib/libx.so.1");
  write_file(root / "etc/conf", "setting = 1\n");
  write_file(root / "listed/a", "a");
  write_file(root / "listed/b", "b");
  write_file(root / "unused", "never read");
  write_file(root / "owned", "x", 0640);
  ASSERT_EQ(::chown((root / "owned").c_str(), 1234, 5678), 0);
}

std::set<std::string> list(const fs::path& dir) {
  std::set<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  ::closedir(d);
  return names;
}

bool can_trace() {
  return ::geteuid() == 0 && ::access("/dev/fuse", R_OK | W_OK) == 0;
}

TEST(TracingMount, RecordsWhatIsStattedReadListedAndLookedForAndServesTheSourceReadOnly) {
  if (!can_trace()) GTEST_SKIP() << "needs root and /dev/fuse";
  testing::TempDir dir;
  make_root(dir / "root");
  fs::create_directories(dir / "mnt");
  TracingMount mount(dir / "root", dir / "mnt");
  fs::path mnt = dir / "mnt";

  struct stat st {};
  ASSERT_EQ(::stat((mnt / "usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(fs::read_symlink(mnt / "usr/lib/libx.so.1"), "libx.so.1.0");
  EXPECT_EQ(read_file_bytes(mnt / "etc/conf"), "setting = 1\n");
  EXPECT_EQ(list(mnt / "listed"), (std::set<std::string>{"a", "b"}));
  ASSERT_EQ(::stat((mnt / "owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_NE(::stat((mnt / "no/such/file").c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);
  // Read-only: nothing is written into the source through it.
  EXPECT_LT(::open((mnt / "etc/conf").c_str(), O_WRONLY | O_CLOEXEC), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_LT(::open((mnt / "new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644), 0);
  EXPECT_FALSE(fs::exists(dir / "root/new"));

  AccessTrace trace = mount.stop();
  for (const char* used : {"/", "/usr", "/usr/bin", "/usr/bin/tool", "/usr/lib", "/usr/lib/libx.so.1", "/etc",
                           "/etc/conf", "/listed", "/owned"}) {
    EXPECT_TRUE(trace.found.count(used)) << used;
  }
  // The link was read, not followed; listing names no child; nothing
  // looked at the rest.
  for (const char* unused : {"/usr/lib/libx.so.1.0", "/listed/a", "/listed/b", "/unused", "/no/such"}) {
    EXPECT_FALSE(trace.found.count(unused)) << unused;
  }
  EXPECT_EQ(trace.missing, (std::set<std::string>{"/new", "/no"}));
  EXPECT_FALSE(fs::exists(mnt / "usr"));  // unmounted
}

TEST(TracingMount, AnOverlayAboveItTakesTheWritesAndItStillSeesTheReads) {
  if (!can_trace()) GTEST_SKIP() << "needs root and /dev/fuse";
  testing::TempDir dir;
  make_root(dir / "root");
  for (const char* d : {"traced", "upper", "work", "rootfs"}) fs::create_directories(dir / d);
  TracingMount traced(dir / "root", dir / "traced");
  {
    OverlayMount overlay({{dir / "traced"}, dir / "upper", dir / "work"}, dir / "rootfs", dir.path());
    write_file(dir / "rootfs/etc/written", "new");
    EXPECT_EQ(read_file_bytes(dir / "rootfs/usr/lib/libx.so.1"), "library");  // followed through the link
    fs::remove(dir / "rootfs/unused");
  }
  AccessTrace trace = traced.stop();
  EXPECT_TRUE(trace.found.count("/usr/lib/libx.so.1"));
  EXPECT_TRUE(trace.found.count("/usr/lib/libx.so.1.0"));
  EXPECT_TRUE(trace.missing.count("/etc/written"));
  EXPECT_EQ(read_file_bytes(dir / "upper/etc/written"), "new");
  EXPECT_TRUE(fs::exists(dir / "root/unused"));  // the whiteout went to the upper directory
  EXPECT_FALSE(fs::exists(dir / "root/etc/written"));
}

}  // namespace
}  // namespace sheaf::run
