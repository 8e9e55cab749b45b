#include "image/image_index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/error.hpp"
#include "base/host.hpp"
#include "image/stored_image.hpp"
#include "store/write_batch.hpp"

namespace sheaf::image {

namespace {

// The host's platform, as an image for it would name it.
oci::Platform host_platform() {
  return oci::platform_of_debian_arch(host_debian_arch());
}

}  // namespace

IndexResult record_index(store::LocalStore& store, const std::vector<IndexImage>& images, const std::string& tag_name,
                         const std::string& tag) {
  if (images.empty()) fail("internal: an image index of no images");
  IndexResult result;
  std::vector<store::IndexEntry> entries;
  std::string created;
  for (const auto& image : images) {
    auto record = store.index().image(image.manifest.str());
    if (!record || record->is_index()) fail("internal: {} is not an image of the store", image.manifest.str());
    oci::Platform platform = oci::platform_of_debian_arch(image.debian_arch);
    for (const auto& d : result.document.manifests) {
      if (d.platform == platform) fail("internal: two images for {} in one index", platform.str());
    }
    result.document.manifests.push_back(
        {std::string(oci::kMediaTypeManifest), image.manifest, record->size, {}, platform, ""});
    entries.push_back({image.manifest.str(), platform.str()});
    if (created.empty()) created = record->created;
  }
  std::string bytes = oci::render(result.document);
  result.digest = Digest::of(bytes);
  result.size = bytes.size();
  store::ImageRecord record{result.digest.str(), "", result.size, created, "{}", std::string(store::kImageIndexType)};
  auto existing = store.index().image(record.digest);
  bool tagged = tag_name.empty() || store.index().tagged_image(tag_name, tag) == record.digest;
  if (existing && tagged && store.index().index_images(record.digest) == entries) return result;
  auto batch = store.begin_write();
  batch->add_blob(bytes);
  batch->commit([&](store::Index::Transaction& t) {
    t.put_index(record, entries, {record.digest});
    if (!tag_name.empty()) t.set_tag(tag_name, tag, record.digest);
  });
  return result;
}

std::vector<PlatformImage> index_platforms(store::Index& index, const store::ImageRecord& record) {
  std::vector<PlatformImage> out;
  for (const auto& entry : index.index_images(record.digest)) {
    auto image = index.image(entry.image);
    if (!image) fail("the index {} lists {}, which the store does not have", record.digest, entry.image);
    out.push_back({oci::parse_platform(entry.platform), std::move(*image)});
  }
  return out;
}

store::ImageRecord select_image(store::LocalStore& store, const store::ImageRecord& record,
                                const std::optional<oci::Platform>& platform, std::string_view label) {
  if (!record.is_index()) {
    if (platform) {
      auto digest = Digest::parse(record.digest);
      if (!digest) fail("internal: the image digest {} is malformed", record.digest);
      oci::Platform own = load_image(store, *digest).config.platform;
      if (!oci::platform_matches(own, *platform) &&
          !oci::platform_matches(oci::platform_of_debian_arch(own.architecture), *platform)) {
        fail("{} is an image for {}, not {}", label, own.str(), platform->str());
      }
    }
    return record;
  }
  auto images = index_platforms(store.index(), record);
  std::vector<std::string> offered;
  for (const auto& image : images) offered.push_back(image.platform.str());
  const oci::Platform wanted = platform.value_or(host_platform());
  for (const auto& image : images) {
    if (oci::platform_matches(image.platform, wanted)) return image.record;
  }
  if (!platform && images.size() == 1) return images.front().record;
  fail("{} is an image index with no image for {} (it has: {}){}", label, wanted.str(), fmt::join(offered, ", "),
       platform ? "" : "; choose one with --platform");
}

std::vector<std::string> images_to_remove(store::Index& index, const std::vector<store::ImageRecord>& named) {
  std::set<std::string> going;
  for (const auto& r : named) going.insert(r.digest);
  std::vector<std::string> indexes, images;
  for (const auto& r : named) {
    if (!r.is_index()) continue;
    indexes.push_back(r.digest);
    for (const auto& entry : index.index_images(r.digest)) {
      if (going.count(entry.image)) continue;
      bool kept = !index.image_tags(entry.image).empty();
      for (const auto& other : index.indexes_with_image(entry.image)) kept = kept || !going.count(other);
      if (!kept) {
        going.insert(entry.image);
        images.push_back(entry.image);
      }
    }
  }
  for (const auto& r : named) {
    if (r.is_index()) continue;
    for (const auto& holder : index.indexes_with_image(r.digest)) {
      if (!going.count(holder)) {
        fail("{} is an image of the index {}{}; remove the index (its images go with it)", r.digest, holder, [&] {
          std::string names;
          for (const auto& [name, tag] : index.image_tags(holder)) names += " " + name + ":" + tag;
          return names.empty() ? std::string() : " (" + names.substr(1) + ")";
        }());
      }
    }
    if (std::find(images.begin(), images.end(), r.digest) == images.end()) images.push_back(r.digest);
  }
  indexes.insert(indexes.end(), images.begin(), images.end());
  return indexes;
}

}  // namespace sheaf::image
