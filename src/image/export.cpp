#include "image/export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "fileset/layer_tar.hpp"
#include "image/stored_image.hpp"
#include "oci/layout.hpp"

namespace sheaf::image {

namespace fs = std::filesystem;
using fileset::Entry;
using fileset::EntryType;

namespace {

// The tar of an archive: generated documents held in memory, blobs streamed
// from the store.
class ArchiveBuilder {
 public:
  explicit ArchiveBuilder(const store::LocalStore& store) : store_(store) {}

  void dir(std::string path) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::dir;
    e.mode = 0755;
    entries_.push_back(std::move(e));
  }
  void document(std::string path, std::string bytes) {
    Entry e = file_entry(std::move(path), Digest::of(bytes), bytes.size());
    documents_.emplace(e.digest, std::move(bytes));
    entries_.push_back(std::move(e));
  }
  void blob(std::string path, const Digest& digest, std::uint64_t size) {
    entries_.push_back(file_entry(std::move(path), digest, size));
  }

  void write(const fs::path& file) {
    fileset::Manifest manifest = fileset::Manifest::from_entries(std::move(entries_));
    fs::path tmp = file.parent_path() / fmt::format(".{}.{}.tmp", file.filename().string(), random_hex(6));
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) fail_errno(errno, "cannot create " + quote(tmp.string()));
    try {
      FdTarSink sink(fd.get(), tmp.string());
      fileset::write_layer_tar(
          manifest, [this](const Entry& e) { return open(e); }, sink);
      sink.flush();
      if (::fsync(fd.get()) != 0) fail_errno(errno, "cannot write " + quote(tmp.string()));
      if (::rename(tmp.c_str(), file.c_str()) != 0) fail_errno(errno, "cannot write " + quote(file.string()));
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }

 private:
  class FdTarSink final : public fileset::TarSink {
   public:
    FdTarSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
    void write(std::string_view bytes) override {
      buffer_.append(bytes);
      if (buffer_.size() >= (1 << 20)) flush();
    }
    void flush() {
      write_all(fd_, buffer_, name_);
      buffer_.clear();
    }

   private:
    int fd_;
    std::string name_;
    std::string buffer_;
  };

  static Entry file_entry(std::string path, const Digest& digest, std::uint64_t size) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::file;
    e.mode = 0644;
    e.size = size;
    e.digest = digest;
    return e;
  }

  std::unique_ptr<ByteSource> open(const Entry& e) {
    if (auto it = documents_.find(e.digest); it != documents_.end()) return std::make_unique<MemorySource>(it->second);
    UniqueFd fd(::open(store_.blob_path(e.digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) fail_errno(errno, fmt::format("cannot read blob {} from the store", e.digest.str()));
    return std::make_unique<OwnedFdSource>(std::move(fd), e.digest.str());
  }

  const store::LocalStore& store_;
  std::vector<Entry> entries_;
  std::map<Digest, std::string> documents_;
};

oci::Descriptor index_entry(const StoredImage& image, const Digest& manifest, const std::string& ref_name) {
  oci::Descriptor d{std::string(oci::kMediaTypeManifest),
                    manifest,
                    image.manifest_bytes.size(),
                    {},
                    oci::Platform{image.config.platform.architecture, image.config.platform.os}};
  if (!ref_name.empty()) d.annotations[std::string(oci::kAnnotationRefName)] = ref_name;
  return d;
}

// What a stored image or image index takes to write out: every blob (with
// its size), and the descriptor index.json names it by.
struct ExportPlan {
  std::vector<std::pair<Digest, std::uint64_t>> blobs;  // each image's layers, config, manifest; then an index
  oci::Descriptor top;
};

// The index a digest names, when it is one (its mediaType says so).
std::optional<oci::ImageIndex> stored_index(const store::LocalStore& store, const Digest& digest, std::string& bytes) {
  bytes = read_file(store.blob_path(digest).string());
  auto doc = nlohmann::json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("mediaType", "") != oci::kMediaTypeIndex) {
    return std::nullopt;
  }
  return oci::parse_index(bytes, digest.str());
}

ExportPlan plan_export(const store::LocalStore& store, const Digest& digest, const std::string& ref_name) {
  ExportPlan plan;
  std::set<Digest> seen;
  auto add = [&](const Digest& d, std::uint64_t size) {
    if (seen.insert(d).second) plan.blobs.emplace_back(d, size);
  };
  auto add_image = [&](const Digest& manifest) {
    StoredImage image = load_image(store, manifest);
    for (const auto& layer : image.manifest.layers) add(layer.digest, layer.size);
    add(image.manifest.config.digest, image.manifest.config.size);
    add(manifest, image.manifest_bytes.size());
    return image;
  };
  std::string bytes;
  if (auto index = stored_index(store, digest, bytes)) {
    // An index: every image of it, then the index, which index.json names.
    for (const auto& d : index->manifests) add_image(d.digest);
    add(digest, bytes.size());
    plan.top = {std::string(oci::kMediaTypeIndex), digest, bytes.size(), {}, std::nullopt, ""};
    if (!ref_name.empty()) plan.top.annotations[std::string(oci::kAnnotationRefName)] = ref_name;
    return plan;
  }
  StoredImage image = add_image(digest);
  plan.top = index_entry(image, digest, ref_name);
  return plan;
}

}  // namespace

ExportStats write_oci_layout(const store::LocalStore& store, const Digest& manifest, const fs::path& dir,
                             const std::string& ref_name) {
  ExportPlan plan = plan_export(store, manifest, ref_name);
  oci::Layout layout = oci::Layout::open_or_create(dir);
  ExportStats stats;
  for (const auto& [digest, size] : plan.blobs) {
    stats.bytes_copied += layout.put_blob(digest, store.blob_path(digest));
    stats.blobs += 1;
  }
  layout.add_manifest(plan.top);
  return stats;
}

void write_oci_archive(const store::LocalStore& store, const Digest& manifest, const fs::path& file,
                       const std::string& ref_name) {
  ExportPlan plan = plan_export(store, manifest, ref_name);
  ArchiveBuilder tar(store);
  tar.document("oci-layout", canonical_json({{"imageLayoutVersion", std::string(oci::kLayoutVersion)}}));
  tar.document("index.json", oci::render(oci::ImageIndex{{plan.top}}));
  tar.dir("blobs");
  tar.dir("blobs/sha256");
  for (const auto& [digest, size] : plan.blobs) tar.blob("blobs/sha256/" + digest.hex(), digest, size);
  tar.write(file);
}

void write_docker_archive(const store::LocalStore& store, const Digest& manifest, const fs::path& file,
                          const std::string& repo_tag) {
  std::string bytes;
  if (auto index = stored_index(store, manifest, bytes)) {
    fail(
        "{} is an image index; a docker-archive holds one platform's image: export one with "
        "'sheaf image export --platform OS/ARCH'",
        manifest.str());
  }
  StoredImage image = load_image(store, manifest);
  ArchiveBuilder tar(store);
  std::string config_name = image.manifest.config.digest.hex() + ".json";
  nlohmann::json layers = nlohmann::json::array();
  std::set<Digest> seen;
  for (const auto& layer : image.manifest.layers) {
    // Layers stay gzip-compressed: docker load and podman load both detect it.
    std::string name = layer.digest.hex() + ".tar.gz";
    layers.push_back(name);
    if (seen.insert(layer.digest).second) tar.blob(name, layer.digest, layer.size);
  }
  nlohmann::json entry = {{"Config", config_name}, {"Layers", layers}, {"RepoTags", nlohmann::json::array()}};
  if (!repo_tag.empty()) entry["RepoTags"].push_back(repo_tag);
  tar.document("manifest.json", canonical_json(nlohmann::json::array({entry})));
  tar.document(config_name, image.config_bytes);
  tar.write(file);
}

}  // namespace sheaf::image
