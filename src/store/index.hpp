// The store index: a SQLite database (WAL mode) that records which packages
// the store holds and where each came from.
//
// The index only refers to blobs and objects that were durable before the
// referring row was committed (see WriteBatch), so a row never points at
// something missing. One Index object is one connection; use it from one
// thread. Several processes may use the same database at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fileset/content_cache.hpp"

namespace sheaf::store {

class Database;

// One package as the index records it. `id` is the digest of the package
// document blob, and `fileset` the digest of its FileSet manifest blob.
struct PackageRecord {
  std::string id;
  std::string name;
  std::string version;
  std::string arch;
  std::string fileset;
  std::uint64_t entries = 0;  // manifest entries
  std::uint64_t size = 0;     // bytes of file content (Manifest::content_size)
  std::string metadata;       // JSON object: descriptive fields kept outside the id
};

// One remembered file (see file_cache.hpp): its identity on disk and what it
// held. dev and ino are stored bit for bit in SQLite's signed integers.
struct FileCacheRow {
  fileset::FileIdentity identity;
  std::string digest;  // sha256:<hex>
  std::string xattrs;  // canonical JSON object, name -> base64
};

// A package's layer blob (image/layers.hpp): made once per package and
// variant (codec and drop filter), reused by every image.
struct LayerRecord {
  std::string package;  // the package id
  std::string variant;
  std::string digest;  // sha256:<hex> of the blob
  std::uint64_t size = 0;
  std::string diff_id;  // sha256:<hex> of the uncompressed tar
  std::uint64_t dropped = 0;
};

inline constexpr std::string_view kImageManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kImageIndexType = "application/vnd.oci.image.index.v1+json";

// An image the store holds: its manifest blob and where it came from; or an
// image index (several architectures), whose images are rows of their own
// (Index::index_images). Tags name either.
struct ImageRecord {
  std::string digest;  // sha256:<hex> of the manifest (or index) blob
  std::string config;  // sha256:<hex> of the config blob; "" for an index
  std::uint64_t size = 0;
  std::string created;
  std::string sources;  // canonical JSON object
  std::string media_type = std::string(kImageManifestType);

  bool is_index() const { return media_type == kImageIndexType; }
};

// One image of an image index, in the index's order.
struct IndexEntry {
  std::string image;     // the manifest digest, a row of images
  std::string platform;  // "linux/arm64/v8": os/architecture[/variant]
  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

struct ImageSignature {
  std::string blob;      // sha256:<hex> of the signed message, or of the sigstore record
  std::string identity;  // the docker-reference it names, or ""
  std::string kind = "simple";  // "simple" or "sigstore"
};

struct PackageSignature {
  std::string blob;   // sha256:<hex> of the DSSE envelope
  std::string keyid;  // sha256:<hex> of the key's SubjectPublicKeyInfo
};

// A blob a recipe build recorded for a package: its provenance, the recipe,
// or one source (pipeline/recipe.hpp).
struct PackageBuildBlob {
  std::string role;  // "provenance", "recipe" or "source"
  std::string blob;  // sha256:<hex>
};

class Index {
 public:
  // The schema version this build reads and writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 8;

  // Opens or creates the index at `path`. Refuses an index written by a newer
  // sheaf (a higher schema version).
  explicit Index(const std::string& path);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  class Transaction {
   public:
    explicit Transaction(Database& db) : db_(db) {}
    // Inserts `record` unless a package with its id exists, from a writer
    // that holds every file's content (so a partial package becomes whole).
    // Returns true when it inserted a row.
    bool insert_package(const PackageRecord& record);
    // Inserts a package whose content the store holds only for the files
    // `filter` keeps (canonical JSON {"drop": [globs]}), as a pull of
    // narrowed layers leaves it. Does nothing when the package is present
    // (whole or in part). insert_package() makes it whole.
    bool insert_partial_package(const PackageRecord& record, std::string_view filter);
    // Records that the image was pulled from `reference`.
    void add_image_origin(std::string_view image, std::string_view reference);
    // Records a signature of the image (its blob is in the batch): a simple
    // signature, or a sigstore record (kind "sigstore"), with the
    // docker-reference it names, or "" when nobody checked it yet (a known
    // identity is never replaced by "").
    void add_image_signature(std::string_view image, std::string_view blob, std::string_view identity,
                             std::string_view kind = "simple");
    // Records a package signature: a DSSE envelope (its blob is in the
    // batch) signed by the key `keyid`.
    void add_package_signature(std::string_view package, std::string_view blob, std::string_view keyid);
    // Records a blob of a recipe build of the package (its blob is in the
    // batch): gc keeps it while the package stays.
    void add_package_build_blob(std::string_view package, std::string_view role, std::string_view blob);
    // Records that a registry repository holds a blob (it answered for it,
    // or took it): a candidate source for cross-repository mounts.
    void add_registry_blob(std::string_view registry, std::string_view repository, std::string_view blob);
    // Forgets that record (a mount from there found the blob missing).
    void remove_registry_blob(std::string_view registry, std::string_view repository, std::string_view blob);
    // Replaces a package's metadata: what a newer sheaf derives from the same
    // package (pkg/derived.hpp). The identity never changes. Returns false
    // when the package is absent.
    bool set_metadata(std::string_view id, std::string_view metadata);
    // Records one provenance document (canonical JSON) for a package.
    void add_origin(std::string_view package_id, std::string_view origin);
    // Removes a package and its origins. Returns false when it was absent.
    bool remove_package(std::string_view id);
    // Records (or replaces) what a file on disk held.
    void put_file_cache(const FileCacheRow& row);
    // Forgets every file recorded as holding `digest` (gc removed it).
    void forget_file_content(std::string_view digest);
    // Records (or replaces) a package's layer blob.
    void put_layer(const LayerRecord& record);
    // Records (or replaces) an image with the packages it holds and every blob
    // it needs (manifest, config, layers).
    void put_image(const ImageRecord& record, const std::vector<std::string>& packages,
                   const std::vector<std::string>& blobs);
    // Records (or replaces) an image index: `images` must be rows already.
    // `blobs` are what the index itself needs (its own blob); gc keeps each
    // image's blobs through that image's row.
    void put_index(const ImageRecord& record, const std::vector<IndexEntry>& images,
                   const std::vector<std::string>& blobs);
    // Points name:tag at an image, replacing what it named before.
    void set_tag(std::string_view name, std::string_view tag, std::string_view image);
    bool remove_tag(std::string_view name, std::string_view tag);
    // Removes an image (or an index, not its images) and its tags. Its
    // blobs stay until gc. An image an index holds cannot be removed before
    // the index (Index::indexes_with_image).
    bool remove_image(std::string_view digest);

   private:
    Database& db_;
  };

  // Runs `body` in one write transaction (BEGIN IMMEDIATE ... COMMIT), rolling
  // back if it throws. The commit is durable when this returns.
  void write(const std::function<void(Transaction&)>& body);

  // All packages, ordered by name, then id.
  std::vector<PackageRecord> packages();
  std::vector<PackageRecord> packages_named(std::string_view name);
  // Packages whose id's hex digits start with `hex_prefix`.
  std::vector<PackageRecord> packages_with_id_prefix(std::string_view hex_prefix);
  std::optional<PackageRecord> package(std::string_view id);
  // The remembered files on one device.
  std::vector<FileCacheRow> file_cache_rows(std::uint64_t dev);
  // Provenance documents of a package, in byte order.
  std::vector<std::string> origins(std::string_view id);
  // The packages recorded with exactly this origin (canonical JSON), by id.
  std::vector<PackageRecord> packages_with_origin(std::string_view origin);

  std::optional<LayerRecord> layer(std::string_view package, std::string_view variant);
  // Every layer blob recorded for a package in the store (gc keeps them).
  std::vector<std::string> layer_blobs();

  // Images, ordered by digest.
  std::vector<ImageRecord> images();
  std::optional<ImageRecord> image(std::string_view digest);
  std::vector<ImageRecord> images_with_digest_prefix(std::string_view hex_prefix);
  std::optional<std::string> tagged_image(std::string_view name, std::string_view tag);
  // (name, tag) pairs that name the image, sorted.
  std::vector<std::pair<std::string, std::string>> image_tags(std::string_view digest);
  // Every tag: (image digest, "name:tag"), ordered by image, then name and tag.
  std::vector<std::pair<std::string, std::string>> all_tags();
  // The images of an index, in its order; empty for an image.
  std::vector<IndexEntry> index_images(std::string_view index);
  // The indexes that hold an image, by digest.
  std::vector<std::string> indexes_with_image(std::string_view image);
  // The package ids an image holds, sorted.
  std::vector<std::string> image_packages(std::string_view digest);
  // The images that hold a package, by digest.
  std::vector<std::string> images_with_package(std::string_view package);
  // Every (image digest, package) where an image holds a package of this
  // name, ordered by image, then package id. The records' metadata is empty.
  std::vector<std::pair<std::string, PackageRecord>> image_packages_named(std::string_view name);
  // The registry references an image was pulled from, sorted.
  std::vector<std::string> image_origins(std::string_view digest);
  // The repositories of `registry` known to hold `blob`, sorted.
  std::vector<std::string> registry_repositories_with(std::string_view registry, std::string_view blob);
  // The filter of a package the store holds only in part, or nullopt for a
  // whole one.
  std::optional<std::string> partial_filter(std::string_view package);
  // The signatures kept for an image, by blob digest.
  std::vector<ImageSignature> image_signatures(std::string_view digest);
  // The signatures kept for a package, by key id.
  std::vector<PackageSignature> package_signatures(std::string_view package);
  // What recipe builds recorded for a package, by role, then blob.
  std::vector<PackageBuildBlob> package_build_blobs(std::string_view package);
  // Every blob some image needs, its signatures' too, every package
  // signature's and every blob a recipe build recorded (gc keeps them).
  std::vector<std::string> image_blobs();
  // The blobs one image needs.
  std::vector<std::string> image_blobs_of(std::string_view digest);

 private:
  std::unique_ptr<Database> db_;
};

}  // namespace sheaf::store
