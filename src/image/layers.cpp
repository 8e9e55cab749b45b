#include "image/layers.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <map>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "fileset/layer_tar.hpp"
#include "image/glob.hpp"

namespace sheaf::image {

namespace {

using fileset::Entry;
using fileset::EntryType;

class TarToGzip final : public fileset::TarSink {
 public:
  explicit TarToGzip(oci::GzipWriter& gzip) : gzip_(gzip) {}
  void write(std::string_view bytes) override { gzip_.write(bytes); }

 private:
  oci::GzipWriter& gzip_;
};

class FdSink final : public oci::ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  void write(std::string_view bytes) override { write_all(fd_, bytes, "a layer blob"); }

 private:
  int fd_;
};

fileset::ContentOpener object_opener(store::WriteBatch& batch) {
  return [&batch](const Entry& entry) -> std::unique_ptr<ByteSource> {
    auto fd = batch.open_object(entry.digest);
    if (!fd)
      fail("the content of {} (object {}) is missing from the store; run 'sheaf store verify'", quote(entry.path),
           entry.digest.str());
    return std::make_unique<OwnedFdSource>(std::move(*fd), entry.digest.str());
  };
}

}  // namespace

std::string layer_variant(const std::vector<std::string>& drop_paths) {
  std::string variant = fmt::format("gzip-libdeflate1.14-{}-{}k", oci::kGzipLevel, oci::kGzipChunk / 1024);
  if (!drop_paths.empty()) variant += ";drop=" + canonical_json(drop_paths);
  return variant;
}

FilteredFileSet apply_drop_paths(const fileset::Manifest& manifest, const std::vector<std::string>& globs) {
  if (globs.empty()) return {manifest, {}};
  return filter_fileset(manifest, [&](const Entry& e) { return !dropped_by(globs, e.path); });
}

FilteredFileSet filter_fileset(const fileset::Manifest& manifest, const std::function<bool(const Entry&)>& keep) {
  FilteredFileSet out;
  std::vector<Entry> kept;
  std::map<std::string, Entry, std::less<>> dropped_files;   // dropped file -> what replaces it (if anything)
  std::map<std::string, std::string, std::less<>> promoted;  // dropped file path -> kept path that now holds it
  for (const auto& entry : manifest.entries()) {
    if (!keep(entry)) {
      out.dropped.push_back(entry.path);
      if (entry.type == EntryType::file) dropped_files.emplace(entry.path, entry);
      continue;
    }
    if (entry.type == EntryType::hardlink) {
      if (auto p = promoted.find(entry.target); p != promoted.end()) {
        Entry link = entry;
        link.target = p->second;
        kept.push_back(std::move(link));
        continue;
      }
      if (auto f = dropped_files.find(entry.target); f != dropped_files.end()) {
        Entry file = f->second;
        file.path = entry.path;
        promoted.emplace(entry.target, entry.path);
        kept.push_back(std::move(file));
        continue;
      }
    }
    kept.push_back(entry);
  }
  out.manifest = fileset::Manifest::from_entries(std::move(kept));
  return out;
}

fileset::Manifest layer_fileset(std::vector<fileset::Manifest> members) {
  if (members.size() == 1) return std::move(members.front());
  std::map<std::string, fileset::Entry> merged;
  for (const auto& manifest : members) {
    for (const auto& e : manifest.entries()) merged.emplace(e.path, e);
  }
  std::vector<fileset::Entry> entries;
  entries.reserve(merged.size());
  for (auto& [path, e] : merged) entries.push_back(std::move(e));
  return fileset::Manifest::from_entries(std::move(entries));
}

oci::LayerDigests write_layer_blob(store::WriteBatch& batch, const fileset::Manifest& manifest, unsigned threads) {
  auto file = batch.create_blob_file();
  FdSink fd_sink(file.fd.get());
  oci::GzipWriter gzip(fd_sink, threads);
  TarToGzip tar_sink(gzip);
  fileset::write_layer_tar(manifest, object_opener(batch), tar_sink);
  oci::LayerDigests digests = gzip.finish();
  batch.keep_blob_file(std::move(file), digests.digest, digests.size);
  return digests;
}

}  // namespace sheaf::image
