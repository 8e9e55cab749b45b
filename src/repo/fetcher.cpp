#include "repo/fetcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>

#include "base/error.hpp"
#include "base/parallel.hpp"

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

std::vector<const LockedPackage*> missing_packages(store::LocalStore& store, const Lockfile& lock) {
  std::vector<const LockedPackage*> missing;
  for (const auto& p : lock.packages) {
    if (store.index().packages_with_origin(pkg::deb_origin(p.sha256, p.size)).empty()) missing.push_back(&p);
  }
  return missing;
}

FetchReport fetch_locked(store::LocalStore& store, const Lockfile& lock, const std::vector<SuiteSource>& suites,
                         const NetworkSettings& network, const FetchOptions& options) {
  FetchReport report;
  auto missing = missing_packages(store, lock);
  report.present = lock.packages.size() - missing.size();
  if (missing.empty()) return report;

  // gc prunes old partial downloads under the exclusive lock; hold it shared.
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);
  std::filesystem::path partial_dir = store.root() / "cache" / "apt" / "partial";
  std::error_code ec;
  std::filesystem::create_directories(partial_dir, ec);
  if (ec) fail("cannot create {}: {}", quote(partial_dir.string()), ec.message());

  std::vector<std::string> urls;
  std::vector<std::filesystem::path> files;
  FetchProgress progress;
  for (const auto* p : missing) {
    urls.push_back(package_url(*p, suites));
    files.push_back(partial_dir / (p->sha256.hex() + ".deb"));
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

  unsigned threads = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(missing.size())));
  // A downloader keeps its connections open; a worker borrows one per file.
  std::mutex idle_mutex;
  std::vector<std::unique_ptr<Downloader>> idle;
  for (unsigned i = 0; i < threads; ++i) idle.push_back(std::make_unique<Downloader>(network));
  struct Borrowed {
    std::mutex& mutex;
    std::vector<std::unique_ptr<Downloader>>& pool;
    std::unique_ptr<Downloader> downloader;
    Borrowed(std::mutex& m, std::vector<std::unique_ptr<Downloader>>& p) : mutex(m), pool(p) {
      std::lock_guard guard(mutex);
      downloader = std::move(pool.back());
      pool.pop_back();
    }
    ~Borrowed() {
      std::lock_guard guard(mutex);
      pool.push_back(std::move(downloader));
    }
  };

  // Every download runs to its end; the first failure in lock order is
  // reported, so the message does not depend on thread timing.
  std::vector<std::exception_ptr> failures(missing.size());
  parallel_for(missing.size(), threads, [&](std::size_t i) {
    const LockedPackage& p = *missing[i];
    const auto& file = files[i];
    const std::string shown = fmt::format("{} {} ({})", p.name, p.version, urls[i]);
    try {
      with_context(fmt::format("while fetching {}", shown), [&] {
        // A complete file from an earlier run is checked, not fetched again.
        std::uint64_t have = size_of(file);
        bool complete = have == p.size && digest_file(file.string()).digest == p.sha256;
        if (!complete) {
          if (have >= p.size)
            std::filesystem::remove(file);  // cannot be a prefix of the right file
          else if (have > 0)
            add_bytes(have, false);
          Borrowed borrowed(idle_mutex, idle);
          auto result = borrowed.downloader->fetch({.url = urls[i],
                                                    .destination = file,
                                                    .resume = true,
                                                    .max_size = p.size,
                                                    .on_bytes = [&](std::uint64_t n) {
                                                      transferred += n;
                                                      add_bytes(n, false);
                                                    }});
          if (result.status == DownloadResult::Status::not_found) {
            fail(
                "the mirror has no {} (HTTP 404); it may have dropped this version. A snapshot mirror still serves it: "
                "set mirror in [source.debian]",
                urls[i]);
          }
          auto actual = digest_file(file.string());
          if (actual.size != p.size || actual.digest != p.sha256) {
            std::filesystem::remove(file);
            if (actual.size != p.size) {
              fail("the download has {} bytes, but the lock says {}: the mirror served a different file", actual.size,
                   p.size);
            }
            fail("the download's sha256 is {}, but the lock says {}: the file is damaged or was tampered with",
                 actual.digest.str(), p.sha256.str());
          }
        } else {
          add_bytes(p.size, false);
        }
        add_bytes(0, true);
      });
    } catch (...) {
      failures[i] = std::current_exception();
    }
  });
  std::size_t failed = static_cast<std::size_t>(
      std::count_if(failures.begin(), failures.end(), [](const auto& f) { return f != nullptr; }));
  for (const auto& failure : failures) {
    if (!failure) continue;
    try {
      std::rethrow_exception(failure);
    } catch (Error& e) {
      if (failed > 1) e.add_context(fmt::format("and {} more of the {} downloads failed", failed - 1, missing.size()));
      throw;
    }
  }
  report.downloaded = missing.size();
  report.bytes = transferred.load();

  pkg::ImportOptions import_options;
  import_options.threads = options.import_threads;
  // Every file was just checked against the lock: import need not hash it first.
  for (const auto* p : missing) import_options.known_digests.push_back({p->sha256, p->size});
  report.imported = with_context("while importing the fetched packages",
                                 [&] { return pkg::import_debs(store, files, import_options); });
  for (const auto& file : files) std::filesystem::remove(file, ec);
  return report;
}

}  // namespace sheaf::repo
