// Writing a stored image out: an OCI layout directory, an oci-archive (that
// layout as one tar) or a docker-archive (`docker save`'s format, which
// `docker load` and `podman load` read).
//
// Blobs come from the store: a layout links them (oci/layout.hpp); archives
// stream them into a tar written by the canonical tar writer, so an archive
// is as reproducible as the image. An archive is written beside its final
// name and renamed into place.
#pragma once

#include <filesystem>
#include <string>

#include "oci/documents.hpp"
#include "store/local_store.hpp"

namespace sheaf::image {

struct ExportStats {
  std::uint64_t blobs = 0;
  std::uint64_t bytes_copied = 0;  // 0 when every blob was linked
};

// Adds the image to the layout at `dir` (creating it), named `ref_name` when
// that is not empty. `manifest` may name an image index: its images' blobs
// are written too, and index.json names the index.
ExportStats write_oci_layout(const store::LocalStore& store, const Digest& manifest, const std::filesystem::path& dir,
                             const std::string& ref_name);

void write_oci_archive(const store::LocalStore& store, const Digest& manifest, const std::filesystem::path& file,
                       const std::string& ref_name);

// `repo_tag` is "name:tag", or "" for an untagged image. Refuses an index
// (the format holds one image per platform).
void write_docker_archive(const store::LocalStore& store, const Digest& manifest, const std::filesystem::path& file,
                          const std::string& repo_tag);

}  // namespace sheaf::image
