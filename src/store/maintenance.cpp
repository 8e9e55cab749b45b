#include "store/maintenance.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "base/byte_source.hpp"
#include "base/error.hpp"
#include "base/file_lock.hpp"
#include "base/fs.hpp"
#include "base/parallel.hpp"
#include "fileset/manifest.hpp"

namespace sheaf::store {

namespace {

using fileset::EntryType;
using fileset::Manifest;

struct StoredFile {
  std::string name;              // relative to objects/sha256 or blobs/sha256
  std::optional<Digest> digest;  // nullopt when the name is not a digest
};

// Every file below objects/sha256 ("ab/<hex>").
std::vector<StoredFile> list_objects(const LocalStore& store) {
  std::vector<StoredFile> out;
  std::string shown = (store.root() / "objects/sha256").string();
  for (const auto& fanout : list_dir(store.objects_fd(), shown)) {
    UniqueFd dir(::openat(store.objects_fd(), fanout.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      out.push_back({fanout, std::nullopt});
      continue;
    }
    for (auto& name : list_dir(dir.get(), shown + "/" + fanout)) {
      auto digest = Digest::parse_hex(name);
      if (digest && name.compare(0, 2, fanout) != 0) digest.reset();
      out.push_back({fanout + "/" + name, digest});
    }
  }
  return out;
}

std::vector<StoredFile> list_blobs(const LocalStore& store) {
  std::vector<StoredFile> out;
  for (auto& name : list_dir(store.blobs_fd(), (store.root() / "blobs/sha256").string())) {
    auto digest = Digest::parse_hex(name);
    out.push_back({std::move(name), digest});
  }
  return out;
}

// Hashes the file at `name` below `dir_fd`. Returns a problem, or nullopt when
// its content matches `expected`.
std::optional<std::string> check_content(int dir_fd, const std::string& name, const Digest& expected) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fmt::format("cannot be opened: {}", std::strerror(errno));
  Digest actual;
  try {
    FdSource source(fd.get(), name);
    actual = digest_stream(source).digest;
  } catch (const Error& e) {
    return e.what();
  }
  if (actual == expected) return std::nullopt;
  return fmt::format("content does not match its name (it hashes to {})", actual.str());
}

std::uint64_t allocated_bytes(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

std::string describe(const PackageRecord& record) {
  return fmt::format("package {} {} {} ({})", record.name, record.version, record.arch, record.id);
}

}  // namespace

VerifyReport verify_store(LocalStore& store, const PackageCheck& check_package, const PackageBlobs& package_blobs,
                          unsigned threads) {
  StoreLock lock = store.lock(StoreLock::Mode::shared);
  VerifyReport report;
  std::mutex mutex;
  auto add_damage = [&](std::string subject, std::string problem) {
    std::lock_guard guard(mutex);
    report.damage.push_back({std::move(subject), std::move(problem)});
  };

  // 1. Every object and blob is named by the digest of its bytes.
  auto objects = list_objects(store);
  auto blobs = list_blobs(store);
  std::unordered_map<Digest, std::uint64_t, DigestHash> object_sizes;
  for (const auto& object : objects) {
    struct stat st {};
    if (object.digest && ::fstatat(store.objects_fd(), object.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode)) {
      object_sizes.emplace(*object.digest, static_cast<std::uint64_t>(st.st_size));
    }
  }
  struct Job {
    int dir_fd;
    std::string subject;
    const StoredFile* file;
  };
  std::vector<Job> jobs;
  for (const auto& o : objects) jobs.push_back({store.objects_fd(), "objects/sha256/" + o.name, &o});
  for (const auto& b : blobs) jobs.push_back({store.blobs_fd(), "blobs/sha256/" + b.name, &b});
  parallel_for(jobs.size(), threads, [&](std::size_t i) {
    const Job& job = jobs[i];
    if (!job.file->digest) {
      add_damage(job.subject, "does not belong in the store (its name is not a sha256 digest)");
      return;
    }
    if (auto problem = check_content(job.dir_fd, job.file->name, *job.file->digest)) {
      add_damage(job.subject, *problem);
    }
  });
  report.objects = objects.size();
  report.blobs = blobs.size();

  // 2. Every package's documents exist and parse, and its files are present.
  auto packages = store.index().packages();
  report.packages = packages.size();
  for (const auto& record : packages) {
    std::string subject = describe(record);
    try {
      auto id = Digest::parse(record.id);
      auto fileset_id = Digest::parse(record.fileset);
      if (!id || !fileset_id) {
        add_damage(subject, "its index row holds a malformed digest");
        continue;
      }
      auto document = store.read_blob(*id);
      if (!document) {
        add_damage(subject, fmt::format("its package document blob {} is missing", id->str()));
      } else if (check_package) {
        if (auto problem = check_package(record, *document)) add_damage(subject, *problem);
      }
      if (package_blobs) {
        for (const auto& blob : package_blobs(record)) {
          if (!store.has_blob(blob)) add_damage(subject, fmt::format("its metadata names blob {}, which is missing", blob.str()));
        }
      }
      auto manifest_bytes = store.read_blob(*fileset_id);
      if (!manifest_bytes) {
        add_damage(subject, fmt::format("its FileSet manifest blob {} is missing", fileset_id->str()));
        continue;
      }
      Manifest manifest = Manifest::parse(*manifest_bytes, fileset_id->str());
      if (manifest.entries().size() != record.entries || manifest.content_size() != record.size) {
        add_damage(subject, "its index row does not match its FileSet manifest (entry count or size)");
      }
      const bool partial = store.index().partial_filter(record.id).has_value();
      if (partial) ++report.partial_packages;
      for (const auto& entry : manifest.entries()) {
        if (entry.type != EntryType::file) continue;
        auto it = object_sizes.find(entry.digest);
        if (it == object_sizes.end()) {
          if (partial) continue;
          add_damage(subject,
                     fmt::format("the content of {} (object {}) is missing", quote(entry.path), entry.digest.str()));
        } else if (it->second != entry.size) {
          add_damage(subject, fmt::format("the content of {} (object {}) has {} bytes, not {}", quote(entry.path),
                                          entry.digest.str(), it->second, entry.size));
        }
      }
    } catch (const Error& e) {
      add_damage(subject, e.what());
    }
  }
  // 3. Every blob an image or a layer record names exists.
  std::unordered_set<Digest, DigestHash> present_blobs;
  for (const auto& b : blobs) {
    if (b.digest) present_blobs.insert(*b.digest);
  }
  for (const auto& image : store.index().images()) {
    report.images += 1;
    for (const auto& blob : store.index().image_blobs_of(image.digest)) {
      auto digest = Digest::parse(blob);
      if (!digest || !present_blobs.contains(*digest)) {
        add_damage(fmt::format("image {}", image.digest), fmt::format("its blob {} is missing", blob));
      }
    }
  }
  for (const auto& blob : store.index().layer_blobs()) {
    auto digest = Digest::parse(blob);
    if (!digest || !present_blobs.contains(*digest)) {
      add_damage(fmt::format("layer {}", blob), "its blob is missing (it is made again at the next build)");
    }
  }
  std::sort(report.damage.begin(), report.damage.end(), [](const Damage& a, const Damage& b) {
    return std::tie(a.subject, a.problem) < std::tie(b.subject, b.problem);
  });
  return report;
}

namespace {

// True when `dir/bundle/rootfs` is a mount point (the container's overlay).
bool root_is_mounted(const std::filesystem::path& dir) {
  struct stat root {}, bundle {};
  if (::stat((dir / "bundle/rootfs").c_str(), &root) != 0) return false;
  if (::stat((dir / "bundle").c_str(), &bundle) != 0) return false;
  return root.st_dev != bundle.st_dev;
}

// run/<name>/ is a container's directory (run/container.hpp). Its `lock` is
// held by the `sheaf run` that owns it, for the container's life; `trees`
// names the package trees under its overlay, one per line.
void sweep_runs_and_trees(LocalStore& store, bool dry_run, GcReport& report) {
  std::set<std::string> in_use;
  std::filesystem::path runs = store.root() / "run";
  std::error_code ec;
  if (std::filesystem::is_directory(runs, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(runs, ec)) {
      const auto& dir = entry.path();
      UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir_fd) continue;
      // The owner is alive while it holds the lock. `sheaf run` sets its
      // directory up under the shared store lock, so one without a lock
      // file was left by a run killed during its set-up.
      bool alive = ::faccessat(dir_fd.get(), "lock", F_OK, 0) == 0 &&
                   !FileLock::try_acquire(dir_fd.get(), "lock", LockMode::exclusive, (dir / "lock").string());
      if (!alive && !root_is_mounted(dir)) {
        report.runs_removed += 1;
        if (!dry_run) std::filesystem::remove_all(dir, ec);
        continue;
      }
      std::ifstream trees(dir / "trees");
      for (std::string line; std::getline(trees, line);) {
        if (!line.empty()) in_use.insert(line);
      }
    }
  }
  // Package trees (run/package_tree.hpp) are named by their package's hex id,
  // with "-<filter>" after it when drop_paths shaped them.
  std::filesystem::path trees = store.root() / "trees";
  if (std::filesystem::is_directory(trees, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(trees, ec)) {
      std::string name = entry.path().filename().string();
      if (store.index().package("sha256:" + name.substr(0, 64))) continue;
      if (in_use.contains(name)) {
        report.trees_in_use += 1;
        continue;
      }
      report.trees_removed += 1;
      if (!dry_run) std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

}  // namespace

GcReport collect_garbage(LocalStore& store, const GcOptions& options) {
  StoreLock lock = store.lock_exclusive(options.wait);
  const bool dry_run = options.dry_run;
  GcReport report;

  // The roots are the packages in the index; everything they reach is live.
  std::unordered_set<Digest, DigestHash> live_blobs;
  std::unordered_set<Digest, DigestHash> live_objects;
  for (const auto& record : store.index().packages()) {
    with_context(fmt::format("while collecting what {} references; nothing was removed "
                             "(run 'sheaf store verify')",
                             describe(record)),
                 [&] {
                   auto id = Digest::parse(record.id);
                   auto fileset_id = Digest::parse(record.fileset);
                   if (!id || !fileset_id) fail("its index row holds a malformed digest");
                   live_blobs.insert(*id);
                   live_blobs.insert(*fileset_id);
                   if (options.package_blobs) {
                     for (const auto& blob : options.package_blobs(record)) live_blobs.insert(blob);
                   }
                   auto bytes = store.read_blob(*fileset_id);
                   if (!bytes) fail("its FileSet manifest {} is missing", fileset_id->str());
                   Manifest manifest = Manifest::parse(*bytes, fileset_id->str());
                   for (const auto& entry : manifest.entries()) {
                     if (entry.type == EntryType::file) live_objects.insert(entry.digest);
                   }
                 });
  }

  // Images keep their manifests, configs and layers; the layer cache keeps
  // the layer blobs of packages still in the store.
  auto keep_blobs = [&](const std::vector<std::string>& names) {
    for (const auto& name : names) {
      if (auto digest = Digest::parse(name)) live_blobs.insert(*digest);
    }
  };
  keep_blobs(store.index().image_blobs());
  keep_blobs(store.index().layer_blobs());

  std::vector<Digest> removed_objects;
  auto sweep = [&](int dir_fd, const std::vector<StoredFile>& files, const std::unordered_set<Digest, DigestHash>& live,
                   std::uint64_t& removed) {
    for (const auto& file : files) {
      if (file.digest && live.contains(*file.digest)) continue;
      if (file.digest && dir_fd == store.objects_fd()) removed_objects.push_back(*file.digest);
      std::uint64_t bytes = allocated_bytes(dir_fd, file.name);
      if (!dry_run && ::unlinkat(dir_fd, file.name.c_str(), 0) != 0) {
        if (errno == ENOENT) continue;
        if (errno == EISDIR) continue;  // a stray directory; verify reports it
        fail_errno(errno, fmt::format("cannot remove {}", quote(file.name)));
      }
      removed += 1;
      report.bytes_freed += bytes;
    }
  };
  sweep(store.objects_fd(), list_objects(store), live_objects, report.objects_removed);
  sweep(store.blobs_fd(), list_blobs(store), live_blobs, report.blobs_removed);
  if (!dry_run && !removed_objects.empty()) {
    // The file cache must not answer with content that is gone.
    store.index().write([&](Index::Transaction& transaction) {
      for (const auto& digest : removed_objects) transaction.forget_file_content(digest.str());
    });
  }
  report.staging_removed = dry_run ? list_dir(store.tmp_fd(), "tmp").size() : store.remove_staging();
  sweep_runs_and_trees(store, dry_run, report);
  if (options.also) options.also();
  return report;
}

double DiskUsage::dedup_ratio() const {
  return object_bytes == 0 ? 1.0 : static_cast<double>(logical_bytes) / static_cast<double>(object_bytes);
}

DiskUsage disk_usage(LocalStore& store) {
  DiskUsage usage;
  for (const auto& record : store.index().packages()) {
    usage.packages += 1;
    usage.logical_bytes += record.size;
  }
  for (const auto& object : list_objects(store)) {
    struct stat st {};
    if (::fstatat(store.objects_fd(), object.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    usage.objects += 1;
    usage.object_bytes += static_cast<std::uint64_t>(st.st_size);
    usage.disk_bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  for (const auto& blob : list_blobs(store)) {
    struct stat st {};
    if (::fstatat(store.blobs_fd(), blob.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    usage.blobs += 1;
    usage.blob_bytes += static_cast<std::uint64_t>(st.st_size);
    usage.disk_bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  UniqueFd root(::open(store.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root) {
    for (const char* name : {"index.db", "index.db-wal"}) usage.disk_bytes += allocated_bytes(root.get(), name);
  }
  return usage;
}

}  // namespace sheaf::store
