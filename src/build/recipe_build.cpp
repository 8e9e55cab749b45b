#include "build/recipe_build.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "base/byte_source.hpp"
#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "fileset/directory_reader.hpp"
#include "image/glob.hpp"

namespace sheaf::build {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Digest file_digest(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail_errno(errno, "cannot read " + quote(path.string()));
  FdSource source(fd.get(), path.string());
  return digest_stream(source).digest;
}

// A directory's FileSet id as a source pin: owners root's, no xattrs (a copy
// does not carry them, and the build sees the copy).
Digest directory_pin(const fs::path& dir) {
  fileset::HashOnlySink sink;
  fileset::Manifest read = fileset::read_directory(dir, sink, {});
  std::vector<fileset::Entry> entries = read.entries();
  for (auto& e : entries) {
    e.uid = 0;
    e.gid = 0;
    e.xattrs.clear();
  }
  return fileset::Manifest::from_entries(std::move(entries)).id();
}

void set_times(const fs::path& path, std::int64_t seconds) {
  struct timespec times[2] = {{static_cast<time_t>(seconds), 0}, {static_cast<time_t>(seconds), 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    fail_errno(errno, "cannot set the time of " + quote(path.string()));
  }
}

void set_tree_times(const fs::path& root, std::int64_t seconds) {
  for (const auto& entry : fs::recursive_directory_iterator(root)) set_times(entry.path(), seconds);
  set_times(root, seconds);
}

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

// `path` less its first `strip` components; "" when nothing is left.
std::string stripped(std::string_view path, unsigned strip) {
  while (path.starts_with("./")) path.remove_prefix(2);
  for (unsigned i = 0; i < strip; ++i) {
    auto slash = path.find('/');
    if (slash == std::string_view::npos) return "";
    path.remove_prefix(slash + 1);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  return std::string(path);
}

// Unpacks `archive_path` below `into`, refusing what could land outside it.
// Returns the newest entry time.
std::optional<std::int64_t> unpack(const fs::path& archive_path, const fs::path& into, unsigned strip,
                                   const std::string& shown) {
  std::unique_ptr<struct archive, ArchiveDeleter> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    fail("the source {} is not an archive sheaf can read: {}", shown, archive_error_string(in.get()));
  }
  std::unique_ptr<struct archive, WriterDeleter> out(archive_write_disk_new());
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_NO_OVERWRITE);
  // Names are checked below and then made absolute under `into`, so
  // libarchive's own refusal of absolute paths would refuse them all.
  std::optional<std::int64_t> newest;
  struct archive_entry* entry = nullptr;
  for (;;) {
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      fail("the source {} is damaged: {}", shown, archive_error_string(in.get()));
    }
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    auto type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      fail(
          "the source {} holds {}, which is not a file, a directory or a symlink; sources hold no devices, "
          "fifos or sockets",
          shown, quote(name));
    }
    if (name.starts_with('/') || name == ".." || name.starts_with("../") || name.find("/../") != std::string::npos ||
        name.ends_with("/..")) {
      fail("the source {} holds {}, which would land outside the build's source directory", shown, quote(name));
    }
    std::string rel = stripped(name, strip);
    if (rel.empty()) continue;  // a stripped leading directory
    if (archive_entry_mtime_is_set(entry)) {
      std::int64_t t = archive_entry_mtime(entry);
      if (!newest || t > *newest) newest = t;
    }
    archive_entry_set_pathname(entry, (into / rel).c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string target = stripped(link, strip);
      if (target.empty()) fail("the source {} holds a hardlink {} to a stripped path", shown, quote(name));
      archive_entry_set_hardlink(entry, (into / target).c_str());
    }
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK) {
      fail("cannot unpack {} from the source {}: {}", quote(name), shown, archive_error_string(out.get()));
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      int r = archive_read_data_block(in.get(), &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK)
        fail("the source {} is damaged at {}: {}", shown, quote(name), archive_error_string(in.get()));
      if (archive_write_data_block(out.get(), block, size, offset) != ARCHIVE_OK) {
        fail("cannot unpack {} from the source {}: {}", quote(name), shown, archive_error_string(out.get()));
      }
    }
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK) {
      fail("cannot unpack {} from the source {}: {}", quote(name), shown, archive_error_string(out.get()));
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    fail("cannot unpack the source {}: {}", shown, archive_error_string(out.get()));
  }
  return newest;
}

}  // namespace

std::string RecipeInputs::key() const {
  json sources_json = json::array();
  for (const auto& [path, digest] : sources) sources_json.push_back({{"path", path}, {"digest", digest}});
  return Digest::of(canonical_json({{"sheaf-recipe-build", kBuildFormat},
                                    {"recipe", recipe.str()},
                                    {"sources", sources_json},
                                    {"environment", environment},
                                    {"arch", arch}}))
      .str();
}

std::string RecipeInputs::origin() const {
  json sources_json = json::array();
  for (const auto& [path, digest] : sources) sources_json.push_back({{"path", path}, {"digest", digest}});
  return canonical_json({{"type", "recipe"},
                         {"key", key()},
                         {"recipe", recipe.str()},
                         {"sources", sources_json},
                         {"environment", environment},
                         {"arch", arch}});
}

std::string pin_of(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(fs::symlink_status(path, ec))) return directory_pin(path).str();
  if (!fs::is_regular_file(fs::symlink_status(path, ec))) {
    fail("{} is neither a file nor a directory, so it cannot be a source", quote(path.string()));
  }
  return file_digest(path).str();
}

PreparedSources prepare_sources(const spec::Recipe& recipe, const fs::path& dir,
                                std::optional<std::int64_t> debian_changelog_date) {
  PreparedSources prepared;
  // Archives first: their newest entry is SOURCE_DATE_EPOCH when the recipe
  // gives none, and the files and directories then take that time.
  std::vector<const spec::RecipeSource*> ordered;
  for (const auto& source : recipe.sources) {
    if (source.kind == spec::RecipeSource::Kind::archive) ordered.push_back(&source);
  }
  for (const auto& source : recipe.sources) {
    if (source.kind == spec::RecipeSource::Kind::file || source.kind == spec::RecipeSource::Kind::directory) {
      ordered.push_back(&source);
    }
  }
  std::optional<std::int64_t> source_date_epoch = recipe.build.source_date_epoch;
  if (!source_date_epoch) source_date_epoch = debian_changelog_date;
  bool archives_done = false;
  for (const spec::RecipeSource* each : ordered) {
    const spec::RecipeSource& source = *each;
    if (source.kind != spec::RecipeSource::Kind::archive && !archives_done) {
      archives_done = true;
      if (!source_date_epoch) source_date_epoch = prepared.newest_archive_entry;
    }
    std::string shown = fmt::format("{} ({})", quote(source.path_as_written), recipe.where(source.position));
    std::error_code ec;
    auto status = fs::symlink_status(source.path, ec);
    if (!fs::exists(status)) fail("the source {} does not exist", shown);
    fs::path target = source.dest.empty() ? dir : dir / source.dest;
    if (source.kind == spec::RecipeSource::Kind::directory) {
      if (!fs::is_directory(status)) fail("the source {} is pinned by fileset, but it is not a directory", shown);
      // Copied aside first: the copy is what the build sees, so the copy is
      // what is checked; then its entries move into place.
      fs::path staging = dir.parent_path() / fmt::format(".source-{}", each - recipe.sources.data());
      fs::remove_all(staging);
      fs::copy(source.path, staging, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      std::string actual = directory_pin(staging).str();
      if (actual != source.digest) {
        fs::remove_all(staging);
        fail("the source {} has the FileSet id {}, not the {} the recipe pins; nothing was built", shown, actual,
             source.digest);
      }
      if (source_date_epoch) set_tree_times(staging, *source_date_epoch);
      fs::create_directories(target);
      for (const auto& entry : fs::directory_iterator(staging)) {
        fs::path to = target / entry.path().filename();
        if (fs::exists(fs::symlink_status(to))) {
          fail("the source {} holds {}, which another source already wrote", shown,
               quote(((source.dest.empty() ? fs::path() : fs::path(source.dest)) / entry.path().filename()).string()));
        }
        fs::rename(entry.path(), to);
      }
      fs::remove_all(staging);
      continue;
    }
    if (!fs::is_regular_file(status)) fail("the source {} is pinned by sha256, but it is not a file", shown);
    std::string actual = file_digest(source.path).str();
    if (actual != source.digest) {
      fail("the source {} has the sha256 {}, not the {} the recipe pins; nothing was built", shown, actual,
           source.digest);
    }
    if (source.kind == spec::RecipeSource::Kind::archive) {
      fs::create_directories(target);
      auto newest = unpack(source.path, target, source.strip_components, shown);
      if (newest && (!prepared.newest_archive_entry || *newest > *prepared.newest_archive_entry)) {
        prepared.newest_archive_entry = newest;
      }
      continue;
    }
    if (fs::exists(target))
      fail("the source {} would be copied onto {}, which another source wrote", shown, quote(source.dest));
    fs::create_directories(target.parent_path());
    fs::copy_file(source.path, target);
    // The mode comes from the recipe, not from the file on disk: a pin
    // covers the bytes only, and a rebuild reads them from the store.
    fs::permissions(target, source.executable ? fs::perms(0755) : fs::perms(0644));
    if (source_date_epoch) set_times(target, *source_date_epoch);
  }
  if (!source_date_epoch) source_date_epoch = prepared.newest_archive_entry;
  if (!source_date_epoch) {
    fail("{} gives no source_date_epoch and its archives record no times; give [build] source_date_epoch",
         quote(recipe.path.string()));
  }
  prepared.source_date_epoch = *source_date_epoch;
  return prepared;
}

fileset::Manifest shape_output(const fileset::Manifest& manifest, const std::vector<spec::RecipeOwner>& owners) {
  std::vector<fileset::Entry> entries = manifest.entries();
  for (auto& e : entries) {
    if (e.type == fileset::EntryType::symlink) {
      if (e.target.starts_with("/build/") || e.target == "/build") {
        fail("the output's symlink {} points into the build sandbox ({}), which no image has", quote("/" + e.path),
             quote(e.target));
      }
      if (!e.target.starts_with('/') && !fileset::relative_target_stays_inside(e.path, e.target)) {
        fail("the output's symlink {} (-> {}) climbs out of the package's root", quote("/" + e.path), quote(e.target));
      }
    }
    if (e.type == fileset::EntryType::hardlink) continue;  // owned through its target
    e.uid = 0;
    e.gid = 0;
    for (const auto& owner : owners) {
      if (image::glob_matches(owner.glob, e.path)) {
        e.uid = owner.uid;
        e.gid = owner.gid;
      }
    }
  }
  return fileset::Manifest::from_entries(std::move(entries));
}

}  // namespace sheaf::build
