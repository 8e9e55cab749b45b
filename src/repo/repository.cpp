#include "repo/repository.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "repo/index_decoder.hpp"
#include "repo/release.hpp"

namespace sheaf::repo {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string format_date(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

void warn_to(const LoadOptions& options, const std::string& message) {
  if (options.warn) {
    options.warn(message);
  } else {
    fmt::print(stderr, "sheaf: WARNING: {}\n", message);
  }
}

}  // namespace

std::vector<SuiteSource> plan_suites(const spec::DebianSource& source, const AptConfig& apt) {
  std::vector<SuiteSource> out;
  for (const auto& suite : source.suites) {
    SuiteSource s;
    s.suite = suite;
    s.components = source.components;
    s.arch = source.arch;
    if (source.mirror) {
      s.uri = *source.mirror;
      s.origin = "the spec's mirror";
    } else {
      const AptSource* chosen = nullptr;
      std::vector<std::string> near;
      for (const auto& host : apt.sources) {
        if (host.suite != suite) continue;
        bool arch_ok = host.architectures.empty() || contains(host.architectures, source.arch);
        bool components_ok = std::all_of(source.components.begin(), source.components.end(),
                                         [&](const std::string& c) { return contains(host.components, c); });
        if (arch_ok && components_ok) {
          chosen = &host;
          break;
        }
        near.push_back(
            fmt::format("{} ({} {}; architectures: {})", host.where, host.uri, fmt::join(host.components, " "),
                        host.architectures.empty() ? "any" : fmt::format("{}", fmt::join(host.architectures, " "))));
      }
      if (!chosen) {
        std::string message = fmt::format(
            "no host apt source serves suite {} with components {} for {}; add one to /etc/apt/sources.list.d or set "
            "mirror in [source.debian]",
            quote(suite), fmt::join(source.components, " "), source.arch);
        if (!near.empty())
          message +=
              fmt::format("\n  sources that list {} but do not fit:\n    {}", quote(suite), fmt::join(near, "\n    "));
        fail("{}", message);
      }
      s.uri = chosen->uri;
      s.origin = chosen->where;
      if (!chosen->signed_by.empty()) s.keyring = chosen->signed_by.front();
    }
    if (source.keyring) s.keyring = *source.keyring;
    if (s.keyring.empty()) s.keyring = kDebianArchiveKeyring;
    out.push_back(std::move(s));
  }
  return out;
}

std::filesystem::path apt_cache_dir(const std::filesystem::path& store_root) {
  return store_root / "cache" / "apt";
}

RepositoryCache::RepositoryCache(std::filesystem::path cache_dir, const NetworkSettings& network)
    : dir_(std::move(cache_dir)), network_(network), downloader_(network.http) {
  std::error_code ec;
  for (const char* sub : {"release", "index", "solv", "tmp"}) {
    std::filesystem::create_directories(dir_ / sub, ec);
    if (ec) fail("cannot create the cache directory {}: {}", quote((dir_ / sub).string()), ec.message());
  }
}

// The suffix names what Resolver::add_index stores in a parsed index; bump it
// when that changes.
constexpr std::string_view kSolvSuffix = ".sheaf4.solv";

std::filesystem::path RepositoryCache::solv_path(const Digest& index) const {
  return dir_ / "solv" / (index.hex() + std::string(kSolvSuffix));
}

CachePruneReport prune_cache(const std::filesystem::path& cache_dir, bool dry_run, std::int64_t min_age_seconds) {
  CachePruneReport report;
  std::error_code ec;
  if (!std::filesystem::is_directory(cache_dir, ec)) return report;
  // Every index a cached Release lists is still wanted. A Release that does
  // not parse keeps everything: pruning must never guess.
  std::set<std::string> wanted;
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir / "release", ec)) {
    if (entry.path().extension() == ".json") continue;
    if (entry.path().extension() == ".lock") continue;  // removed below
    try {
      auto release = Release::parse(strip_clearsign(read_file(entry.path().string())), entry.path().string());
      for (const auto& hex : release.sha256_hexes()) wanted.insert(hex);
    } catch (const Error&) {
      return report;
    }
  }
  auto now = std::filesystem::file_time_type::clock::now();
  auto remove = [&](const std::filesystem::path& path) {
    std::error_code size_ec;
    auto size = std::filesystem::file_size(path, size_ec);
    if (!dry_run && !std::filesystem::remove(path, size_ec)) return;
    ++report.files;
    report.bytes += size_ec ? 0 : size;
  };
  auto old_enough = [&](const std::filesystem::directory_entry& entry) {
    std::error_code time_ec;
    auto age = now - entry.last_write_time(time_ec);
    return !time_ec && age >= std::chrono::seconds(min_age_seconds);
  };
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir / "index", ec)) {
    if (!wanted.count(entry.path().filename().string())) remove(entry.path());
  }
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir / "solv", ec)) {
    std::string name = entry.path().filename().string();
    bool current = name.ends_with(kSolvSuffix) && wanted.count(name.substr(0, name.size() - kSolvSuffix.size()));
    if (!current) remove(entry.path());
  }
  // Downloads: partial ones and verified ones that no import took (their
  // fetch died), and source packages' files (fetched again when a recipe
  // needs them), are kept an hour for a retry to resume or use. The callers
  // hold the exclusive store lock, so no fetch is running: its download
  // locks and private directories of links are all stale.
  // Lock files are empty and recreated on use; they are removed, not counted.
  auto is_lock = [](const std::filesystem::path& path) {
    return path.extension() == ".lock" || path.extension() == ".import";
  };
  auto remove_lock = [&](const std::filesystem::path& path) {
    std::error_code lock_ec;
    if (!dry_run) std::filesystem::remove(path, lock_ec);
  };
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir / "release", ec)) {
    if (is_lock(entry.path())) remove_lock(entry.path());  // suite locks (lock_suite)
  }
  for (const char* sub : {"tmp", "partial", "debs", "sources"}) {
    for (const auto& entry : std::filesystem::directory_iterator(cache_dir / sub, ec)) {
      std::error_code type_ec;
      if (is_lock(entry.path())) {
        remove_lock(entry.path());
      } else if (entry.is_directory(type_ec)) {
        if (!old_enough(entry)) continue;
        ++report.files;
        if (!dry_run) std::filesystem::remove_all(entry.path(), type_ec);
      } else if (old_enough(entry)) {
        remove(entry.path());
      }
    }
  }
  return report;
}

std::uint64_t cache_size(const std::filesystem::path& cache_dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(cache_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += it->file_size(size_ec);
  }
  return total;
}

namespace {

std::string suite_key(const SuiteSource& source) {
  return Digest::of(fmt::format("{}/dists/{}", source.uri, source.suite)).hex();
}

}  // namespace

FileLock RepositoryCache::lock_suite(const SuiteSource& source,
                                     const std::function<void(const std::string&)>& note) const {
  std::string name = suite_key(source) + ".lock";
  std::string shown = (dir_ / "release" / name).string();
  UniqueFd release_fd(::open((dir_ / "release").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!release_fd) fail_errno(errno, "cannot open " + quote((dir_ / "release").string()));
  return FileLock::acquire(release_fd.get(), name, LockMode::exclusive, shown, [&](const std::vector<pid_t>& holders) {
    if (note) {
      note(fmt::format("waiting for {}, which is reading suite {} from {}, and using what it reads",
                       describe_pids(holders), quote(source.suite), source.uri));
    }
  });
}

std::filesystem::path RepositoryCache::temp_path(std::string_view hint) const {
  return dir_ / "tmp" / fmt::format("{}-{}", random_hex(8), hint);
}

LoadedSuite RepositoryCache::load(const SuiteSource& source, const LoadOptions& options) {
  LoadedSuite loaded;
  loaded.source = source;
  const std::string dists = fmt::format("{}/dists/{}", source.uri, source.suite);
  const std::string key = suite_key(source);
  const std::filesystem::path cached_release = dir_ / "release" / key;
  const std::filesystem::path cached_meta = dir_ / "release" / (key + ".json");

  // 1. InRelease, as a conditional request when the cache has a copy.
  std::optional<std::int64_t> cached_time;
  std::string cached_name;
  std::error_code ec;
  if (std::filesystem::exists(cached_release, ec) && std::filesystem::exists(cached_meta, ec)) {
    try {
      auto meta = nlohmann::json::parse(read_file(cached_meta.string()));
      cached_name = meta.at("file").get<std::string>();
      if (meta.contains("last_modified")) cached_time = meta.at("last_modified").get<std::int64_t>();
      // Two processes that cached the same suite at once may leave one's
      // meta beside the other's Release: then its time says nothing.
      if (!meta.contains("sha256") ||
          meta.at("sha256").get<std::string>() != digest_file(cached_release.string()).digest.hex()) {
        cached_name.clear();
      }
    } catch (const std::exception&) {
      cached_name.clear();  // an unreadable cache entry is simply not used
    }
  }
  std::filesystem::path fetched = temp_path("InRelease");
  std::filesystem::path detached;  // Release.gpg, when there is no InRelease
  std::optional<std::int64_t> last_modified;
  struct Cleanup {
    std::vector<std::filesystem::path> paths;
    ~Cleanup() {
      std::error_code ignored;
      for (const auto& p : paths) std::filesystem::remove(p, ignored);
    }
  } cleanup{{fetched}};

  // A conditional request saves a transfer from a mirror. A local file is
  // read again instead: its mtime has only one-second resolution.
  bool conditional = cached_name == "InRelease" && !source.uri.starts_with("file:");
  auto result = downloader_.fetch({.url = dists + "/InRelease",
                                   .destination = fetched,
                                   .if_modified_since = conditional ? cached_time : std::nullopt,
                                   .max_size = 64u << 20});
  if (result.status == http::DownloadResult::Status::not_modified) {
    std::filesystem::copy_file(cached_release, fetched, std::filesystem::copy_options::overwrite_existing);
    loaded.release_file = "InRelease";
    last_modified = cached_time;
  } else if (result.status == http::DownloadResult::Status::done) {
    loaded.release_file = "InRelease";
    last_modified = result.last_modified;
    ++loaded.downloads;
  } else {
    // No InRelease: Release, with Release.gpg beside it.
    result = downloader_.fetch({.url = dists + "/Release", .destination = fetched, .max_size = 64u << 20});
    if (result.status != http::DownloadResult::Status::done) {
      fail("{} has neither InRelease nor Release: suite {} is not on this mirror ({})", dists, quote(source.suite),
           source.origin);
    }
    loaded.release_file = "Release";
    last_modified = result.last_modified;
    ++loaded.downloads;
    detached = temp_path("Release.gpg");
    cleanup.paths.push_back(detached);
    auto sig = downloader_.fetch({.url = dists + "/Release.gpg", .destination = detached, .max_size = 1u << 20});
    if (sig.status != http::DownloadResult::Status::done) detached.clear();
  }
  const std::string release_url = dists + "/" + loaded.release_file;
  loaded.release_sha256 = digest_file(fetched.string()).digest;

  // 2. The signature. Only verified bytes are parsed.
  std::string text;
  try {
    if (loaded.release_file == "InRelease") {
      text = verify_clearsigned(fetched, source.keyring, release_url);
    } else {
      if (detached.empty()) fail("{} failed verification: it is not signed (there is no Release.gpg)", release_url);
      verify_detached(detached, fetched, source.keyring, release_url);
      text = read_file(fetched.string());
    }
    loaded.verified = true;
  } catch (const Error& e) {
    if (!options.allow_unsigned) {
      throw Error(
          fmt::format("{}\n  sheaf refuses unverified repositories; --allow-unsigned accepts one (for local test "
                      "repositories only)",
                      e.what()));
    }
    warn_to(options, fmt::format("USING AN UNVERIFIED REPOSITORY because of --allow-unsigned: {}", e.what()));
    std::string raw = read_file(fetched.string());
    text = loaded.release_file == "InRelease" ? strip_clearsign(raw) : raw;
  }
  Release release = Release::parse(text, release_url);
  if (release.suite() != source.suite && release.codename() != source.suite) {
    fail("{} describes suite {} (codename {}), not the requested {}", release_url, quote(release.suite()),
         quote(release.codename()), quote(source.suite));
  }
  if (release.valid_until() && *release.valid_until() < options.now) {
    fail("{} expired on {} (Valid-Until); the mirror is out of date, or this machine's clock is wrong", release_url,
         format_date(*release.valid_until()));
  }
  loaded.valid_until = release.valid_until();

  // 3. The Packages index of each component (and its Sources index, when
  // asked for). An index is fetched only when the cache lacks its sha256.
  auto load_index = [&](const std::string& component, std::string_view kind, const std::string& dir) {
    LoadedIndex index;
    index.component = component;
    const ReleaseEntry* entry = nullptr;
    // .gz first: it decompresses 7 times faster (index_decoder.hpp).
    for (const char* suffix : {".gz", ".xz"}) {
      index.path = fmt::format("{}/{}/{}{}", component, dir, kind, suffix);
      if ((entry = release.find(index.path))) break;
    }
    // Components are matched by the files the Release lists, not by its Components
    // field: security suites list "updates/main" there but serve "main/".
    if (!entry) {
      fail("{} lists no {}.xz or {}.gz for component {}{} (its components: {})", release_url, kind, kind,
           quote(component), kind == "Packages" ? " on " + source.arch : std::string(),
           fmt::join(release.components(), " "));
    }
    index.sha256 = entry->sha256;
    index.size = entry->size;
    index.file = dir_ / "index" / entry->sha256.hex();
    if (!std::filesystem::exists(index.file, ec)) {
      std::filesystem::path download = temp_path(kind);
      cleanup.paths.push_back(download);
      std::string url = fmt::format("{}/{}", dists, index.path);
      // Decode while downloading; the text counts only if the file verifies.
      auto decoder = IndexDecoder::for_path(index.path, kMaxIndexText);
      auto got = downloader_.fetch({.url = url,
                                    .destination = download,
                                    .max_size = entry->size,
                                    .on_data = [&](std::uint64_t offset, std::string_view chunk) {
                                      if (decoder) decoder->feed(offset, chunk);
                                    }});
      if (got.status != http::DownloadResult::Status::done)
        fail("{} is listed in {} but missing on the mirror", url, release_url);
      ++loaded.downloads;
      auto actual = digest_file(download.string());
      if (actual.size != entry->size) {
        fail("{} has {} bytes but {} lists {}: the index is damaged or was tampered with", url, actual.size,
             loaded.release_file, entry->size);
      }
      if (actual.digest != entry->sha256) {
        fail("{} does not match the sha256 in {} (got {}, expected {}): the index is damaged or was tampered with", url,
             loaded.release_file, actual.digest.str(), entry->sha256.str());
      }
      std::filesystem::rename(download, index.file);
      if (decoder && decoder->finished() && !decoder->failed()) {
        index.text = std::make_shared<const std::string>(decoder->take());
      }
    }
    return index;
  };
  for (const auto& component : source.components) {
    loaded.indexes.push_back(load_index(component, "Packages", "binary-" + source.arch));
  }
  if (options.sources) {
    for (const auto& component : source.components) {
      loaded.source_indexes.push_back(load_index(component, "Sources", "source"));
    }
  }

  // 4. Only now, with everything verified, does the Release enter the cache.
  if (result.status != http::DownloadResult::Status::not_modified) {
    nlohmann::json meta{{"file", loaded.release_file}, {"url", release_url}, {"sha256", loaded.release_sha256.hex()}};
    if (last_modified) meta["last_modified"] = *last_modified;
    std::filesystem::path meta_tmp = temp_path("meta");
    cleanup.paths.push_back(meta_tmp);
    {
      std::ofstream out(meta_tmp, std::ios::binary);
      out << meta.dump() << '\n';
      if (!out) fail("cannot write {}", quote(meta_tmp.string()));
    }
    // The release first: a meta file always describes the release beside it.
    std::filesystem::rename(fetched, cached_release);
    std::filesystem::rename(meta_tmp, cached_meta);
  }
  return loaded;
}

}  // namespace sheaf::repo
