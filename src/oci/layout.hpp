// OCI image layouts (image-layout.md of the OCI image spec): a directory with
// "oci-layout", "index.json" and "blobs/sha256/<hex>".
//
// sheaf writes a layout by linking blobs out of the store (a hard link, else
// a reflink, else a copy) and then replacing index.json atomically, so a
// reader sees either the old index or the new one, each with all its blobs.
#pragma once

#include <filesystem>
#include <string>

#include "base/digest.hpp"
#include "oci/documents.hpp"

namespace sheaf::oci {

inline constexpr std::string_view kLayoutVersion = "1.0.0";

class Layout {
 public:
  // Opens `dir` as a layout, making one when it is absent or empty. Refuses
  // (with an Error naming it) a directory that holds anything other than a
  // layout's three entries, and a layout of another version.
  static Layout open_or_create(const std::filesystem::path& dir);
  // Opens an existing layout for reading; throws when `dir` is not one.
  static Layout open(const std::filesystem::path& dir);
  // True when `dir` has an oci-layout file.
  static bool is_layout(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const noexcept { return dir_; }
  std::filesystem::path blob_path(const Digest& digest) const;
  bool has_blob(const Digest& digest) const;

  // Puts the blob `digest`, whose bytes are in the file `source`, unless the
  // layout has it. Returns the bytes copied (0 when linked or present).
  std::uint64_t put_blob(const Digest& digest, const std::filesystem::path& source);
  // Writes a blob held in memory unless the layout has it.
  void put_blob_bytes(const Digest& digest, std::string_view bytes);

  ImageIndex read_index() const;
  // Adds `manifest` to index.json, in place of any entry with the same
  // org.opencontainers.image.ref.name (or, without one, the same digest).
  void add_manifest(const Descriptor& manifest);
  // Replaces index.json (atomically).
  void write_index(const ImageIndex& index);

 private:
  explicit Layout(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path dir_;
};

// Links or copies `from` to `to` (which must not exist): a hard link when both
// are on one filesystem, else a reflink, else a copy. Returns the bytes copied.
std::uint64_t link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace sheaf::oci
