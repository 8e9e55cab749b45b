#include "fileset/directory_reader.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fcntl.h>

#include "base/error.hpp"
#include "testing/errors.hpp"
#include "testing/memory_cache.hpp"
#include "testing/memory_sink.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::fileset {
namespace {

using testing::make_dirs;
using testing::MemorySink;
using testing::TempDir;
using testing::write_file;

const Entry* find(const Manifest& m, std::string_view path) {
  for (const auto& e : m.entries()) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

class DirectoryReader : public ::testing::Test {
 protected:
  Manifest read(DirectoryReadOptions options = {}) { return read_directory(tree_.path(), sink_, options); }
  TempDir tree_;
  MemorySink sink_;
};

TEST_F(DirectoryReader, RecordsEveryKindOfEntry) {
  make_dirs(tree_ / "usr/bin");
  make_dirs(tree_ / "tmp", 0755);
  ASSERT_EQ(::chmod((tree_ / "tmp").c_str(), 01777), 0);
  write_file(tree_ / "usr/bin/tool", "#!/bin/sh\n", 04755);
  ASSERT_EQ(::symlink("tool", (tree_ / "usr/bin/alias").c_str()), 0);
  ASSERT_EQ(::link((tree_ / "usr/bin/tool").c_str(), (tree_ / "usr/bin/tool2").c_str()), 0);

  Manifest m = read();
  ASSERT_EQ(m.entries().size(), 6u);
  const Entry* tool = find(m, "usr/bin/tool");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->type, EntryType::file);
  EXPECT_EQ(tool->mode, 04755u);
  EXPECT_EQ(tool->uid, ::getuid());
  EXPECT_EQ(tool->size, 10u);
  ASSERT_NE(sink_.find(tool->digest), nullptr);
  EXPECT_EQ(*sink_.find(tool->digest), "#!/bin/sh\n");
  EXPECT_EQ(find(m, "tmp")->mode, 01777u);
  EXPECT_EQ(find(m, "usr/bin/alias")->type, EntryType::symlink);
  EXPECT_EQ(find(m, "usr/bin/alias")->target, "tool");
  EXPECT_EQ(find(m, "usr/bin/tool2")->type, EntryType::hardlink);
  EXPECT_EQ(find(m, "usr/bin/tool2")->target, "usr/bin/tool");
}

TEST_F(DirectoryReader, KeepsHardlinksAcrossDirectoriesWithTheFirstPathAsTarget) {
  make_dirs(tree_ / "b");
  make_dirs(tree_ / "a");
  write_file(tree_ / "b/y", "shared");
  ASSERT_EQ(::link((tree_ / "b/y").c_str(), (tree_ / "a/x").c_str()), 0);
  Manifest m = read();
  EXPECT_EQ(find(m, "a/x")->type, EntryType::file);
  EXPECT_EQ(find(m, "b/y")->type, EntryType::hardlink);
  EXPECT_EQ(find(m, "b/y")->target, "a/x");
}

TEST_F(DirectoryReader, NeverFollowsSymlinksEvenOutsideTheTree) {
  TempDir outside;
  write_file(outside / "secret", "do not read");
  ASSERT_EQ(::symlink(outside.path().c_str(), (tree_ / "escape").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (tree_ / "passwd").c_str()), 0);
  Manifest m = read();
  ASSERT_EQ(m.entries().size(), 2u);
  EXPECT_EQ(find(m, "escape")->type, EntryType::symlink);
  EXPECT_EQ(find(m, "escape")->target, outside.path().string());
  EXPECT_EQ(find(m, "passwd")->target, "/etc/passwd");
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_F(DirectoryReader, MtimesDoNotChangeTheManifest) {
  make_dirs(tree_ / "d");
  write_file(tree_ / "d/f", "content");
  Digest before = read().id();
  timespec times[2] = {{1000, 0}, {123456789, 42}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (tree_ / "d/f").c_str(), times, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (tree_ / "d").c_str(), times, 0), 0);
  EXPECT_EQ(read().id(), before);
}

TEST_F(DirectoryReader, RefusesAFifoNamingIt) {
  make_dirs(tree_ / "run");
  ASSERT_EQ(::mkfifo((tree_ / "run/pipe").c_str(), 0644), 0);
  std::string message = testing::error_message_of([&] { read(); });
  EXPECT_NE(message.find("'run/pipe' is a fifo"), std::string::npos) << message;
}

TEST_F(DirectoryReader, RefusesASocketNamingIt) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = (tree_ / "sock").string();
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::copy(path.begin(), path.end(), address.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
  std::string message = testing::error_message_of([&] { read(); });
  EXPECT_NE(message.find("'sock' is a socket"), std::string::npos) << message;
}

TEST_F(DirectoryReader, RefusesADeviceNodeNamingIt) {
  if (::mknod((tree_ / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "mknod needs CAP_MKNOD";
  }
  std::string message = testing::error_message_of([&] { read(); });
  EXPECT_NE(message.find("'null' is a character device"), std::string::npos) << message;
}

TEST_F(DirectoryReader, RefusesNamesThatAreNotUtf8) {
  write_file(tree_ / "caf\xe9", "latin-1 name");
  std::string message = testing::error_message_of([&] { read(); });
  EXPECT_NE(message.find("not valid UTF-8"), std::string::npos) << message;
}

TEST_F(DirectoryReader, RecordsUserXattrs) {
  write_file(tree_ / "f", "x");
  if (::setxattr((tree_ / "f").c_str(), "user.sheaf-test", "v\0w", 3, 0) != 0) {
    GTEST_SKIP() << "this filesystem has no user xattrs";
  }
  Manifest m = read();
  const Entry* f = find(m, "f");
  ASSERT_EQ(f->xattrs.size(), 1u);
  EXPECT_EQ(f->xattrs[0].name, "user.sheaf-test");
  EXPECT_EQ(f->xattrs[0].value, std::string("v\0w", 3));
}

TEST_F(DirectoryReader, RefusesXattrsItCannotRecord) {
  write_file(tree_ / "f", "x");
  if (::setxattr((tree_ / "f").c_str(), "trusted.sheaf-test", "v", 1, 0) != 0) {
    GTEST_SKIP() << "trusted xattrs need CAP_SYS_ADMIN";
  }
  std::string message = testing::error_message_of([&] { read(); });
  EXPECT_NE(message.find("'f' has the extended attribute 'trusted.sheaf-test'"), std::string::npos) << message;
}

TEST_F(DirectoryReader, FailsWhenAFileIsWrittenWhileItIsRead) {
  write_file(tree_ / "a", "first");
  write_file(tree_ / "b", "second");
  DirectoryReadOptions options;
  options.on_file = [&](std::string_view path, std::uint64_t) {
    if (path == "a") write_file(tree_ / "a", "FIRST");  // same size, already read
  };
  std::string message = testing::error_message_of([&] { read(options); });
  EXPECT_NE(message.find("'a' changed while it was being read"), std::string::npos) << message;
}

TEST_F(DirectoryReader, FailsWhenAnEntryAppearsWhileTheTreeIsRead) {
  make_dirs(tree_ / "d");
  write_file(tree_ / "d/a", "x");
  DirectoryReadOptions options;
  options.on_file = [&](std::string_view, std::uint64_t) { write_file(tree_ / "d/new", "y"); };
  std::string message = testing::error_message_of([&] { read(options); });
  EXPECT_NE(message.find("'d' changed while it was being read"), std::string::npos) << message;
}

TEST_F(DirectoryReader, FailsWhenAFileIsReplacedBeforeItIsRead) {
  write_file(tree_ / "a", "x");
  write_file(tree_ / "b", "y");
  DirectoryReadOptions options;
  options.on_file = [&](std::string_view path, std::uint64_t) {
    if (path == "a") {
      ::unlink((tree_ / "b").c_str());
      ::symlink("/etc/passwd", (tree_ / "b").c_str());
    }
  };
  std::string message = testing::error_message_of([&] { read(options); });
  EXPECT_NE(message.find("'b' changed while it was being read"), std::string::npos) << message;
}

TEST_F(DirectoryReader, AnswersUnchangedFilesFromTheCache) {
  make_dirs(tree_ / "d");
  write_file(tree_ / "d/a", "alpha");
  write_file(tree_ / "d/b", "beta");
  testing::MemoryCache cache;
  DirectoryReadOptions options{.cache = &cache, .racy_margin_ns = 0};
  Manifest first = read(options);
  EXPECT_EQ(cache.remembered(), 2u);

  MemorySink fresh_sink;
  DirectoryReadStats stats;
  Manifest second = read_directory(tree_.path(), fresh_sink, options, &stats);
  EXPECT_EQ(second.serialize(), first.serialize());
  EXPECT_EQ(stats.cached_files, 2u);
  EXPECT_EQ(fresh_sink.size(), 0u);  // nothing was read
}

TEST_F(DirectoryReader, AChangedFileMissesTheCache) {
  write_file(tree_ / "a", "alpha");
  testing::MemoryCache cache;
  DirectoryReadOptions options{.cache = &cache, .racy_margin_ns = 0};
  read(options);
  write_file(tree_ / "a", "ALPHA");  // same size; ctime moves on
  DirectoryReadStats stats;
  Manifest m = read_directory(tree_.path(), sink_, options, &stats);
  EXPECT_EQ(stats.cached_files, 0u);
  EXPECT_EQ(find(m, "a")->digest, Digest::of("ALPHA"));
}

TEST_F(DirectoryReader, RecentlyChangedFilesAreNotRemembered) {
  write_file(tree_ / "a", "just written");
  testing::MemoryCache cache;
  read({.cache = &cache});  // the default margin: ctime is within 2 s of the read
  EXPECT_EQ(cache.remembered(), 0u);
}

TEST_F(DirectoryReader, RehashReadsEveryFileButStillRemembers) {
  write_file(tree_ / "a", "alpha");
  testing::MemoryCache cache;
  read({.cache = &cache, .racy_margin_ns = 0});
  MemorySink fresh_sink;
  DirectoryReadStats stats;
  read_directory(tree_.path(), fresh_sink, {.cache = &cache, .use_cached = false, .racy_margin_ns = 0}, &stats);
  EXPECT_EQ(stats.cached_files, 0u);
  EXPECT_EQ(fresh_sink.size(), 1u);
  EXPECT_EQ(cache.remembered(), 2u);
}

TEST_F(DirectoryReader, ReportsAnUnreadableRoot) {
  std::string message = testing::error_message_of([&] { read_directory(tree_ / "missing", sink_, {}); });
  EXPECT_NE(message.find("cannot open the directory"), std::string::npos) << message;
}

}  // namespace
}  // namespace sheaf::fileset
