#include "store/index.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/digest.hpp"
#include "base/error.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::store {
namespace {

PackageRecord record(std::string name, std::string version, std::string_view seed) {
  return PackageRecord{Digest::of(seed).str(),
                       std::move(name),
                       std::move(version),
                       "amd64",
                       Digest::of(std::string(seed) + "-fs").str(),
                       3,
                       42,
                       "{}"};
}

TEST(Index, InsertsOnceAndFindsByNameIdAndPrefix) {
  testing::TempDir dir;
  Index index((dir / "index.db").string());
  auto a = record("hello", "1.0", "a");
  bool first = false;
  bool second = true;
  index.write([&](Index::Transaction& t) { first = t.insert_package(a); });
  index.write([&](Index::Transaction& t) { second = t.insert_package(a); });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);

  ASSERT_EQ(index.packages_named("hello").size(), 1u);
  EXPECT_EQ(index.package(a.id)->fileset, a.fileset);
  EXPECT_EQ(index.packages_with_id_prefix(a.id.substr(7, 12)).size(), 1u);
  EXPECT_TRUE(index.packages_with_id_prefix("ffffffffffffffff").empty() ||
              index.packages_with_id_prefix("ffffffffffffffff")[0].id == a.id);
  EXPECT_FALSE(index.package(Digest::of("nope").str()));
}

TEST(Index, RemovingAPackageRemovesItsOrigins) {
  testing::TempDir dir;
  Index index((dir / "index.db").string());
  auto a = record("hello", "1.0", "a");
  index.write([&](Index::Transaction& t) {
    t.insert_package(a);
    t.add_origin(a.id, R"({"type":"directory","path":"x"})");
    t.add_origin(a.id, R"({"type":"directory","path":"x"})");  // recorded once
    t.add_origin(a.id, R"({"type":"directory","path":"y"})");
  });
  EXPECT_EQ(index.origins(a.id).size(), 2u);
  bool removed = false;
  index.write([&](Index::Transaction& t) { removed = t.remove_package(a.id); });
  EXPECT_TRUE(removed);
  EXPECT_TRUE(index.origins(a.id).empty());
  EXPECT_TRUE(index.packages().empty());
}

TEST(Index, RollsBackWhenTheBodyThrows) {
  testing::TempDir dir;
  Index index((dir / "index.db").string());
  EXPECT_THROW(index.write([&](Index::Transaction& t) {
    t.insert_package(record("hello", "1.0", "a"));
    throw Error("stop");
  }),
               Error);
  EXPECT_TRUE(index.packages().empty());
}

TEST(Index, RefusesAnIndexFromANewerSheaf) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  try {
    Index index(path);
    FAIL() << "a newer index was opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

// What schema version 8 added, undone: how an older index looked.
#define kUndoIndexes "DROP TABLE index_images; ALTER TABLE images DROP COLUMN media_type; "

TEST(Index, UpgradesAVersion1IndexByAddingTheImageTables) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  for (const char* table :
       {"index_images", "package_builds", "package_signatures", "image_signatures", "image_origins", "registry_blobs",
        "partial_packages", "layers", "image_packages", "image_blobs", "tags", "images"}) {
    ASSERT_EQ(sqlite3_exec(db, (std::string("DROP TABLE ") + table).c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=1", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  Index index(path);
  EXPECT_TRUE(index.images().empty());
  index.write([](Index::Transaction& t) {
    t.put_image({"sha256:aa", "sha256:bb", 10, "1970-01-01T00:00:01Z", "{}"}, {}, {"sha256:aa", "sha256:bb"});
    t.set_tag("hello", "latest", "sha256:aa");
  });
  EXPECT_EQ(index.tagged_image("hello", "latest"), "sha256:aa");
  EXPECT_EQ(index.image_blobs(), (std::vector<std::string>{"sha256:aa", "sha256:bb"}));
  index.write([](Index::Transaction& t) { EXPECT_TRUE(t.remove_image("sha256:aa")); });
  EXPECT_EQ(index.tagged_image("hello", "latest"), std::nullopt);  // tags go with their image
  EXPECT_TRUE(index.image_blobs().empty());
}

TEST(Index, UpgradesAVersion2IndexByDroppingTheIndexByPackage) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         kUndoIndexes
                         "DROP TABLE package_builds; DROP TABLE package_signatures; DROP TABLE image_signatures; "
                         "DROP TABLE image_origins; DROP TABLE registry_blobs; DROP TABLE partial_packages; CREATE "
                         "INDEX image_packages_by_package ON image_packages(package); PRAGMA user_version=2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  {
    Index index(path);
    index.write([](Index::Transaction& t) {
      t.insert_package({"sha256:p1", "libssl3", "3.0.20-1~deb12u2", "amd64", "sha256:f", 0, 0, "{}"});
      t.put_image({"sha256:aa", "sha256:bb", 10, "1970-01-01T00:00:01Z", "{}"}, {"sha256:p1"}, {"sha256:aa"});
      t.put_image({"sha256:cc", "sha256:dd", 10, "1970-01-01T00:00:01Z", "{}"}, {}, {"sha256:cc"});
    });
    EXPECT_EQ(index.images_with_package("sha256:p1"), (std::vector<std::string>{"sha256:aa"}));
    auto named = index.image_packages_named("libssl3");
    ASSERT_EQ(named.size(), 1u);
    EXPECT_EQ(named[0].first, "sha256:aa");
    EXPECT_EQ(named[0].second.version, "3.0.20-1~deb12u2");
    EXPECT_TRUE(index.image_packages_named("libc6").empty());
  }
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'image_packages_by_package'", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(Index, UpgradesAVersion3IndexWithTheRegistryTables) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         kUndoIndexes
                         "DROP TABLE package_builds; DROP TABLE package_signatures; DROP TABLE image_signatures; "
                         "DROP TABLE image_origins; DROP TABLE registry_blobs; DROP TABLE partial_packages; "
                         "PRAGMA user_version=3",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Index index(path);
  index.write([](Index::Transaction& t) {
    t.put_image({"sha256:aa", "sha256:bb", 10, "1970-01-01T00:00:01Z", "{}"}, {}, {"sha256:aa"});
    t.add_image_origin("sha256:aa", "docker://127.0.0.1:5000/app:1");
    t.add_registry_blob("127.0.0.1:5000", "app", "sha256:bb");
  });
  EXPECT_EQ(index.image_origins("sha256:aa"), (std::vector<std::string>{"docker://127.0.0.1:5000/app:1"}));
  EXPECT_EQ(index.registry_repositories_with("127.0.0.1:5000", "sha256:bb"), (std::vector<std::string>{"app"}));
  EXPECT_TRUE(index.registry_repositories_with("127.0.0.1:5001", "sha256:bb").empty());
  index.write([](Index::Transaction& t) { t.remove_image("sha256:aa"); });
  EXPECT_TRUE(index.image_origins("sha256:aa").empty());  // origins go with their image
}

TEST(Index, UpgradesAVersion4IndexWithTheSignatureTableAndKeepsSignatureBlobs) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   kUndoIndexes
                   "DROP TABLE package_builds; DROP TABLE image_signatures; DROP TABLE package_signatures; PRAGMA "
                   "user_version=4",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  Index index(path);
  index.write([](Index::Transaction& t) {
    t.put_image({"sha256:aa", "sha256:bb", 10, "1970-01-01T00:00:01Z", "{}"}, {}, {"sha256:aa"});
    t.add_image_signature("sha256:aa", "sha256:51", "127.0.0.1:5000/app:1");
    t.add_image_signature("sha256:aa", "sha256:52", "");
    t.add_image_signature("sha256:aa", "sha256:51", "");  // a known identity stays
  });
  auto signatures = index.image_signatures("sha256:aa");
  ASSERT_EQ(signatures.size(), 2u);
  EXPECT_EQ(signatures[0].identity, "127.0.0.1:5000/app:1");
  EXPECT_EQ(index.image_blobs(), (std::vector<std::string>{"sha256:51", "sha256:52", "sha256:aa"}));
  EXPECT_EQ(index.image_blobs_of("sha256:aa"), (std::vector<std::string>{"sha256:51", "sha256:52", "sha256:aa"}));
  // Building the image again keeps its signatures (they sign its manifest).
  index.write([](Index::Transaction& t) {
    t.put_image({"sha256:aa", "sha256:bb", 10, "1970-01-01T00:00:01Z", "{}"}, {}, {"sha256:aa"});
  });
  EXPECT_EQ(index.image_signatures("sha256:aa").size(), 2u);
  index.write([](Index::Transaction& t) { t.remove_image("sha256:aa"); });
  EXPECT_TRUE(index.image_signatures("sha256:aa").empty());
  EXPECT_TRUE(index.image_blobs().empty());
}

TEST(Index, UpgradesAVersion5IndexWithSignatureKindsAndPackageSignatures) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // The version-5 tables, with a simple signature in them.
  ASSERT_EQ(
      sqlite3_exec(db,
                   kUndoIndexes
                   "DROP TABLE package_builds; DROP TABLE package_signatures; DROP TABLE image_signatures;"
                   "CREATE TABLE image_signatures (image TEXT NOT NULL REFERENCES images(digest) ON DELETE CASCADE,"
                   " blob TEXT NOT NULL, identity TEXT NOT NULL, PRIMARY KEY (image, blob)) WITHOUT ROWID;"
                   "INSERT INTO images VALUES ('sha256:aa', 'sha256:bb', 10, '1970-01-01T00:00:01Z', '{}');"
                   "INSERT INTO image_signatures VALUES ('sha256:aa', 'sha256:51', 'h:1/app:1');"
                   "PRAGMA user_version=5",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  Index index(path);
  auto signatures = index.image_signatures("sha256:aa");
  ASSERT_EQ(signatures.size(), 1u);
  EXPECT_EQ(signatures[0].kind, "simple");
  PackageRecord record{"sha256:p1", "lib", "1.0", "amd64", "sha256:f", 1, 1, "{}"};
  index.write([&](Index::Transaction& t) {
    t.add_image_signature("sha256:aa", "sha256:53", "h:1/app:1", "sigstore");
    t.insert_package(record);
    t.add_package_signature("sha256:p1", "sha256:e1", "sha256:k1");
    t.add_package_signature("sha256:p1", "sha256:e1", "sha256:k1");  // once
  });
  EXPECT_EQ(index.image_signatures("sha256:aa")[1].kind, "sigstore");
  ASSERT_EQ(index.package_signatures("sha256:p1").size(), 1u);
  EXPECT_EQ(index.package_signatures("sha256:p1")[0].keyid, "sha256:k1");
  // gc keeps the envelope while the package is there; it goes with it.
  auto blobs = index.image_blobs();
  EXPECT_NE(std::find(blobs.begin(), blobs.end(), "sha256:e1"), blobs.end());
  index.write([](Index::Transaction& t) { t.remove_package("sha256:p1"); });
  EXPECT_TRUE(index.package_signatures("sha256:p1").empty());
}

TEST(Index, UpgradesAVersion6IndexWithTheRecordsOfBuilds) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, kUndoIndexes "DROP TABLE package_builds; PRAGMA user_version=6", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  Index index(path);
  PackageRecord record{"sha256:p1", "hello", "2.10-3+sheaf1", "amd64", "sha256:f", 1, 1, "{}"};
  index.write([&](Index::Transaction& t) {
    t.insert_package(record);
    t.add_package_build_blob("sha256:p1", "recipe", "sha256:r1");
    t.add_package_build_blob("sha256:p1", "source", "sha256:s1");
    t.add_package_build_blob("sha256:p1", "source", "sha256:s1");  // once
  });
  auto records = index.package_build_blobs("sha256:p1");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].role, "recipe");
  EXPECT_EQ(records[1].blob, "sha256:s1");
  // gc keeps them while the package is there; they go with it.
  auto blobs = index.image_blobs();
  EXPECT_NE(std::find(blobs.begin(), blobs.end(), "sha256:r1"), blobs.end());
  index.write([](Index::Transaction& t) { t.remove_package("sha256:p1"); });
  EXPECT_TRUE(index.package_build_blobs("sha256:p1").empty());
}

TEST(Index, APartialPackageBecomesWholeWhenAWriterWithEveryFileAddsIt) {
  testing::TempDir dir;
  Index index((dir / "index.db").string());
  PackageRecord record{"sha256:p1", "doc-heavy", "1.0", "amd64", "sha256:f", 3, 30, "{}"};
  index.write([&](Index::Transaction& t) { EXPECT_TRUE(t.insert_partial_package(record, "{\"drop\":[\"/usr/share/doc/*\"]}")); });
  EXPECT_EQ(index.partial_filter("sha256:p1"), "{\"drop\":[\"/usr/share/doc/*\"]}");
  // A second partial insert changes nothing; a whole one ends the partial state.
  index.write([&](Index::Transaction& t) { EXPECT_FALSE(t.insert_partial_package(record, "{\"drop\":[]}")); });
  EXPECT_EQ(index.partial_filter("sha256:p1"), "{\"drop\":[\"/usr/share/doc/*\"]}");
  index.write([&](Index::Transaction& t) { EXPECT_FALSE(t.insert_package(record)); });
  EXPECT_EQ(index.partial_filter("sha256:p1"), std::nullopt);
  // A package present whole is never made partial.
  index.write([&](Index::Transaction& t) { EXPECT_FALSE(t.insert_partial_package(record, "{\"drop\":[]}")); });
  EXPECT_EQ(index.partial_filter("sha256:p1"), std::nullopt);
}

}  // namespace
}  // namespace sheaf::store

namespace sheaf::store {
namespace {

TEST(Index, UpgradesAVersion7IndexWithImageIndexes) {
  testing::TempDir dir;
  std::string path = (dir / "index.db").string();
  { Index index(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         kUndoIndexes
                         "INSERT INTO images VALUES ('sha256:a1', 'sha256:c1', 10, '1970-01-01T00:00:01Z', '{}');"
                         "INSERT INTO images VALUES ('sha256:a2', 'sha256:c2', 10, '1970-01-01T00:00:01Z', '{}');"
                         "PRAGMA user_version=7",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Index index(path);
  // The images it had are images.
  auto old = index.image("sha256:a1");
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->is_index());
  ImageRecord record{"sha256:i1", "", 300, "1970-01-01T00:00:01Z", "{}", std::string(kImageIndexType)};
  index.write([&](Index::Transaction& t) {
    t.put_index(record, {{"sha256:a1", "linux/amd64"}, {"sha256:a2", "linux/arm64/v8"}}, {"sha256:i1"});
    t.set_tag("app", "1", "sha256:i1");
  });
  auto stored = index.image("sha256:i1");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->is_index());
  EXPECT_EQ(index.tagged_image("app", "1"), "sha256:i1");
  EXPECT_EQ(index.index_images("sha256:i1"),
            (std::vector<IndexEntry>{{"sha256:a1", "linux/amd64"}, {"sha256:a2", "linux/arm64/v8"}}));
  EXPECT_EQ(index.indexes_with_image("sha256:a2"), std::vector<std::string>{"sha256:i1"});
  EXPECT_TRUE(index.index_images("sha256:a1").empty());
  // An image the index holds stays while the index does.
  EXPECT_THROW(index.write([](Index::Transaction& t) { t.remove_image("sha256:a2"); }), Error);
  EXPECT_TRUE(index.image("sha256:a2"));
  // Removing the index leaves its images, and its tag goes with it.
  index.write([](Index::Transaction& t) { EXPECT_TRUE(t.remove_image("sha256:i1")); });
  EXPECT_FALSE(index.tagged_image("app", "1"));
  EXPECT_TRUE(index.indexes_with_image("sha256:a2").empty());
  index.write([](Index::Transaction& t) { EXPECT_TRUE(t.remove_image("sha256:a2")); });
}

}  // namespace
}  // namespace sheaf::store
