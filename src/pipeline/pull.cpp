#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/host.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"
#include "fileset/manifest.hpp"
#include "image/annotations.hpp"
#include "image/image_ref.hpp"
#include "image/layer_check.hpp"
#include "image/layers.hpp"
#include "image/sheaf_document.hpp"
#include "image/stored_image.hpp"
#include "oci/documents.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/registry_common.hpp"
#include "pipeline/trust.hpp"
#include "pkg/package.hpp"

namespace sheaf::pipeline {

namespace {

constexpr std::uint64_t kMaxConfig = std::uint64_t{4} << 20;

bool is_index(std::string_view media_type) {
  return media_type == oci::kMediaTypeIndex ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// A package the store lacks, rebuilt from the sheaf document.
struct NewPackage {
  pkg::Package package;
  std::string document;
  std::string fileset_bytes;
  fileset::Manifest manifest;
  std::optional<std::string> scripts;
  pkg::PackageMetadata metadata;
};

class Puller {
 public:
  // `of_index`: an image of an index being pulled whole, untagged, which the
  // trust policy judged with the index.
  Puller(Session& session, const PullOptions& options, bool of_index = false)
      : session_(session), options_(options), store_(session.store()), of_index_(of_index) {}

  PullResult run();

 private:
  void resolve_manifest();
  void check_is_sheaf_image();
  std::optional<std::string> find_document();
  void read_document(const std::string& artifact_digest);
  fileset::Manifest expected_fileset(std::size_t layer);
  std::pair<std::string, std::string> local_tag();
  void take_layers();
  void commit();
  PullResult pull_index();
  PullResult pull_index_images(const oci::ImageIndex& index, std::vector<std::string>& added);
  void forget_images(const std::vector<std::string>& added);

  Session& session_;
  const PullOptions& options_;
  store::LocalStore& store_;
  const bool of_index_;
  PullResult result_;
  std::unique_ptr<RegistryPool> pool_;
  std::unique_ptr<registry::Registry> registry_;  // for the sequential steps
  std::string label_;                              // docker://... for messages

  registry::FetchedManifest fetched_;
  oci::ImageManifest manifest_;
  std::string config_bytes_;
  oci::ImageConfig config_;
  std::vector<std::vector<image::LayerPackage>> layer_packages_;
  std::vector<std::string> drop_;
  std::optional<image::ImageDocument> document_;
  std::map<std::string, NewPackage> new_packages_;  // by id
  std::unique_ptr<store::WriteBatch> batch_;
  std::vector<store::LayerRecord> layer_records_;
  std::mutex mutex_;
  Digest named_;  // the manifest the reference names (an index, perhaps): what signatures sign
  std::optional<registry::FetchedManifest> index_;  // the index, when the whole of it is pulled
  ImageSignatures signatures_;  // to keep with the image
};

void Puller::resolve_manifest() {
  const registry::Reference& ref = result_.reference;
  fetched_ = registry_->require_manifest(ref);
  named_ = fetched_.digest;
  if (is_index(fetched_.media_type) && options_.arch.empty() && !options_.platform &&
      fetched_.media_type == oci::kMediaTypeIndex) {
    // The whole index: pull_index takes its images one by one.
    index_ = std::move(fetched_);
    result_.manifest = named_;
    return;
  }
  if (is_index(fetched_.media_type)) {
    oci::ImageIndex index = oci::parse_index(fetched_.bytes, label_);
    oci::Platform want = options_.platform
                             ? *options_.platform
                             : oci::platform_of_debian_arch(options_.arch.empty() ? host_debian_arch() : options_.arch);
    std::vector<std::string> offered;
    const oci::Descriptor* chosen = nullptr;
    for (const auto& d : index.manifests) {
      if (!d.platform) continue;
      offered.push_back(d.platform->os + "/" + d.platform->architecture +
                        (d.platform->variant.empty() ? "" : "/" + d.platform->variant));
      if (!chosen && oci::platform_matches(*d.platform, want)) {
        chosen = &d;
      }
    }
    if (!chosen) {
      fail("{} is an image index with no image for linux/{}{} (it has: {})", label_, want.architecture,
           want.variant.empty() ? "" : "/" + want.variant, offered.empty() ? "none" : fmt::format("{}", fmt::join(offered, ", ")));
    }
    auto inner = registry_->get_manifest(ref.repository, chosen->digest.str());
    if (!inner) fail("{}: the index lists {}, which the registry does not have", label_, chosen->digest.str());
    fetched_ = std::move(*inner);
  }
  if (fetched_.media_type == "application/vnd.docker.distribution.manifest.v2+json") {
    fail("{} is a Docker schema 2 image, not one sheaf built (sheaf pushes OCI manifests with dev.sheaf.* "
         "annotations); sheaf keeps images as sets of packages, so it does not store it: use skopeo copy or podman "
         "pull for it",
         label_);
  }
  manifest_ = oci::parse_manifest(fetched_.bytes, label_);
  result_.manifest = fetched_.digest;
}

void Puller::check_is_sheaf_image() {
  if (!manifest_.artifact_type.empty() || manifest_.config.media_type != oci::kMediaTypeConfig) {
    fail("{} is an artifact ({}), not an image", label_,
         manifest_.artifact_type.empty() ? manifest_.config.media_type : manifest_.artifact_type);
  }
  if (manifest_.layers.empty()) {
    fail("{} is not an image sheaf built: it has no layers (a sheaf image has at least its assembly's)", label_);
  }
  for (std::size_t i = 0; i < manifest_.layers.size(); ++i) {
    const oci::Descriptor& layer = manifest_.layers[i];
    if (!image::names_packages(layer)) {
      fail("{} is not an image sheaf built: its layer {} ({}) names no package (no {}.* annotations). sheaf keeps "
           "images as sets of packages, so it does not store images whose layers are not packages; use skopeo copy "
           "or podman pull for it",
           label_, i + 1, layer.digest.str(), image::kAnnotationPackagePrefix);
    }
    if (layer.media_type != oci::kMediaTypeLayerGzip) {
      fail("{}: layer {} has the media type {}, not the gzip layers sheaf makes", label_, i + 1, layer.media_type);
    }
    layer_packages_.push_back(image::layer_packages(layer));
  }
  drop_ = image::drop_paths(manifest_);
}

std::optional<std::string> Puller::find_document() {
  const registry::Reference& ref = result_.reference;
  std::vector<Digest> documents;
  for (const auto& d : find_referrers(*registry_, ref, result_.manifest, image::kArtifactTypeDocument, label_)) {
    documents.push_back(d.digest);
  }
  if (documents.empty()) return std::nullopt;
  // The same image always gives the same document; take the first by digest
  // when a registry lists more (pushed by another sheaf version).
  std::sort(documents.begin(), documents.end());
  return documents.front().str();
}

void Puller::read_document(const std::string& artifact_digest) {
  const registry::Reference& ref = result_.reference;
  auto artifact = registry_->get_manifest(ref.repository, artifact_digest);
  if (!artifact) fail("{}: the sheaf document {} is listed but missing", label_, artifact_digest);
  const std::string where = fmt::format("{} (sheaf document {})", label_, artifact_digest);
  oci::ImageManifest m = oci::parse_manifest(artifact->bytes, where);
  if (m.artifact_type != image::kArtifactTypeDocument || !m.subject || m.subject->digest != result_.manifest ||
      m.layers.empty() || m.layers.front().media_type != image::kArtifactTypeDocument) {
    fail("{}: not a sheaf document of this image (artifact type, subject or first layer)", where);
  }
  std::map<Digest, std::uint64_t> sizes;
  for (const auto& l : m.layers) sizes[l.digest] = l.size;
  std::string bytes = registry_->get_blob_bytes(ref.repository, m.layers.front().digest, m.layers.front().size,
                                                image::kMaxImageDocument);
  result_.bytes_downloaded += bytes.size();
  image::ImageDocument doc = image::parse_image_document(bytes, where);
  if (doc.image != result_.manifest) fail("{}: it describes the image {}, not this one", where, doc.image.str());
  if (doc.layers.size() != manifest_.layers.size()) {
    fail("{}: it lists {} layers, but the image has {}", where, doc.layers.size(), manifest_.layers.size());
  }
  for (std::size_t i = 0; i < doc.layers.size(); ++i) {
    std::vector<std::string> ids;
    for (const auto& p : layer_packages_[i]) ids.push_back(p.id);
    if (doc.layers[i].digest != manifest_.layers[i].digest || doc.layers[i].packages != ids) {
      fail("{}: its layer {} does not match the image's (digest or packages)", where, i + 1);
    }
    if (doc.layers[i].drop != drop_) {
      fail("{}: its layer {} has another drop filter than the image's manifest", where, i + 1);
    }
  }
  auto blob = [&](const Digest& digest, std::uint64_t limit, std::string_view what) {
    auto size = sizes.find(digest);
    if (size == sizes.end()) fail("{}: it does not carry {} {}", where, what, digest.str());
    std::string out = registry_->get_blob_bytes(ref.repository, digest, size->second, limit);
    result_.bytes_downloaded += out.size();
    return out;
  };
  // The packages the store lacks, each checked against its id.
  for (const auto& packages : layer_packages_) {
    for (const auto& lp : packages) {
      if (new_packages_.contains(lp.id) || store_.index().package(lp.id)) continue;
      auto entry = doc.packages.find(lp.id);
      if (entry == doc.packages.end()) fail("{}: it does not describe the package {} {}", where, lp.name, lp.id);
      const std::string what = fmt::format("package {} {} ({})", lp.name, lp.version, lp.id);
      NewPackage p;
      p.document = blob(*Digest::parse(lp.id), image::kMaxPackageDocument, "the package document of " + what);
      p.package = pkg::Package::from_document(p.document, what);
      if (p.package.name != lp.name || p.package.version != lp.version) {
        fail("{}: the layer annotations name {} {}, but its package document is {} {}", where, lp.name, lp.version,
             p.package.name, p.package.version);
      }
      if (p.package.fileset.str() != entry->second.fileset) {
        fail("{}: the document gives {} the FileSet {}, but its package document says {}", where, what,
             entry->second.fileset, p.package.fileset.str());
      }
      p.fileset_bytes = blob(p.package.fileset, image::kMaxFileSetManifest, "the FileSet manifest of " + what);
      p.manifest = fileset::Manifest::parse(p.fileset_bytes, "the FileSet manifest of " + what);
      p.metadata = pkg::PackageMetadata::from_json(entry->second.metadata.dump());
      if (p.metadata.scripts) p.scripts = blob(*p.metadata.scripts, image::kMaxScripts, "the maintainer scripts of " + what);
      new_packages_.emplace(lp.id, std::move(p));
    }
  }
  document_ = std::move(doc);
  result_.used_document = true;
}

// What layer `i` must hold: its packages' FileSets less the drop filter.
fileset::Manifest Puller::expected_fileset(std::size_t i) {
  std::vector<fileset::Manifest> members;
  for (const auto& lp : layer_packages_[i]) {
    auto fresh = new_packages_.find(lp.id);
    if (fresh != new_packages_.end()) {
      members.push_back(image::apply_drop_paths(fresh->second.manifest, drop_).manifest);
    } else {
      members.push_back(image::package_fileset(store_, lp.id, drop_));
    }
  }
  return image::layer_fileset(std::move(members));
}

void Puller::take_layers() {
  const registry::Reference& ref = result_.reference;
  const std::string variant = image::layer_variant(drop_);
  // Worked out here, on this thread (the store's index is one connection):
  // what each layer must hold, and whether the store can make it.
  std::vector<std::size_t> to_make, to_download;
  std::map<std::size_t, fileset::Manifest> expected;
  for (std::size_t i = 0; i < manifest_.layers.size(); ++i) {
    const oci::Descriptor& layer = manifest_.layers[i];
    bool packages_whole = true;
    for (const auto& lp : layer_packages_[i]) {
      if (new_packages_.contains(lp.id) || store_.index().partial_filter(lp.id)) packages_whole = false;
    }
    if (packages_whole && store_.has_blob(layer.digest)) {
      ++result_.layers_present;
      continue;
    }
    fileset::Manifest fileset = expected_fileset(i);
    // A layer is a function of its files: with every file's content in the
    // store (imported from a .deb, pulled or built before), it is made here.
    bool contents_held = std::all_of(fileset.entries().begin(), fileset.entries().end(), [&](const fileset::Entry& e) {
      return e.type != fileset::EntryType::file || store_.has_object(e.digest);
    });
    (contents_held && !store_.has_blob(layer.digest) ? to_make : to_download).push_back(i);
    expected.emplace(i, std::move(fileset));
  }
  const unsigned threads = options_.threads ? options_.threads : 4;
  std::mutex made_mutex;
  parallel_for(to_make.size(), threads, [&](std::size_t k) {
    std::size_t i = to_make[k];
    const oci::Descriptor& layer = manifest_.layers[i];
    oci::LayerDigests made = image::write_layer_blob(*batch_, expected.at(i), 1);
    std::lock_guard guard(made_mutex);
    if (made.digest == layer.digest && made.diff_id == config_.diff_ids[i]) {
      ++result_.layers_made;
      if (layer_packages_[i].size() == 1) {
        layer_records_.push_back({layer_packages_[i].front().id, variant, made.digest.str(), made.size,
                                  made.diff_id.str(), image::layer_dropped(layer)});
      }
    } else {
      // Made with another codec, say: the registry's layer must then show
      // that it holds the same files.
      to_download.push_back(i);
    }
  });
  std::sort(to_download.begin(), to_download.end());
  std::uint64_t bytes_total = 0;
  std::vector<bool> have_blob;
  for (std::size_t i : to_download) {
    bytes_total += manifest_.layers[i].size;
    have_blob.push_back(store_.has_blob(manifest_.layers[i].digest));
  }
  std::atomic<std::uint64_t> done{0}, bytes_done{0};
  std::mutex progress_mutex;
  auto report = [&] {
    std::lock_guard guard(progress_mutex);
    session_.reporter().progress({Progress::Stage::downloading, done.load(), to_download.size(), bytes_done.load(),
                                  bytes_total});
  };
  ProgressScope scope(session_.reporter());
  parallel_for(to_download.size(), threads, [&](std::size_t k) {
    std::size_t i = to_download[k];
    const oci::Descriptor& layer = manifest_.layers[i];
    const std::string where = fmt::format("{}: layer {} ({})", label_, i + 1, layer.digest.str());
    UniqueFd local;
    std::optional<store::WriteBatch::BlobFile> file;
    int fd = -1;
    if (have_blob[k]) {
      local = UniqueFd(::open(store_.blob_path(layer.digest).c_str(), O_RDONLY | O_CLOEXEC));
      if (!local) fail_errno(errno, "cannot read " + where);
      fd = local.get();
    } else {
      auto registry = pool_->take();
      file = download_blob(*registry, *batch_, ref.repository, layer, where, [&](std::uint64_t n) {
        bytes_done += n;
        report();
      });
      fd = file->fd.get();
      pool_->give_back(std::move(registry));
    }
    Digest diff_id = image::ingest_layer(*batch_, fd, expected.at(i), where);
    if (diff_id != config_.diff_ids[i]) {
      fail("{}: its tar hashes to {}, but the config's diff_id is {}", where, diff_id.str(), config_.diff_ids[i].str());
    }
    std::lock_guard guard(mutex_);
    if (file) {
      batch_->keep_blob_file(std::move(*file), layer.digest, layer.size);
      result_.bytes_downloaded += layer.size;
      ++result_.layers_downloaded;
    } else {
      ++result_.layers_present;
    }
    if (layer_packages_[i].size() == 1) {
      layer_records_.push_back({layer_packages_[i].front().id, variant, layer.digest.str(), layer.size,
                                diff_id.str(), image::layer_dropped(layer)});
    }
    ++done;
    report();
  });
}

std::pair<std::string, std::string> Puller::local_tag() {
  std::pair<std::string, std::string> tag;
  if (options_.tag) {
    tag = image::parse_tag(*options_.tag);
  } else {
    registry::LocalName local = registry::local_name(result_.reference);
    tag = image::parse_tag(local.name + ":" + local.tag);
  }
  result_.local_name = tag.first + ":" + tag.second;
  return tag;
}

void Puller::commit() {
  const registry::Reference& ref = result_.reference;
  auto tag = local_tag();

  batch_->add_blob(fetched_.bytes);
  batch_->add_blob(config_bytes_);
  const std::string filter = canonical_json({{"drop", drop_}});
  for (const auto& [id, p] : new_packages_) {
    batch_->add_blob(p.document);
    batch_->add_blob(p.fileset_bytes);
    if (p.scripts) batch_->add_blob(*p.scripts);
  }
  std::vector<std::string> package_ids;
  for (const auto& packages : layer_packages_) {
    for (const auto& lp : packages) package_ids.push_back(lp.id);
  }
  std::vector<std::string> blobs{result_.manifest.str(), manifest_.config.digest.str()};
  for (const auto& layer : manifest_.layers) blobs.push_back(layer.digest.str());
  std::string sources = document_ ? canonical_json(document_->sources) : std::string("{}");
  SignatureRows signatures(*batch_, signatures_);
  batch_->commit([&](store::Index::Transaction& t) {
    for (const auto& [id, p] : new_packages_) {
      store::PackageRecord record =
          pkg::make_record(p.package, p.metadata, p.manifest.entries().size(), p.manifest.content_size());
      bool narrowed = image::apply_drop_paths(p.manifest, drop_).dropped.size() > 0;
      bool added = narrowed ? t.insert_partial_package(record, filter) : t.insert_package(record);
      if (added) ++result_.packages_added;
      t.add_origin(id, pkg::registry_origin(ref.str(), document_->packages.at(id).kind));
    }
    for (const auto& r : layer_records_) t.put_layer(r);
    t.put_image({result_.manifest.str(), manifest_.config.digest.str(), fetched_.bytes.size(), config_.created, sources},
                package_ids, blobs);
    if (!of_index_) t.set_tag(tag.first, tag.second, result_.manifest.str());
    t.add_image_origin(result_.manifest.str(), ref.str());
    for (const auto& layer : manifest_.layers) t.add_registry_blob(ref.host, ref.repository, layer.digest.str());
    signatures.record(t, result_.manifest);
  });
}

// A whole-index pull that failed: the image rows it added go again, unless
// something has since come to keep one (a tag, an index: another process).
// Their packages and blobs stay, as an interrupted pull's do, for the next
// pull to find, or for gc.
void Puller::forget_images(const std::vector<std::string>& added) {
  if (added.empty()) return;
  store::Index& index = store_.index();
  index.write([&](store::Index::Transaction& t) {
    for (const auto& digest : added) {
      if (index.image_tags(digest).empty() && index.indexes_with_image(digest).empty()) t.remove_image(digest);
    }
  });
}

// An index, whole: each of its images pulled as an image of its own (by
// digest, untagged, judged with the index), then the index, its tag, its
// origin and its signatures in one commit. When one fails, the images this
// pull added are removed: the store has the whole index or none of it.
PullResult Puller::pull_index() {
  oci::ImageIndex index = oci::parse_index(index_->bytes, label_);
  for (const auto& d : index.manifests) {
    if (!d.platform || d.media_type != oci::kMediaTypeManifest || d.platform->os != "linux") {
      fail(
          "{} is an image index with an entry that is not a linux image for a platform ({}, {}{}); pull one "
          "platform with --platform",
          label_, d.digest.str(), d.media_type, d.platform ? ", " + d.platform->str() : std::string());
    }
  }
  std::vector<std::string> added;
  try {
    return pull_index_images(index, added);
  } catch (...) {
    try {
      forget_images(added);
    } catch (const std::exception& e) {
      session_.reporter().warning(
          fmt::format("the images this pull stored before it failed could not be removed ({}); sheaf image rm "
                      "removes them",
                      e.what()));
    }
    throw;
  }
}

PullResult Puller::pull_index_images(const oci::ImageIndex& index, std::vector<std::string>& added) {
  const registry::Reference& ref = result_.reference;
  std::vector<store::IndexEntry> entries;
  for (const auto& d : index.manifests) {
    registry::Reference child = ref;
    child.tag.reset();
    child.digest = d.digest;
    PullOptions options = options_;
    options.source = child.str();
    options.arch.clear();
    options.platform.reset();
    bool had = store_.index().image(d.digest.str()).has_value();
    PullResult pulled = with_context(fmt::format("while pulling the image for {} of {}", d.platform->str(), label_),
                                     [&] { return Puller(session_, options, true).run(); });
    if (!had) added.push_back(pulled.manifest.str());
    result_.layers += pulled.layers;
    result_.layers_present += pulled.layers_present;
    result_.layers_made += pulled.layers_made;
    result_.layers_downloaded += pulled.layers_downloaded;
    result_.bytes_downloaded += pulled.bytes_downloaded;
    result_.packages_added += pulled.packages_added;
    result_.used_document = result_.used_document || pulled.used_document;
    result_.images.push_back(pulled.manifest);
    entries.push_back({d.digest.str(), d.platform->str()});
  }
  auto tag = local_tag();
  std::string created;
  if (!entries.empty()) {
    if (auto first = store_.index().image(entries.front().image)) created = first->created;
  }
  batch_ = store_.begin_write();
  batch_->add_blob(index_->bytes);
  SignatureRows signatures(*batch_, signatures_);
  batch_->commit([&](store::Index::Transaction& t) {
    // Another pull of this index that failed meanwhile may have removed an
    // image this one found stored (forget_images).
    for (const auto& entry : entries) {
      if (!store_.index().image(entry.image)) {
        fail("{}: its image {} for {} left the store while this pull ran (another pull of it failed?); pull again",
             label_, entry.image, entry.platform);
      }
    }
    t.put_index({named_.str(), "", index_->bytes.size(), created, "{}", std::string(store::kImageIndexType)}, entries,
                {named_.str()});
    t.set_tag(tag.first, tag.second, named_.str());
    t.add_image_origin(named_.str(), ref.str());
    signatures.record(t, named_);
  });
  return result_;
}

PullResult Puller::run() {
  result_.reference = registry::parse_reference(options_.source);
  label_ = result_.reference.str();
  if (options_.tag) (void)image::parse_tag(*options_.tag);  // a typo fails before the network
  pool_ = std::make_unique<RegistryPool>(result_.reference.host, options_.registry);
  registry_ = pool_->take();
  resolve_manifest();
  pool_->give_back(std::move(registry_));  // the workers start from what it learnt
  registry_ = pool_->take();
  // The policy's verdict comes first: a refused image leaves nothing behind.
  // An image of an index pulled whole was judged with the index.
  if (!of_index_) {
    signatures_ =
        check_pull(session_.reporter(), *registry_, result_.reference, named_, options_.trust, options_.registry);
  }
  if (index_) return pull_index();
  if (named_ != result_.manifest && !signatures_.empty()) {
    session_.reporter().note(fmt::format("{}: its {} signatures sign the image index {}, which sheaf does not "
                                         "keep; they were checked, but are not stored with the image",
                                         label_, signatures_.size(), named_.str()));
    signatures_ = {};
  }
  result_.signatures = signatures_.size();
  check_is_sheaf_image();
  result_.layers = manifest_.layers.size();

  // Held shared from here, so that gc leaves what this pull relies on.
  batch_ = store_.begin_write();
  if (store_.index().image(result_.manifest.str())) {
    // The store has the image already: only the tag and the origin are new.
    result_.layers_present = result_.layers;
    auto tag = local_tag();
    SignatureRows signatures(*batch_, signatures_);
    batch_->commit([&](store::Index::Transaction& t) {
      if (!of_index_) t.set_tag(tag.first, tag.second, result_.manifest.str());
      t.add_image_origin(result_.manifest.str(), result_.reference.str());
      signatures.record(t, result_.manifest);
    });
    return result_;
  }

  if (manifest_.config.size > kMaxConfig) {
    fail("{}: its config is {} bytes, over the limit of {}", label_, manifest_.config.size, kMaxConfig);
  }
  config_bytes_ = registry_->get_blob_bytes(result_.reference.repository, manifest_.config.digest,
                                            manifest_.config.size, kMaxConfig);
  result_.bytes_downloaded += config_bytes_.size();
  config_ = oci::parse_config(config_bytes_, label_ + " (config)");
  if (config_.diff_ids.size() != manifest_.layers.size()) {
    fail("{}: its config lists {} layers (diff_ids), but its manifest {}", label_, config_.diff_ids.size(),
         manifest_.layers.size());
  }
  if (auto document = find_document()) {
    read_document(*document);
  } else {
    std::vector<std::string> missing;
    for (const auto& packages : layer_packages_) {
      for (const auto& lp : packages) {
        if (!store_.index().package(lp.id)) missing.push_back(lp.name + " " + lp.version);
      }
    }
    if (!missing.empty()) {
      fail("{} has no sheaf document (pushed by another tool?), and the store lacks {} of its packages ({}{}): "
           "without the document they cannot be rebuilt. Push it with sheaf push, or import their .debs first",
           label_, missing.size(), fmt::join(missing.begin(), missing.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(5, missing.size())), ", "),
           missing.size() > 5 ? ", ..." : "");
    }
    session_.reporter().note(fmt::format(
        "{} has no sheaf document: its packages were all in the store, but it is stored without its recipe and "
        "sources, so sheaf image update cannot work on it",
        label_));
  }
  take_layers();
  commit();
  return result_;
}

}  // namespace

PullResult pull(Session& session, const PullOptions& options) { return Puller(session, options).run(); }

}  // namespace sheaf::pipeline
