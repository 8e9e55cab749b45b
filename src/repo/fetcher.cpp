#include "repo/fetcher.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>

#include "base/error.hpp"
#include "base/file_lock.hpp"
#include "base/fs.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"
#include "pkg/derived.hpp"

namespace sheaf::repo {

namespace {

std::uint64_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

}  // namespace

std::string package_url(const LockedPackage& package, const std::vector<SuiteSource>& suites) {
  for (const auto& suite : suites) {
    if (suite.suite == package.suite) return fmt::format("{}/{}", suite.uri, package.filename);
  }
  fail("{} {} comes from suite {}, which the spec no longer lists; run 'sheaf lock'", package.name, package.version,
       quote(package.suite));
}

std::vector<std::pair<std::string, std::filesystem::path>> fetch_source_package(const std::filesystem::path& cache_dir,
                                                                                const LockedSource& source,
                                                                                const std::vector<SuiteSource>& suites,
                                                                                const NetworkSettings& network) {
  auto suite =
      std::find_if(suites.begin(), suites.end(), [&](const SuiteSource& s) { return s.suite == source.suite; });
  if (suite == suites.end()) {
    fail("the source package {} {} comes from suite {}, which the recipe no longer lists; run 'sheaf recipe lock'",
         source.name, source.version, quote(source.suite));
  }
  std::filesystem::create_directories(cache_dir / "sources");
  std::filesystem::create_directories(cache_dir / "tmp");
  std::optional<http::Downloader> downloader;
  std::vector<std::pair<std::string, std::filesystem::path>> out;
  for (const auto& file : source.files) {
    std::filesystem::path kept = cache_dir / "sources" / file.sha256.hex();
    std::error_code ec;
    // A kept file is checked again, as a download is: the cache is not
    // trusted more than the mirror.
    if (std::filesystem::is_regular_file(kept, ec) && size_of(kept) == file.size &&
        digest_file(kept.string()).digest == file.sha256) {
      out.emplace_back(file.name, kept);
      continue;
    }
    std::string url = fmt::format("{}/{}/{}", suite->uri, source.directory, file.name);
    std::filesystem::path download = cache_dir / "tmp" / fmt::format("{}-{}", random_hex(8), file.name);
    struct Remove {
      std::filesystem::path path;
      ~Remove() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
      }
    } cleanup{download};
    if (!downloader) downloader.emplace(network.http);
    auto got = downloader->fetch({.url = url, .destination = download, .max_size = file.size});
    if (got.status != http::DownloadResult::Status::done) {
      fail("{} is missing on the mirror, though the Sources index of {} lists it ({} {})", url, source.suite,
           source.name, source.version);
    }
    auto actual = digest_file(download.string());
    if (actual.size != file.size || actual.digest != file.sha256) {
      fail(
          "{} does not match the lock ({} bytes, sha256 {}; the lock has {} bytes, {}): the file is damaged or was "
          "tampered with, and was not used",
          url, actual.size, actual.digest.str(), file.size, file.sha256.str());
    }
    std::filesystem::rename(download, kept);
    out.emplace_back(file.name, kept);
  }
  return out;
}

namespace {

// The store holds the package of this .deb, and needs nothing more from the
// .deb: not a package an older sheaf imported without keeping its scripts.
bool store_holds(store::LocalStore& store, const LockedPackage& p) {
  auto known = store.index().packages_with_origin(pkg::deb_origin(p.sha256, p.size));
  return !known.empty() && !pkg::needs_deb_again(known.front().metadata);
}

}  // namespace

std::vector<const LockedPackage*> missing_packages(store::LocalStore& store, const Lockfile& lock) {
  std::vector<const LockedPackage*> missing;
  for (const auto& p : lock.packages) {
    if (p.from_debian() && !store_holds(store, p)) missing.push_back(&p);
  }
  return missing;
}

namespace {

// How one locked file reached this fetch.
enum class Obtained {
  in_store,    // another process imported it meanwhile: nothing to import
  shared,      // another process downloaded it, and left it to this one to import
  importing,   // another process downloaded it and is importing it: wait for that at the end
  downloaded,  // this process downloaded it
};

// The shared download area, and this fetch's private directory of links.
struct DownloadArea {
  std::filesystem::path partial;  // partial/
  std::filesystem::path ready;    // debs/
  std::filesystem::path mine;     // tmp/fetch-<random>/
  UniqueFd partial_fd;

  explicit DownloadArea(const std::filesystem::path& cache) {
    partial = cache / "partial";
    ready = cache / "debs";
    mine = cache / "tmp" / ("fetch-" + random_hex(8));
    for (const auto& dir : {partial, ready, mine}) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) fail("cannot create {}: {}", quote(dir.string()), ec.message());
    }
    partial_fd = UniqueFd(::open(partial.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!partial_fd) fail_errno(errno, "cannot open " + quote(partial.string()));
  }
  ~DownloadArea() {
    std::error_code ec;
    std::filesystem::remove_all(mine, ec);
  }
  DownloadArea(const DownloadArea&) = delete;
  DownloadArea& operator=(const DownloadArea&) = delete;

  // Links debs/<name> into this fetch's directory; false when it is not there.
  bool link_ready(const std::string& name) const {
    if (::link((ready / name).c_str(), (mine / name).c_str()) == 0 || errno == EEXIST) return true;
    if (errno == ENOENT) return false;
    fail_errno(errno, "cannot link " + quote((ready / name).string()));
  }
};

// A download that stopped because the disk is full, said plainly, with what
// was kept: the bytes written are a prefix of the file, never taken for all
// of it (only a file that matches the lock leaves partial/).
[[noreturn]] void fail_disk_full(const std::filesystem::path& file, std::uint64_t have, std::uint64_t size) {
  throw http::DiskFullError(fmt::format(
      "the disk holding the store is full (No space left on device) after {} of {} bytes of {}; the partial "
      "download is kept and resumes when the command runs again with space free",
      have, size, quote(file.string())));
}

}  // namespace

FetchReport fetch_locked(store::LocalStore& store, const Lockfile& lock, const std::vector<SuiteSource>& suites,
                         const NetworkSettings& network, const FetchOptions& options) {
  FetchReport report;
  auto missing = missing_packages(store, lock);
  report.present = static_cast<std::size_t>(std::count_if(lock.packages.begin(), lock.packages.end(),
                                                          [](const LockedPackage& p) { return p.from_debian(); })) -
                   missing.size();
  if (missing.empty()) return report;

  // gc prunes the download area under the exclusive lock; hold it shared.
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);
  DownloadArea area(apt_cache_dir(store.root()));

  std::vector<std::string> urls;
  std::vector<std::string> names;  // <sha256>.deb
  FetchProgress progress;
  for (const auto* p : missing) {
    urls.push_back(package_url(*p, suites));
    names.push_back(p->sha256.hex() + ".deb");
    progress.bytes_total += p->size;
  }
  progress.files_total = missing.size();

  std::mutex progress_mutex;
  std::atomic<std::uint64_t> transferred{0};
  auto add_bytes = [&](std::uint64_t bytes, bool file_done) {
    std::lock_guard lock_progress(progress_mutex);
    progress.bytes_done += bytes;
    if (file_done) ++progress.files_done;
    if (options.on_progress) options.on_progress(progress);
  };
  // The index is one SQLite connection: one thread at a time.
  std::mutex index_mutex;
  auto in_store = [&](const LockedPackage& p) {
    std::lock_guard guard(index_mutex);
    return store_holds(store, p);
  };
  std::once_flag noted;

  unsigned threads = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(missing.size())));
  // A downloader keeps its connections open; a worker borrows one per file.
  std::mutex idle_mutex;
  std::vector<std::unique_ptr<http::Downloader>> idle;
  for (unsigned i = 0; i < threads; ++i) idle.push_back(std::make_unique<http::Downloader>(network.http));
  struct Borrowed {
    std::mutex& mutex;
    std::vector<std::unique_ptr<http::Downloader>>& pool;
    std::unique_ptr<http::Downloader> downloader;
    Borrowed(std::mutex& m, std::vector<std::unique_ptr<http::Downloader>>& p) : mutex(m), pool(p) {
      std::lock_guard guard(mutex);
      downloader = std::move(pool.back());
      pool.pop_back();
    }
    ~Borrowed() {
      std::lock_guard guard(mutex);
      pool.push_back(std::move(downloader));
    }
  };

  // Downloads file i into partial/, resuming what is there, and checks it.
  // The caller holds its lock. Returns true when it resumed bytes it found.
  auto download = [&](std::size_t i) {
    const LockedPackage& p = *missing[i];
    std::filesystem::path file = area.partial / names[i];
    for (int attempt = 0;; ++attempt) {
      std::uint64_t have = size_of(file);
      if (have >= p.size && !(have == p.size && digest_file(file.string()).digest == p.sha256)) {
        std::filesystem::remove(file);  // cannot be a prefix of the right file
        have = 0;
      }
      bool resumed = have > 0;
      if (have > 0) add_bytes(have, false);
      if (have < p.size) {
        Borrowed borrowed(idle_mutex, idle);
        http::DownloadResult result;
        try {
          result = borrowed.downloader->fetch({.url = urls[i],
                                               .destination = file,
                                               .resume = true,
                                               .max_size = p.size,
                                               .on_bytes = [&](std::uint64_t n) {
                                                 transferred += n;
                                                 add_bytes(n, false);
                                               }});
        } catch (const http::DiskFullError&) {
          fail_disk_full(file, size_of(file), p.size);
        }
        if (result.status == http::DownloadResult::Status::not_found) {
          fail(
              "the mirror has no {} (HTTP 404); it may have dropped this version. A snapshot mirror still serves it: "
              "set mirror in [source.debian]",
              urls[i]);
        }
      }
      auto actual = digest_file(file.string());
      if (actual.size == p.size && actual.digest == p.sha256) return resumed;
      std::filesystem::remove(file);
      // Bytes found in partial/ may be a dead process's, from a mirror that
      // has changed since: start over once before blaming the mirror.
      if (resumed && attempt == 0) continue;
      if (actual.size != p.size) {
        fail("the download has {} bytes, but the lock says {}: the mirror served a different file", actual.size,
             p.size);
      }
      fail("the download's sha256 is {}, but the lock says {}: the file is damaged or was tampered with",
           actual.digest.str(), p.sha256.str());
    }
  };

  // Whoever downloaded a file imports it, holding partial/<sha256>.import
  // from before the file appears in debs/ until its import commits. A
  // process that finds the file in debs/ with that lock free imports it
  // itself (its importer died or failed); with the lock held, it leaves the
  // file to its importer and, after its own import, waits for that one and
  // checks (the end of this function). No process waits for an import lock
  // held by a process that is itself waiting for one, so these waits cannot
  // form a cycle: an importer imports without waiting, and the one blocking
  // acquire while holding others (after a download, below) can only meet
  // an importer that has committed and is letting go.
  std::vector<std::optional<FileLock>> import_locks(missing.size());
  auto import_lock_name = [&](std::size_t i) { return missing[i]->sha256.hex() + ".import"; };
  auto take_ready = [&](std::size_t i) -> Obtained {
    std::string name = import_lock_name(i);
    auto import_lock =
        FileLock::try_acquire(area.partial_fd.get(), name, LockMode::exclusive, (area.partial / name).string());
    if (!import_lock) return Obtained::importing;
    if (in_store(*missing[i])) return Obtained::in_store;  // imported between our looks
    import_locks[i] = std::move(import_lock);
    return Obtained::shared;
  };

  // Gets file i into this fetch's directory, or finds its package in the
  // store, downloading it only if no other process has or is doing so.
  std::atomic<std::size_t> taken_over{0};
  auto obtain = [&](std::size_t i) -> Obtained {
    const LockedPackage& p = *missing[i];
    if (in_store(p)) return Obtained::in_store;
    if (area.link_ready(names[i])) return take_ready(i);
    std::string lock_name = p.sha256.hex() + ".lock";
    std::string shown = (area.partial / lock_name).string();
    FileLock file_lock = FileLock::acquire(
        area.partial_fd.get(), lock_name, LockMode::exclusive, shown, [&](const std::vector<pid_t>& holders) {
          if (!options.note) return;
          std::call_once(noted, [&] {
            options.note(fmt::format("waiting for {}, which is downloading {} {}, and using its download",
                                     describe_pids(holders), p.name, p.version));
          });
        });
    // Look again with the lock held: a holder (one we waited for, or one that
    // finished between our first look and the lock) renames its file into
    // debs/ before it lets the lock go.
    if (in_store(p)) return Obtained::in_store;
    if (area.link_ready(names[i])) return take_ready(i);
    if (download(i)) taken_over += 1;
    std::filesystem::path file = area.partial / names[i];
    if (::link(file.c_str(), (area.mine / names[i]).c_str()) != 0 && errno != EEXIST) {
      fail_errno(errno, "cannot link " + quote(file.string()));
    }
    // Only a process that found the file in debs/ takes this lock, and the
    // file is not there yet: nobody holds it but, for a moment, the importer
    // of an earlier copy that has committed (and then removed that copy).
    std::string name = import_lock_name(i);
    import_locks[i] =
        FileLock::acquire(area.partial_fd.get(), name, LockMode::exclusive, (area.partial / name).string());
    if (::rename(file.c_str(), (area.ready / names[i]).c_str()) != 0) {
      fail_errno(errno, "cannot move " + quote(file.string()) + " to " + quote(area.ready.string()));
    }
    return Obtained::downloaded;
  };

  // Every download runs to its end; the first failure in lock order is
  // reported (a full disk before any other), so the message does not depend
  // on thread timing.
  std::vector<std::exception_ptr> failures(missing.size());
  std::vector<Obtained> obtained(missing.size(), Obtained::in_store);
  // Each file this fetch imports is read into one batch as soon as it is
  // here, while the other downloads go on; the batch commits when all are in.
  pkg::DebBatch batch(store, deb::DebLimits{});
  std::vector<pkg::ImportResult> results(missing.size());
  parallel_for(missing.size(), threads, [&](std::size_t i) {
    const LockedPackage& p = *missing[i];
    try {
      with_context(fmt::format("while fetching {} {} ({})", p.name, p.version, urls[i]), [&] {
        obtained[i] = obtain(i);
        if (obtained[i] != Obtained::downloaded) add_bytes(p.size, false);
        add_bytes(0, true);
      });
      if (import_locks[i]) {
        // Every file was checked against the lock: its digest is known.
        with_context("while importing the fetched packages", [&] {
          batch.read(area.mine / names[i], {p.sha256, p.size}, results[i], /*refresh=*/true);
        });
      }
    } catch (...) {
      failures[i] = std::current_exception();
    }
  });
  std::size_t failed = static_cast<std::size_t>(
      std::count_if(failures.begin(), failures.end(), [](const auto& f) { return f != nullptr; }));
  // A full disk explains the failures it causes elsewhere (an import that
  // could not write), so it is reported first, wherever it was.
  auto is_disk_full = [](const std::exception_ptr& failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const http::DiskFullError&) {
      return true;
    } catch (...) {
      return false;
    }
  };
  auto reported = std::find_if(failures.begin(), failures.end(), [&](const auto& f) { return f && is_disk_full(f); });
  if (reported == failures.end()) {
    reported = std::find_if(failures.begin(), failures.end(), [](const auto& f) { return f != nullptr; });
  }
  if (reported != failures.end()) {
    try {
      std::rethrow_exception(*reported);
    } catch (Error& e) {
      if (failed > 1) e.add_context(fmt::format("and {} more of the {} downloads failed", failed - 1, missing.size()));
      throw;
    }
  }
  report.downloaded = static_cast<std::size_t>(std::count(obtained.begin(), obtained.end(), Obtained::downloaded));
  report.shared = missing.size() - report.downloaded;
  report.taken_over = taken_over.load();
  report.bytes = transferred.load();

  // Once the files this fetch holds the import locks of are committed,
  // nobody needs them in debs/ any more (a process that has yet to look
  // finds the packages in the store).
  auto release_owned = [&] {
    std::error_code ec;
    for (std::size_t i = 0; i < missing.size(); ++i) {
      if (!import_locks[i]) continue;
      report.imported.push_back(results[i]);
      std::filesystem::remove(area.ready / names[i], ec);
      import_locks[i].reset();
    }
  };
  with_context("while importing the fetched packages", [&] { batch.commit(); });
  release_owned();

  // Files other processes were importing: wait for each importer, then take
  // over what it did not commit (it failed or died).
  bool noted_import = false;
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (obtained[i] != Obtained::importing) continue;
    std::string name = import_lock_name(i);
    std::string shown = (area.partial / name).string();
    FileLock import_lock = FileLock::acquire(
        area.partial_fd.get(), name, LockMode::exclusive, shown, [&](const std::vector<pid_t>& holders) {
          if (!options.note || noted_import) return;
          options.note(fmt::format("waiting for {}, which is importing {} {}", describe_pids(holders), missing[i]->name,
                                   missing[i]->version));
          noted_import = true;
        });
    if (in_store(*missing[i])) continue;
    // Its importer failed or died. Import it now, alone, so that this
    // process never waits for an import lock while it holds one.
    import_locks[i] = std::move(import_lock);
    pkg::DebBatch alone(store, deb::DebLimits{});
    with_context("while importing the fetched packages", [&] {
      alone.read(area.mine / names[i], {missing[i]->sha256, missing[i]->size}, results[i], /*refresh=*/true);
      alone.commit();
    });
    release_owned();
  }
  return report;
}

}  // namespace sheaf::repo
