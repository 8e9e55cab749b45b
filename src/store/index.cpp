#include "store/index.hpp"

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "base/error.hpp"
#include "store/sqlite.hpp"

namespace sheaf::store {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE packages (
  id       TEXT PRIMARY KEY,  -- sha256:<hex> of the package document blob
  name     TEXT NOT NULL,
  version  TEXT NOT NULL,
  arch     TEXT NOT NULL,
  fileset  TEXT NOT NULL,     -- sha256:<hex> of the FileSet manifest blob
  entries  INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  metadata TEXT NOT NULL      -- JSON object
) WITHOUT ROWID;
CREATE INDEX packages_by_name ON packages(name);
CREATE TABLE origins (
  package TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  origin  TEXT NOT NULL,      -- canonical JSON
  PRIMARY KEY (package, origin)
) WITHOUT ROWID;
CREATE INDEX origins_by_origin ON origins(origin);
CREATE TABLE file_cache (     -- see store/file_cache.hpp; never part of an identity
  dev      INTEGER NOT NULL,
  ino      INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  mode     INTEGER NOT NULL,
  uid      INTEGER NOT NULL,
  gid      INTEGER NOT NULL,
  digest   TEXT NOT NULL,     -- sha256:<hex> of the content, an object
  xattrs   TEXT NOT NULL,     -- canonical JSON object, name -> base64
  PRIMARY KEY (dev, ino)
) WITHOUT ROWID;
CREATE INDEX file_cache_by_digest ON file_cache(digest);
)sql";

// Added by schema version 2: layers and images.
constexpr std::string_view kSchemaImages = R"sql(
CREATE TABLE layers (         -- a package's layer blob, made once and reused by every image
  package  TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  variant  TEXT NOT NULL,     -- the codec and drop filter that shaped it (see image/layers.hpp)
  digest   TEXT NOT NULL,     -- sha256:<hex> of the compressed blob
  size     INTEGER NOT NULL,
  diff_id  TEXT NOT NULL,     -- sha256:<hex> of the uncompressed tar
  dropped  INTEGER NOT NULL,  -- entries the drop filter removed
  PRIMARY KEY (package, variant)
) WITHOUT ROWID;
CREATE TABLE images (
  digest   TEXT PRIMARY KEY,  -- sha256:<hex> of the manifest blob
  config   TEXT NOT NULL,     -- sha256:<hex> of the config blob
  size     INTEGER NOT NULL,  -- bytes of the manifest
  created  TEXT NOT NULL,     -- the config's "created"
  sources  TEXT NOT NULL      -- canonical JSON: where it came from (spec, lock, mirrors); never in the image
) WITHOUT ROWID;
CREATE TABLE image_packages (
  image    TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
  package  TEXT NOT NULL REFERENCES packages(id),
  PRIMARY KEY (image, package)
) WITHOUT ROWID;
CREATE TABLE image_blobs (    -- every blob an image needs: what gc keeps for it
  image    TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
  blob     TEXT NOT NULL,
  PRIMARY KEY (image, blob)
) WITHOUT ROWID;
CREATE TABLE tags (
  name     TEXT NOT NULL,
  tag      TEXT NOT NULL,
  image    TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
  PRIMARY KEY (name, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_image ON tags(image);
)sql";

// Added by schema version 4: registries. Where pulled images came from,
// which blobs a registry is known to hold (for cross-repository mounts), and
// packages whose content the store holds only in part (pulled from layers
// that a drop filter narrowed).
constexpr std::string_view kSchemaRegistries = R"sql(
CREATE TABLE image_origins (  -- where a pulled image came from (for the trust policy)
  image     TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
  reference TEXT NOT NULL,    -- docker://HOST/REPO:TAG or @sha256:..., as it was asked for
  PRIMARY KEY (image, reference)
) WITHOUT ROWID;
CREATE TABLE registry_blobs ( -- blobs a registry repository is known to hold; never trusted, only tried
  registry   TEXT NOT NULL,   -- HOST[:PORT]
  blob       TEXT NOT NULL,
  repository TEXT NOT NULL,
  PRIMARY KEY (registry, blob, repository)
) WITHOUT ROWID;
CREATE TABLE partial_packages ( -- content held only for the files this filter keeps
  package  TEXT PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
  filter   TEXT NOT NULL      -- canonical JSON: {"drop": [globs]}
) WITHOUT ROWID;
)sql";

// Added by schema version 5: simple signatures of images (sign/), signed
// here or pulled with the image, kept for the trust policy at run time.
constexpr std::string_view kSchemaSignatures = R"sql(
CREATE TABLE image_signatures (
  image    TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
  blob     TEXT NOT NULL,     -- the OpenPGP signed message, a blob
  identity TEXT NOT NULL,     -- the docker-reference it names, or "" when not checked
  PRIMARY KEY (image, blob)
) WITHOUT ROWID;
)sql";

// Added by schema version 6: sigstore signatures beside the simple ones
// (kind), and package signatures (DSSE envelopes, sign/dsse.hpp).
constexpr std::string_view kSchemaSignatureKinds = R"sql(
ALTER TABLE image_signatures ADD COLUMN kind TEXT NOT NULL DEFAULT 'simple'; -- 'simple' or 'sigstore' (a record, sign/sigstore.hpp)
CREATE TABLE package_signatures (
  package TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  blob    TEXT NOT NULL,      -- the DSSE envelope, a blob
  keyid   TEXT NOT NULL,      -- sha256:<hex> of the signing key's SubjectPublicKeyInfo
  PRIMARY KEY (package, blob)
) WITHOUT ROWID;
)sql";

// Added by schema version 7: what a recipe build of a package read and
// recorded, so that `sheaf rebuild` can build it again (pipeline/recipe.hpp).
constexpr std::string_view kSchemaBuilds = R"sql(
CREATE TABLE package_builds (
  package TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  role    TEXT NOT NULL,      -- 'provenance' (a statement or its DSSE envelope), 'recipe' or 'source'
  blob    TEXT NOT NULL,
  PRIMARY KEY (package, role, blob)
) WITHOUT ROWID;
)sql";

// Added by schema version 8: image indexes. An index is a row of images
// (so that tags name it) with the index media type and no config; its
// images are rows of their own, which it holds until it goes.
constexpr std::string_view kSchemaIndexes = R"sql(
ALTER TABLE images ADD COLUMN media_type TEXT NOT NULL DEFAULT 'application/vnd.oci.image.manifest.v1+json';
CREATE TABLE index_images (
  idx      TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
  position INTEGER NOT NULL,  -- the order of the index's manifests
  image    TEXT NOT NULL REFERENCES images(digest),
  platform TEXT NOT NULL,     -- os/architecture[/variant]
  PRIMARY KEY (idx, position)
) WITHOUT ROWID;
CREATE INDEX index_images_by_image ON index_images(image);
)sql";

constexpr std::string_view kPackageColumns = "id, name, version, arch, fileset, entries, size, metadata";

PackageRecord read_record(const Statement& row) {
  return PackageRecord{row.text(0),
                       row.text(1),
                       row.text(2),
                       row.text(3),
                       row.text(4),
                       static_cast<std::uint64_t>(row.integer(5)),
                       static_cast<std::uint64_t>(row.integer(6)),
                       row.text(7)};
}

std::vector<PackageRecord> collect(Statement& query) {
  std::vector<PackageRecord> out;
  while (query.step()) out.push_back(read_record(query));
  return out;
}

int schema_version(Database& db) {
  Statement query(db, "PRAGMA user_version");
  return query.step() ? static_cast<int>(query.integer(0)) : 0;
}

// journal_mode=WAL is persistent, so only a new database needs the switch.
// The switch takes an exclusive lock and SQLite reports a conflict at once
// instead of calling the busy handler, so retry for a while.
void enable_wal(Database& db) {
  for (int attempt = 0;; ++attempt) {
    {
      Statement query(db, "PRAGMA journal_mode");
      if (query.step() && query.text(0) == "wal") return;
    }  // finalised: an open statement would hold a read transaction
    int rc = sqlite3_exec(db.handle(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xff) != SQLITE_BUSY || attempt == 500) db.fail(rc, "switching the index to WAL mode");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Index::Index(const std::string& path) : db_(std::make_unique<Database>(path)) {
  enable_wal(*db_);
  // mmap_size: reads map the database instead of a pread(2) per page; a
  // question over every image (sheaf which) touches thousands of pages.
  db_->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=1073741824");

  int version = schema_version(*db_);
  if (version > kSchemaVersion) {
    throw Error(
        fmt::format("the store index {} has schema version {}, but this sheaf understands only up to {}; "
                    "use a newer sheaf",
                    quote(path), version, kSchemaVersion));
  }
  if (version == kSchemaVersion) return;
  db_->exec("BEGIN IMMEDIATE");
  try {
    version = schema_version(*db_);  // another process may have created it meanwhile
    if (version == 0) {
      db_->exec(kSchema);
      db_->exec(kSchemaImages);
      db_->exec(kSchemaRegistries);
      db_->exec(kSchemaSignatures);
      db_->exec(kSchemaSignatureKinds);
      db_->exec(kSchemaBuilds);
      db_->exec(kSchemaIndexes);
      db_->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
    } else if (version >= 1 && version <= 7) {
      // Version 2 added the image tables; version 3 dropped the index of
      // image_packages by package (see the queries that use the table);
      // version 4 added the registry tables; version 5 the signatures;
      // version 6 their kinds and package signatures; version 7 the
      // records of recipe builds; version 8 image indexes.
      if (version == 1) db_->exec(kSchemaImages);
      if (version <= 3) {
        db_->exec("DROP INDEX IF EXISTS image_packages_by_package");
        db_->exec(kSchemaRegistries);
      }
      if (version <= 4) db_->exec(kSchemaSignatures);
      if (version <= 5) db_->exec(kSchemaSignatureKinds);
      if (version <= 6) db_->exec(kSchemaBuilds);
      db_->exec(kSchemaIndexes);
      db_->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
    } else if (version != kSchemaVersion) {
      throw Error(fmt::format("the store index {} has unknown schema version {}", quote(path), version));
    }
    db_->exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

Index::~Index() = default;

bool Index::Transaction::insert_package(const PackageRecord& r) {
  Statement insert(db_, "INSERT OR IGNORE INTO packages VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, r.id).bind(2, r.name).bind(3, r.version).bind(4, r.arch).bind(5, r.fileset);
  insert.bind(6, static_cast<std::int64_t>(r.entries)).bind(7, static_cast<std::int64_t>(r.size)).bind(8, r.metadata);
  insert.run();
  bool inserted = db_.changes() > 0;
  // The writer has every file's content: the package is whole now.
  Statement whole(db_, "DELETE FROM partial_packages WHERE package = ?1");
  whole.bind(1, r.id).run();
  return inserted;
}

bool Index::Transaction::insert_partial_package(const PackageRecord& record, std::string_view filter) {
  Statement insert(db_, "INSERT OR IGNORE INTO packages VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, record.id).bind(2, record.name).bind(3, record.version).bind(4, record.arch).bind(5, record.fileset);
  insert.bind(6, static_cast<std::int64_t>(record.entries)).bind(7, static_cast<std::int64_t>(record.size));
  insert.bind(8, record.metadata);
  insert.run();
  if (db_.changes() == 0) return false;  // present already, whole or in part
  Statement partial(db_, "INSERT INTO partial_packages VALUES (?1, ?2)");
  partial.bind(1, record.id).bind(2, filter).run();
  return true;
}

void Index::Transaction::add_image_origin(std::string_view image, std::string_view reference) {
  Statement insert(db_, "INSERT OR IGNORE INTO image_origins VALUES (?1, ?2)");
  insert.bind(1, image).bind(2, reference).run();
}

void Index::Transaction::add_image_signature(std::string_view image, std::string_view blob, std::string_view identity,
                                             std::string_view kind) {
  Statement insert(db_,
                   "INSERT INTO image_signatures (image, blob, identity, kind) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(image, blob) DO UPDATE SET identity = excluded.identity WHERE excluded.identity != ''");
  insert.bind(1, image).bind(2, blob).bind(3, identity).bind(4, kind).run();
}

void Index::Transaction::add_package_signature(std::string_view package, std::string_view blob, std::string_view keyid) {
  Statement insert(db_, "INSERT OR IGNORE INTO package_signatures VALUES (?1, ?2, ?3)");
  insert.bind(1, package).bind(2, blob).bind(3, keyid).run();
}

void Index::Transaction::add_registry_blob(std::string_view registry, std::string_view repository,
                                           std::string_view blob) {
  Statement insert(db_, "INSERT OR IGNORE INTO registry_blobs VALUES (?1, ?2, ?3)");
  insert.bind(1, registry).bind(2, blob).bind(3, repository).run();
}

bool Index::Transaction::set_metadata(std::string_view id, std::string_view metadata) {
  Statement update(db_, "UPDATE packages SET metadata = ?2 WHERE id = ?1");
  update.bind(1, id).bind(2, metadata).run();
  return db_.changes() > 0;
}

void Index::Transaction::put_file_cache(const FileCacheRow& row) {
  const fileset::FileIdentity& id = row.identity;
  Statement insert(db_, "INSERT OR REPLACE INTO file_cache VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  insert.bind(1, static_cast<std::int64_t>(id.dev)).bind(2, static_cast<std::int64_t>(id.ino));
  insert.bind(3, static_cast<std::int64_t>(id.size)).bind(4, id.mtime_ns).bind(5, id.ctime_ns);
  insert.bind(6, std::int64_t{id.mode}).bind(7, std::int64_t{id.uid}).bind(8, std::int64_t{id.gid});
  insert.bind(9, row.digest).bind(10, row.xattrs).run();
}

void Index::Transaction::forget_file_content(std::string_view digest) {
  Statement remove(db_, "DELETE FROM file_cache WHERE digest = ?1");
  remove.bind(1, digest).run();
}

void Index::Transaction::add_origin(std::string_view package_id, std::string_view origin) {
  Statement insert(db_, "INSERT OR IGNORE INTO origins VALUES (?1, ?2)");
  insert.bind(1, package_id).bind(2, origin).run();
}

bool Index::Transaction::remove_package(std::string_view id) {
  Statement remove(db_, "DELETE FROM packages WHERE id = ?1");
  remove.bind(1, id).run();
  return db_.changes() > 0;
}

void Index::write(const std::function<void(Transaction&)>& body) {
  db_->exec("BEGIN IMMEDIATE");
  try {
    Transaction transaction(*db_);
    body(transaction);
    db_->exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<PackageRecord> Index::packages() {
  Statement query(*db_, fmt::format("SELECT {} FROM packages ORDER BY name, id", kPackageColumns));
  return collect(query);
}

std::vector<PackageRecord> Index::packages_named(std::string_view name) {
  Statement query(*db_, fmt::format("SELECT {} FROM packages WHERE name = ?1 ORDER BY id", kPackageColumns));
  query.bind(1, name);
  return collect(query);
}

std::vector<PackageRecord> Index::packages_with_id_prefix(std::string_view hex_prefix) {
  // A range scan on the primary key: ids are "sha256:" + hex, and the prefix
  // holds only hex digits, so [prefix, prefix + '~') covers exactly the matches.
  std::string low = "sha256:" + std::string(hex_prefix);
  Statement query(*db_, fmt::format("SELECT {} FROM packages WHERE id >= ?1 AND id < ?2 ORDER BY id", kPackageColumns));
  query.bind(1, low).bind(2, low + "~");
  return collect(query);
}

std::optional<PackageRecord> Index::package(std::string_view id) {
  Statement query(*db_, fmt::format("SELECT {} FROM packages WHERE id = ?1", kPackageColumns));
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return read_record(query);
}

std::vector<FileCacheRow> Index::file_cache_rows(std::uint64_t dev) {
  Statement query(*db_,
                  "SELECT dev, ino, size, mtime_ns, ctime_ns, mode, uid, gid, digest, xattrs "
                  "FROM file_cache WHERE dev = ?1");
  query.bind(1, static_cast<std::int64_t>(dev));
  std::vector<FileCacheRow> rows;
  while (query.step()) {
    fileset::FileIdentity id{static_cast<std::uint64_t>(query.integer(0)),
                             static_cast<std::uint64_t>(query.integer(1)),
                             static_cast<std::uint64_t>(query.integer(2)),
                             query.integer(3),
                             query.integer(4),
                             static_cast<std::uint32_t>(query.integer(5)),
                             static_cast<std::uint32_t>(query.integer(6)),
                             static_cast<std::uint32_t>(query.integer(7))};
    rows.push_back({id, query.text(8), query.text(9)});
  }
  return rows;
}

std::vector<std::string> Index::origins(std::string_view id) {
  Statement query(*db_, "SELECT origin FROM origins WHERE package = ?1 ORDER BY origin");
  query.bind(1, id);
  std::vector<std::string> out;
  while (query.step()) out.push_back(query.text(0));
  return out;
}

std::vector<PackageRecord> Index::packages_with_origin(std::string_view origin) {
  Statement query(*db_, fmt::format("SELECT {} FROM packages WHERE id IN "
                                    "(SELECT package FROM origins WHERE origin = ?1) ORDER BY id",
                                    kPackageColumns));
  query.bind(1, origin);
  return collect(query);
}

void Index::Transaction::put_layer(const LayerRecord& r) {
  Statement insert(db_, "INSERT OR REPLACE INTO layers VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert.bind(1, r.package).bind(2, r.variant).bind(3, r.digest).bind(4, static_cast<std::int64_t>(r.size));
  insert.bind(5, r.diff_id).bind(6, static_cast<std::int64_t>(r.dropped)).run();
}

void Index::Transaction::put_image(const ImageRecord& r, const std::vector<std::string>& packages,
                                   const std::vector<std::string>& blobs) {
  // An upsert, not INSERT OR REPLACE: a replace deletes the row first, and the
  // delete would cascade to the image's tags.
  Statement insert(db_,
                   "INSERT INTO images (digest, config, size, created, sources, media_type) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(digest) DO UPDATE SET "
                   "config = excluded.config, size = excluded.size, created = excluded.created, "
                   "sources = excluded.sources, media_type = excluded.media_type");
  insert.bind(1, r.digest).bind(2, r.config).bind(3, static_cast<std::int64_t>(r.size)).bind(4, r.created);
  insert.bind(5, r.sources).bind(6, r.media_type).run();
  Statement clear_packages(db_, "DELETE FROM image_packages WHERE image = ?1");
  clear_packages.bind(1, r.digest).run();
  Statement clear_blobs(db_, "DELETE FROM image_blobs WHERE image = ?1");
  clear_blobs.bind(1, r.digest).run();
  for (const auto& package : packages) {
    Statement link(db_, "INSERT OR IGNORE INTO image_packages VALUES (?1, ?2)");
    link.bind(1, r.digest).bind(2, package).run();
  }
  for (const auto& blob : blobs) {
    Statement link(db_, "INSERT OR IGNORE INTO image_blobs VALUES (?1, ?2)");
    link.bind(1, r.digest).bind(2, blob).run();
  }
}

void Index::Transaction::put_index(const ImageRecord& r, const std::vector<IndexEntry>& images,
                                   const std::vector<std::string>& blobs) {
  ImageRecord record = r;
  record.media_type = std::string(kImageIndexType);
  put_image(record, {}, blobs);
  Statement clear(db_, "DELETE FROM index_images WHERE idx = ?1");
  clear.bind(1, r.digest).run();
  for (std::size_t i = 0; i < images.size(); ++i) {
    Statement link(db_, "INSERT INTO index_images VALUES (?1, ?2, ?3, ?4)");
    link.bind(1, r.digest).bind(2, static_cast<std::int64_t>(i)).bind(3, images[i].image).bind(4, images[i].platform);
    link.run();
  }
}

void Index::Transaction::set_tag(std::string_view name, std::string_view tag, std::string_view image) {
  Statement insert(db_, "INSERT OR REPLACE INTO tags VALUES (?1, ?2, ?3)");
  insert.bind(1, name).bind(2, tag).bind(3, image).run();
}

bool Index::Transaction::remove_image(std::string_view digest) {
  Statement remove(db_, "DELETE FROM images WHERE digest = ?1");
  remove.bind(1, digest).run();
  return db_.changes() > 0;
}

bool Index::Transaction::remove_tag(std::string_view name, std::string_view tag) {
  Statement remove(db_, "DELETE FROM tags WHERE name = ?1 AND tag = ?2");
  remove.bind(1, name).bind(2, tag).run();
  return db_.changes() > 0;
}

namespace {

constexpr std::string_view kImageColumns = "digest, config, size, created, sources, media_type";

ImageRecord read_image(const Statement& row) {
  return ImageRecord{row.text(0), row.text(1), static_cast<std::uint64_t>(row.integer(2)),
                     row.text(3), row.text(4), row.text(5)};
}

std::vector<ImageRecord> collect_images(Statement& query) {
  std::vector<ImageRecord> out;
  while (query.step()) out.push_back(read_image(query));
  return out;
}

std::vector<std::string> collect_texts(Statement& query) {
  std::vector<std::string> out;
  while (query.step()) out.push_back(query.text(0));
  return out;
}

}  // namespace

std::optional<LayerRecord> Index::layer(std::string_view package, std::string_view variant) {
  Statement query(*db_,
                  "SELECT package, variant, digest, size, diff_id, dropped FROM layers "
                  "WHERE package = ?1 AND variant = ?2");
  query.bind(1, package).bind(2, variant);
  if (!query.step()) return std::nullopt;
  return LayerRecord{query.text(0), query.text(1),
                     query.text(2), static_cast<std::uint64_t>(query.integer(3)),
                     query.text(4), static_cast<std::uint64_t>(query.integer(5))};
}

std::vector<std::string> Index::layer_blobs() {
  Statement query(*db_, "SELECT DISTINCT digest FROM layers ORDER BY digest");
  return collect_texts(query);
}

std::vector<ImageRecord> Index::images() {
  Statement query(*db_, fmt::format("SELECT {} FROM images ORDER BY digest", kImageColumns));
  return collect_images(query);
}

std::optional<ImageRecord> Index::image(std::string_view digest) {
  Statement query(*db_, fmt::format("SELECT {} FROM images WHERE digest = ?1", kImageColumns));
  query.bind(1, digest);
  if (!query.step()) return std::nullopt;
  return read_image(query);
}

std::vector<ImageRecord> Index::images_with_digest_prefix(std::string_view hex_prefix) {
  std::string low = "sha256:" + std::string(hex_prefix);
  Statement query(
      *db_, fmt::format("SELECT {} FROM images WHERE digest >= ?1 AND digest < ?2 ORDER BY digest", kImageColumns));
  query.bind(1, low).bind(2, low + "~");
  return collect_images(query);
}

std::optional<std::string> Index::tagged_image(std::string_view name, std::string_view tag) {
  Statement query(*db_, "SELECT image FROM tags WHERE name = ?1 AND tag = ?2");
  query.bind(1, name).bind(2, tag);
  if (!query.step()) return std::nullopt;
  return query.text(0);
}

std::vector<std::pair<std::string, std::string>> Index::image_tags(std::string_view digest) {
  Statement query(*db_, "SELECT name, tag FROM tags WHERE image = ?1 ORDER BY name, tag");
  query.bind(1, digest);
  std::vector<std::pair<std::string, std::string>> out;
  while (query.step()) out.emplace_back(query.text(0), query.text(1));
  return out;
}

void Index::Transaction::remove_registry_blob(std::string_view registry, std::string_view repository,
                                              std::string_view blob) {
  Statement remove(db_, "DELETE FROM registry_blobs WHERE registry = ?1 AND blob = ?2 AND repository = ?3");
  remove.bind(1, registry).bind(2, blob).bind(3, repository).run();
}

std::vector<std::string> Index::image_origins(std::string_view digest) {
  Statement query(*db_, "SELECT reference FROM image_origins WHERE image = ?1 ORDER BY reference");
  query.bind(1, digest);
  std::vector<std::string> out;
  while (query.step()) out.push_back(query.text(0));
  return out;
}

std::vector<std::string> Index::registry_repositories_with(std::string_view registry, std::string_view blob) {
  Statement query(*db_, "SELECT repository FROM registry_blobs WHERE registry = ?1 AND blob = ?2 ORDER BY repository");
  query.bind(1, registry).bind(2, blob);
  std::vector<std::string> out;
  while (query.step()) out.push_back(query.text(0));
  return out;
}

std::optional<std::string> Index::partial_filter(std::string_view package) {
  Statement query(*db_, "SELECT filter FROM partial_packages WHERE package = ?1");
  query.bind(1, package);
  if (!query.step()) return std::nullopt;
  return query.text(0);
}

std::vector<std::pair<std::string, std::string>> Index::all_tags() {
  Statement query(*db_, "SELECT image, name || ':' || tag FROM tags ORDER BY image, name, tag");
  std::vector<std::pair<std::string, std::string>> out;
  while (query.step()) out.emplace_back(query.text(0), query.text(1));
  return out;
}

std::vector<IndexEntry> Index::index_images(std::string_view index) {
  Statement query(*db_, "SELECT image, platform FROM index_images WHERE idx = ?1 ORDER BY position");
  query.bind(1, index);
  std::vector<IndexEntry> out;
  while (query.step()) out.push_back({query.text(0), query.text(1)});
  return out;
}

std::vector<std::string> Index::indexes_with_image(std::string_view image) {
  Statement query(*db_, "SELECT DISTINCT idx FROM index_images WHERE image = ?1 ORDER BY idx");
  query.bind(1, image);
  return collect_texts(query);
}

std::vector<std::string> Index::image_packages(std::string_view digest) {
  Statement query(*db_, "SELECT package FROM image_packages WHERE image = ?1 ORDER BY package");
  query.bind(1, digest);
  return collect_texts(query);
}

// image_packages has no index by package: every image insert would touch
// one leaf of it per package, most of what an image update writes. The
// questions by package probe the primary key (image, package) once per image
// instead, about 2 ms for 1,000 images (docs/decisions.md).
std::vector<std::string> Index::images_with_package(std::string_view package) {
  Statement query(*db_,
                  "SELECT digest FROM images WHERE EXISTS "
                  "(SELECT 1 FROM image_packages WHERE image = digest AND package = ?1) ORDER BY digest");
  query.bind(1, package);
  return collect_texts(query);
}

std::vector<std::pair<std::string, PackageRecord>> Index::image_packages_named(std::string_view name) {
  // The metadata column is left out (''): it is the bulk of a row, and a
  // package can be in every image.
  Statement query(*db_,
                  "SELECT packages.id, name, version, arch, fileset, entries, packages.size, '', images.digest "
                  "FROM packages CROSS JOIN images WHERE name = ?1 AND EXISTS (SELECT 1 FROM image_packages "
                  "WHERE image = images.digest AND package = packages.id) ORDER BY images.digest, packages.id");
  query.bind(1, name);
  std::vector<std::pair<std::string, PackageRecord>> out;
  while (query.step()) out.emplace_back(query.text(8), read_record(query));
  return out;
}

std::vector<std::string> Index::image_blobs_of(std::string_view digest) {
  Statement query(*db_,
                  "SELECT blob FROM image_blobs WHERE image = ?1 UNION SELECT blob FROM image_signatures WHERE image = ?1 "
                  "ORDER BY blob");
  query.bind(1, digest);
  return collect_texts(query);
}

std::vector<ImageSignature> Index::image_signatures(std::string_view digest) {
  Statement query(*db_, "SELECT blob, identity, kind FROM image_signatures WHERE image = ?1 ORDER BY blob");
  query.bind(1, digest);
  std::vector<ImageSignature> out;
  while (query.step()) out.push_back({query.text(0), query.text(1), query.text(2)});
  return out;
}

void Index::Transaction::add_package_build_blob(std::string_view package, std::string_view role,
                                                std::string_view blob) {
  Statement insert(db_, "INSERT OR IGNORE INTO package_builds VALUES (?1, ?2, ?3)");
  insert.bind(1, package).bind(2, role).bind(3, blob).run();
}

std::vector<PackageSignature> Index::package_signatures(std::string_view package) {
  Statement query(*db_, "SELECT blob, keyid FROM package_signatures WHERE package = ?1 ORDER BY keyid, blob");
  query.bind(1, package);
  std::vector<PackageSignature> out;
  while (query.step()) out.push_back({query.text(0), query.text(1)});
  return out;
}

std::vector<PackageBuildBlob> Index::package_build_blobs(std::string_view package) {
  Statement query(*db_, "SELECT role, blob FROM package_builds WHERE package = ?1 ORDER BY role, blob");
  query.bind(1, package);
  std::vector<PackageBuildBlob> out;
  while (query.step()) out.push_back({query.text(0), query.text(1)});
  return out;
}

std::vector<std::string> Index::image_blobs() {
  Statement query(*db_,
                  "SELECT blob FROM image_blobs UNION SELECT blob FROM image_signatures UNION "
                  "SELECT blob FROM package_signatures UNION SELECT blob FROM package_builds ORDER BY blob");
  return collect_texts(query);
}

}  // namespace sheaf::store
