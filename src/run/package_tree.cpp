#include "run/package_tree.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "fileset/directory_reader.hpp"
#include "fileset/manifest.hpp"
#include "image/layers.hpp"
#include "image/stored_image.hpp"
#include "store/write_batch.hpp"

namespace sheaf::run {

namespace fs = std::filesystem;
using fileset::Entry;
using fileset::EntryType;

namespace {

void copy_content(const store::LocalStore& store, const Entry& e, int out_fd) {
  auto in = store.open_object(e.digest);
  if (!in) fail("the content of {} (object {}) is missing from the store", quote(e.path), e.digest.str());
  if (::ioctl(out_fd, FICLONE, in->get()) == 0) return;
  std::uint64_t left = e.size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in->get(), nullptr, out_fd, nullptr, left, 0);
    if (n < 0) fail_errno(errno, "cannot copy " + quote(e.path));
    if (n == 0) fail("the object of {} is shorter than its manifest says", quote(e.path));
    left -= static_cast<std::uint64_t>(n);
  }
}

void set_xattrs(const fs::path& path, const Entry& e) {
  for (const auto& x : e.xattrs) {
    if (::lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0) != 0) {
      fail_errno(errno, fmt::format("cannot set {} on {}", x.name, quote(e.path)));
    }
  }
}

}  // namespace

void materialize(const store::LocalStore& store, const fileset::Manifest& manifest, const fs::path& root,
                 TreeStats& stats) {
  bool root_user = ::geteuid() == 0;
  if (::mkdir(root.c_str(), 0700) != 0) fail_errno(errno, "cannot create " + quote(root.string()));
  std::vector<const Entry*> dirs;
  for (const auto& e : manifest.entries()) {
    fs::path path = root / e.path;
    switch (e.type) {
      case EntryType::dir:
        if (::mkdir(path.c_str(), 0700) != 0) fail_errno(errno, "cannot create " + quote(path.string()));
        dirs.push_back(&e);  // mode and owner last, once nothing more goes inside
        break;
      case EntryType::file: {
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd) fail_errno(errno, "cannot create " + quote(path.string()));
        copy_content(store, e, fd.get());
        if (root_user && ::fchown(fd.get(), e.uid, e.gid) != 0) {
          fail_errno(errno, "cannot set the owner of " + quote(e.path));
        }
        if (::fchmod(fd.get(), e.mode) != 0) fail_errno(errno, "cannot set the mode of " + quote(e.path));
        set_xattrs(path, e);
        stats.files += 1;
        stats.bytes += e.size;
        break;
      }
      case EntryType::symlink:
        if (::symlink(e.target.c_str(), path.c_str()) != 0) fail_errno(errno, "cannot create " + quote(e.path));
        if (root_user && ::lchown(path.c_str(), e.uid, e.gid) != 0) {
          fail_errno(errno, "cannot set the owner of " + quote(e.path));
        }
        set_xattrs(path, e);
        break;
      case EntryType::hardlink:
        if (::link((root / e.target).c_str(), path.c_str()) != 0) fail_errno(errno, "cannot link " + quote(e.path));
        break;
    }
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    const Entry& e = **it;
    fs::path path = root / e.path;
    if (root_user && ::lchown(path.c_str(), e.uid, e.gid) != 0) {
      fail_errno(errno, "cannot set the owner of " + quote(e.path));
    }
    if (::chmod(path.c_str(), e.mode) != 0) fail_errno(errno, "cannot set the mode of " + quote(e.path));
    set_xattrs(path, e);
  }
  // The tree's root is the image's /, which packages do not describe.
  if (::chmod(root.c_str(), 0755) != 0) fail_errno(errno, "cannot set the mode of " + quote(root.string()));
}

fs::path package_tree_path(const store::LocalStore& store, const std::string& package_id,
                           const std::vector<std::string>& drop_paths) {
  auto id = Digest::parse(package_id);
  if (!id) fail("malformed package id {}", quote(package_id));
  std::string name = id->hex();
  if (!drop_paths.empty()) {
    name += '-';
    name += Digest::of(canonical_json(drop_paths)).hex().substr(0, 16);
  }
  return store.root() / "trees" / name;
}

fs::path ensure_package_tree(store::LocalStore& store, const std::string& package_id,
                             const std::vector<std::string>& drop_paths, TreeStats* stats) {
  fs::path final_path = package_tree_path(store, package_id, drop_paths);
  std::error_code ec;
  if (fs::is_directory(final_path, ec)) return final_path;
  auto record = store.index().package(package_id);
  if (!record) fail("package {} is not in the store", package_id);
  return with_context(fmt::format("while unpacking {} {} for running", record->name, record->version), [&] {
    fileset::Manifest manifest = image::package_fileset(store, package_id, drop_paths);

    fs::create_directories(store.root() / "trees");
    fs::path staging = store.root() / "tmp" / ("tree-" + random_hex(8));
    struct Cleanup {
      fs::path path;
      ~Cleanup() {
        std::error_code e;
        if (!path.empty()) fs::remove_all(path, e);
      }
    } cleanup{staging};
    TreeStats local;
    materialize(store, manifest, staging, local);

    // Read it back: the same FileSet, or the tree is not what the package says.
    fileset::HashOnlySink sink;
    fileset::Manifest read_back = fileset::read_directory(staging, sink, {.threads = 2});
    if (read_back.serialize() != manifest.serialize()) {
      fail(
          "the unpacked tree does not match its FileSet {}; is the store on a filesystem without "
          "owners or xattrs?",
          record->fileset);
    }
    if (::syncfs(store.tmp_fd()) != 0) fail_errno(errno, "cannot sync the store");  // durable before it is named
    if (::rename(staging.c_str(), final_path.c_str()) != 0) {
      if (errno != EEXIST && errno != ENOTEMPTY) fail_errno(errno, "cannot publish " + quote(final_path.string()));
      return final_path;  // another process made it first
    }
    cleanup.path.clear();
    local.made = true;
    if (stats) *stats = local;
    return final_path;
  });
}

}  // namespace sheaf::run
