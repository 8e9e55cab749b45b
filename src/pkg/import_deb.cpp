#include "pkg/import_deb.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"
#include "deb/copyright.hpp"
#include "deb/dpkg_database.hpp"
#include "deb/merged_usr.hpp"
#include "fileset/manifest.hpp"
#include "pkg/derived.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pkg {

namespace {

constexpr std::string_view kStatusDir = "var/lib/dpkg/status.d";

UniqueFd open_deb(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) fail_errno(errno, fmt::format("cannot open {}", quote(file.string())));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_errno(errno, fmt::format("cannot stat {}", quote(file.string())));
  if (!S_ISREG(st.st_mode)) fail("{} is not a regular file", quote(file.string()));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

StreamDigest hash_deb(const std::filesystem::path& file) {
  UniqueFd fd = open_deb(file);
  FdSource source(fd.get(), file.string());
  return digest_stream(source);
}

deb::Relations relations_of(const deb::Control& control, std::string_view field, deb::RelationKind kind,
                            std::string_view where) {
  const deb::ControlField* found = control.find(field);
  if (found == nullptr) return {};
  return deb::Relations::parse(found->value, kind, fmt::format("{}: control line {} ({})", where, found->line, field));
}

Package package_of(const deb::DebArchive& deb, std::string_view where) {
  const deb::Control& control = deb.control;
  Package package;
  package.name = control.value("Package");
  package.version = control.value("Version");
  package.arch = control.value("Architecture");
  package.depends = relations_of(control, "Depends", deb::RelationKind::dependency, where);
  package.pre_depends = relations_of(control, "Pre-Depends", deb::RelationKind::dependency, where);
  package.provides = relations_of(control, "Provides", deb::RelationKind::provides, where);
  package.conflicts = relations_of(control, "Conflicts", deb::RelationKind::conflict, where);
  package.breaks = relations_of(control, "Breaks", deb::RelationKind::conflict, where);
  package.replaces = relations_of(control, "Replaces", deb::RelationKind::conflict, where);
  return package;
}

PackageMetadata metadata_of(const deb::DebArchive& deb, std::string_view where) {
  const deb::Control& control = deb.control;
  PackageMetadata m;
  if (deb.newest_mtime > 0) m.date = deb.newest_mtime;
  if (deb.copyright) m.license = deb::license_from_copyright(*deb.copyright).value_or("NOASSERTION");
  m.homepage = control.value("Homepage");
  m.description = control.value("Description");
  m.maintainer = control.value("Maintainer");
  m.section = control.value("Section");
  m.priority = control.value("Priority");
  m.multi_arch = control.value("Multi-Arch");
  if (m.multi_arch == "no") m.multi_arch.clear();
  m.essential = control.value("Essential") == "yes";
  if (const deb::ControlField* field = control.find("Installed-Size")) {
    std::uint64_t kib = 0;
    const std::string& text = field->value;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), kib);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      throw ParseError(fmt::format("{}: control line {}", where, field->line),
                       fmt::format("Installed-Size {} is not a number of KiB", quote(text)));
    }
    m.installed_size = kib;
  }
  // "Source: name" or "Source: name (version)"; absent means the binary's own.
  std::string_view source = control.value("Source");
  m.source_name = control.value("Package");
  m.source_version = control.value("Version");
  if (!source.empty()) {
    auto open = source.find(" (");
    m.source_name = std::string(source.substr(0, open));
    if (open != std::string_view::npos) {
      if (!source.ends_with(')')) {
        throw ParseError(fmt::format("{}: control line {}", where, control.find("Source")->line),
                         fmt::format("Source {} is not \"name\" or \"name (version)\"", quote(source)));
      }
      m.source_version = std::string(source.substr(open + 2, source.size() - open - 3));
    }
  }
  m.skipped_scripts = deb.maintainer_scripts;
  for (const auto& conffile : deb.conffiles) m.conffiles.push_back(conffile.path);
  return m;
}

fileset::Entry status_file(std::string path, const fileset::ContentRef& content) {
  fileset::Entry entry;
  entry.path = std::move(path);
  entry.type = fileset::EntryType::file;
  entry.mode = 0644;
  entry.size = content.size;
  entry.digest = content.digest;
  return entry;
}

}  // namespace

fileset::Manifest deb_fileset(const deb::DebArchive& deb, std::string_view where, fileset::ContentSink& sink) {
  std::vector<fileset::Entry> entries = deb::merge_usr(deb.entries, where);
  std::string name(deb.control.value("Package"));
  std::string status = deb::dpkg_status_stanza(deb);
  std::string md5sums = deb::dpkg_md5sums(deb, fmt::format("{}: md5sums", where));
  for (const auto& generated : {std::pair{fmt::format("{}/{}", kStatusDir, name), &status},
                                std::pair{fmt::format("{}/{}.md5sums", kStatusDir, name), &md5sums}}) {
    const std::string& path = generated.first;
    const std::string* text = generated.second;
    auto clash = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.path == path; });
    if (clash != entries.end()) {
      throw ParseError(std::string(where), fmt::format("the package ships {}, which sheaf generates", quote(path)));
    }
    MemorySource source(*text);
    entries.push_back(status_file(path, sink.put(source)));
  }
  fileset::add_missing_parents(entries);
  fileset::canonicalize_hardlinks(entries);
  try {
    return fileset::Manifest::from_entries(std::move(entries));
  } catch (const Error& e) {
    throw ParseError(std::string(where), e.what());
  }
}

namespace {

void fill_from_record(ImportResult& result, store::LocalStore& store, const store::PackageRecord& record) {
  auto document = store.read_blob(*Digest::parse(record.id));
  if (!document)
    fail("the store index names package {}, but its document is missing (run `sheaf store verify`)", record.id);
  result.package = Package::from_document(*document, record.id);
  result.id = result.package.id();
  result.metadata = PackageMetadata::from_json(record.metadata);
  result.entries = record.entries;
  result.size = record.size;
}

// A package imported from this .deb by a sheaf that derived less: its
// scripts must be read again, and only the .deb has them.
bool stale(const store::PackageRecord& record) {
  PackageMetadata metadata = PackageMetadata::from_json(record.metadata);
  return metadata.derivation != kDerivationVersion;
}

}  // namespace

std::string deb_origin(const Digest& digest, std::uint64_t size) {
  return canonical_json({{"type", "deb"}, {"sha256", digest.hex()}, {"size", size}});
}

struct DebBatch::Read {
  store::PackageRecord record;
  std::string origin;
  ImportResult* result;
  bool refresh = false;  // the store may hold this package with stale metadata
};

DebBatch::DebBatch(store::LocalStore& store, const deb::DebLimits& limits)
    : store_(store), limits_(limits), batch_(store.begin_write()) {}

DebBatch::~DebBatch() = default;

void DebBatch::read(const std::filesystem::path& file, const StreamDigest& expected, ImportResult& result,
                    bool refresh) {
  std::string where = file.string();
  with_context(fmt::format("while importing {}", quote(where)), [&] {
    UniqueFd fd = open_deb(file);
    FdSource source(fd.get(), where);
    deb::DebArchive deb = deb::read_deb(source, where, *batch_, limits_);
    if (deb.digest != expected.digest || deb.size != expected.size)
      fail("{} changed while it was being imported", quote(where));
    result.file = file;
    result.deb_digest = deb.digest;
    result.deb_size = deb.size;
    result.package = package_of(deb, where);
    result.metadata = metadata_of(deb, where);
    fileset::Manifest manifest = deb_fileset(deb, where, *batch_);
    std::optional<Digest> scripts;
    if (!deb.scripts.empty()) scripts = batch_->add_blob(scripts_document(deb.scripts));
    set_derived(result.metadata,
                derive(deb.scripts, manifest, result.package.name, result.package.arch,
                       [&](const fileset::Entry& e) { return batch_->open_object(e.digest); }),
                scripts);
    result.package.fileset = batch_->add_blob(manifest.serialize());
    result.id = batch_->add_blob(result.package.document());
    result.entries = manifest.entries().size();
    result.size = manifest.content_size();
    Read read{make_record(result.package, result.metadata, result.entries, result.size),
              deb_origin(deb.digest, deb.size), &result, refresh};
    std::lock_guard guard(mutex_);
    reads_.push_back(std::move(read));
  });
}

void DebBatch::commit() {
  if (reads_.empty()) return;
  // In the order of the package ids, so that the index's rows do not depend
  // on which thread read first.
  std::sort(reads_.begin(), reads_.end(), [](const Read& a, const Read& b) { return a.record.id < b.record.id; });
  batch_->commit([&](store::Index::Transaction& transaction) {
    for (auto& read : reads_) {
      read.result->inserted = transaction.insert_package(read.record);
      // A package the store had from before sheaf derived effects, read
      // again for them: the identity is the same, the metadata is new.
      if (!read.result->inserted && read.refresh) transaction.set_metadata(read.record.id, read.record.metadata);
      transaction.add_origin(read.record.id, read.origin);
    }
  });
}

std::vector<std::filesystem::path> expand_deb_operands(const std::vector<std::string>& operands) {
  std::vector<std::filesystem::path> files;
  for (const auto& operand : operands) {
    std::error_code ec;
    auto status = std::filesystem::status(operand, ec);
    if (ec || !std::filesystem::exists(status)) fail_usage("{} does not exist", quote(operand));
    if (!std::filesystem::is_directory(status)) {
      files.emplace_back(operand);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (const auto& item : std::filesystem::directory_iterator(operand)) {
      if (item.path().extension() == ".deb" && item.is_regular_file()) found.push_back(item.path());
    }
    if (found.empty()) fail_usage("the directory {} holds no .deb files", quote(operand));
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::vector<ImportResult> import_debs(store::LocalStore& store, const std::vector<std::filesystem::path>& files,
                                      const ImportOptions& options) {
  std::vector<ImportResult> results(files.size());
  std::vector<StreamDigest> debs(files.size());
  std::mutex progress_mutex;
  auto report = [&](std::size_t i) {
    if (!options.on_file) return;
    std::lock_guard lock(progress_mutex);
    options.on_file(files[i]);
  };

  if (!options.known_digests.empty() && options.known_digests.size() != files.size()) {
    throw Error("import_debs: known_digests must have one entry per file");
  }
  // 1. Hash every file and look its origin up: a .deb imported before is done.
  parallel_for(files.size(), options.threads, [&](std::size_t i) {
    with_context(fmt::format("while importing {}", quote(files[i].string())), [&] {
      debs[i] = options.known_digests.empty() ? hash_deb(files[i]) : options.known_digests[i];
      results[i].file = files[i];
      results[i].deb_digest = debs[i].digest;
      results[i].deb_size = debs[i].size;
    });
  });
  std::vector<std::size_t> to_read;                           // the first position of each new .deb
  std::unordered_map<Digest, std::size_t, DigestHash> first;  // .deb digest -> that position
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto known = store.index().packages_with_origin(deb_origin(debs[i].digest, debs[i].size));
    if (!known.empty() && !stale(known.front())) {
      fill_from_record(results[i], store, known.front());
      results[i].known = true;
      report(i);
    } else if (first.emplace(debs[i].digest, i).second) {
      to_read.push_back(i);
    }
  }
  if (to_read.empty()) return results;

  // 2. Read the new ones, largest first so that the last to finish is short.
  std::stable_sort(to_read.begin(), to_read.end(), [&](auto a, auto b) { return debs[a].size > debs[b].size; });
  DebBatch batch(store, options.limits);
  parallel_for(to_read.size(), options.threads, [&](std::size_t k) {
    std::size_t i = to_read[k];
    batch.read(files[i], debs[i], results[i], /*refresh=*/true);
    report(i);
  });
  batch.commit();
  // The same .deb named twice was read once.
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (results[i].known) continue;
    std::size_t original = first.at(debs[i].digest);
    if (original == i) continue;
    std::filesystem::path file = results[i].file;
    results[i] = results[original];
    results[i].file = std::move(file);
    results[i].inserted = false;
    report(i);
  }
  return results;
}

}  // namespace sheaf::pkg
