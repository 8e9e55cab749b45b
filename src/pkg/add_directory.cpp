#include "pkg/add_directory.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "fileset/directory_reader.hpp"
#include "store/file_cache.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pkg {

namespace {

deb::Relations parse_option(std::string_view text, deb::RelationKind kind, std::string_view option) {
  try {
    return deb::Relations::parse(text, kind, option);
  } catch (const ParseError& e) {
    throw Error(e.what(), ErrorKind::usage);
  }
}

fileset::Manifest with_owner(const fileset::Manifest& manifest, std::pair<std::uint32_t, std::uint32_t> owner) {
  std::vector<fileset::Entry> entries = manifest.entries();
  for (auto& entry : entries) {
    if (entry.type == fileset::EntryType::hardlink) continue;  // owned through its target
    entry.uid = owner.first;
    entry.gid = owner.second;
  }
  return fileset::Manifest::from_entries(std::move(entries));
}

}  // namespace

Package make_package(const AddDirectoryRequest& request) {
  Package package;
  package.name = request.name;
  package.version = request.version;
  package.arch = request.arch;
  package.validate();
  package.depends = parse_option(request.depends, deb::RelationKind::dependency, "--depends");
  package.pre_depends = parse_option(request.pre_depends, deb::RelationKind::dependency, "--pre-depends");
  package.breaks = parse_option(request.breaks, deb::RelationKind::conflict, "--breaks");
  package.provides = parse_option(request.provides, deb::RelationKind::provides, "--provides");
  package.conflicts = parse_option(request.conflicts, deb::RelationKind::conflict, "--conflicts");
  return package;
}

AddResult add_directory(store::LocalStore& store, const AddDirectoryRequest& request) {
  AddResult result;
  result.package = make_package(request);
  Package& package = result.package;
  result.metadata = request.metadata;
  if (result.metadata.source_name.empty()) result.metadata.source_name = package.name;
  if (result.metadata.source_version.empty()) result.metadata.source_version = package.version;

  return with_context(fmt::format("while adding the directory {}", quote(request.dir.string())), [&] {
    auto batch = store.begin_write();
    std::optional<store::FileCache> cache;
    if (struct stat st{}; ::stat(request.dir.c_str(), &st) == 0)
      cache.emplace(store, static_cast<std::uint64_t>(st.st_dev));
    fileset::DirectoryReadStats stats;
    fileset::Manifest manifest = fileset::read_directory(request.dir, *batch,
                                                         {.threads = request.threads,
                                                          .cache = cache ? &*cache : nullptr,
                                                          .use_cached = !request.rehash,
                                                          .on_file = request.on_file},
                                                         &stats);
    if (request.owner) manifest = with_owner(manifest, *request.owner);
    if (request.transform) manifest = request.transform(manifest);
    package.fileset = batch->add_blob(manifest.serialize());
    result.id = batch->add_blob(package.document());
    result.entries = manifest.entries().size();
    result.size = manifest.content_size();
    result.cached_files = stats.cached_files;
    store::PackageRecord record = make_record(package, result.metadata, result.entries, result.size);
    std::string origin = request.origin.empty()
                             ? canonical_json({{"type", "directory"}, {"path", request.dir.string()}})
                             : request.origin;
    batch->commit([&](store::Index::Transaction& transaction) {
      result.inserted = transaction.insert_package(record);
      transaction.add_origin(record.id, origin);
      if (cache) cache->save(transaction);
    });
    result.new_objects = batch->new_objects();
    result.new_bytes = batch->new_bytes();
    return result;
  });
}

}  // namespace sheaf::pkg
