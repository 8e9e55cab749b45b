#include "pkg/add_directory.hpp"

#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "fileset/directory_reader.hpp"
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

AddResult add_directory(store::LocalStore& store, const AddDirectoryRequest& request) {
  AddResult result;
  Package& package = result.package;
  package.name = request.name;
  package.version = request.version;
  package.arch = request.arch;
  package.validate();
  package.depends = parse_option(request.depends, deb::RelationKind::dependency, "--depends");
  package.provides = parse_option(request.provides, deb::RelationKind::provides, "--provides");
  package.conflicts = parse_option(request.conflicts, deb::RelationKind::conflict, "--conflicts");

  result.metadata = request.metadata;
  if (result.metadata.source_name.empty()) result.metadata.source_name = package.name;
  if (result.metadata.source_version.empty()) result.metadata.source_version = package.version;

  return with_context(fmt::format("while adding the directory {}", quote(request.dir.string())), [&] {
    auto batch = store.begin_write();
    fileset::Manifest manifest =
        fileset::read_directory(request.dir, *batch, {.threads = request.threads, .on_file = request.on_file});
    if (request.owner) manifest = with_owner(manifest, *request.owner);
    package.fileset = batch->add_blob(manifest.serialize());
    result.id = batch->add_blob(package.document());
    result.entries = manifest.entries().size();
    result.size = manifest.content_size();
    store::PackageRecord record = make_record(package, result.metadata, result.entries, result.size);
    std::string origin = canonical_json({{"type", "directory"}, {"path", request.dir.string()}});
    batch->commit([&](store::Index::Transaction& transaction) {
      result.inserted = transaction.insert_package(record);
      transaction.add_origin(record.id, origin);
    });
    result.new_objects = batch->new_objects();
    result.new_bytes = batch->new_bytes();
    return result;
  });
}

}  // namespace sheaf::pkg
