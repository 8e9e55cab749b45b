// Image indexes: one image per platform under one digest, as `sheaf build`
// makes them for a spec whose [source.debian] arch is a list.
//
// The store keeps an index as a row of its own (store::ImageRecord with the
// index media type), so a tag can name it, and each of its images as an
// ordinary image. Everything that reads an image asks select_image for the
// one it means: itself, or the index's image for a platform.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "oci/documents.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

// One image of an index to make: a stored image and its Debian architecture.
struct IndexImage {
  Digest manifest;
  std::string debian_arch;
};

struct IndexResult {
  Digest digest;  // of the index document
  std::uint64_t size = 0;
  oci::ImageIndex document;
};

// The index of `images` (in that order, each with the OCI platform of its
// architecture), stored as a blob and an index row, and tagged name:tag
// when `tag_name` is set. The bytes are a function of the images alone.
IndexResult record_index(store::LocalStore& store, const std::vector<IndexImage>& images, const std::string& tag_name,
                         const std::string& tag);

// An image of an index, with its platform.
struct PlatformImage {
  oci::Platform platform;
  store::ImageRecord record;
};

// The images of a stored index, in its order. Throws when one is missing.
std::vector<PlatformImage> index_platforms(store::Index& index, const store::ImageRecord& record);

// The image `record` stands for: an image itself (checking that it is for
// `platform`, when one is given); for an index, its image for `platform`,
// or without one, for the host's (else the only one it has). Throws an Error
// naming the platforms the index has when none answers.
store::ImageRecord select_image(store::LocalStore& store, const store::ImageRecord& record,
                                const std::optional<oci::Platform>& platform, std::string_view label);

// What `image rm` of `named` removes, in an order the store accepts (each
// index before its images): each named record, and for an index its images
// that no tag and no other index keeps. Throws an Error naming the index
// when an image an index holds is named without that index.
std::vector<std::string> images_to_remove(store::Index& index, const std::vector<store::ImageRecord>& named);

}  // namespace sheaf::image
