#include "oci/layout.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::oci {
namespace {

namespace fs = std::filesystem;

Descriptor manifest_descriptor(std::string_view bytes, std::string ref) {
  Descriptor d{std::string(kMediaTypeManifest), Digest::of(bytes), bytes.size(), {}, std::nullopt};
  if (!ref.empty()) d.annotations[std::string(kAnnotationRefName)] = ref;
  return d;
}

TEST(Layout, CreatesALayoutAndReplacesAnEntryWithTheSameRefName) {
  testing::TempDir dir;
  Layout layout = Layout::open_or_create(dir / "out");
  EXPECT_EQ(testing::read_file_bytes(dir / "out/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  layout.add_manifest(manifest_descriptor("one", "latest"));
  layout.add_manifest(manifest_descriptor("two", "v2"));
  layout.add_manifest(manifest_descriptor("three", "latest"));
  ImageIndex index = Layout::open(dir / "out").read_index();
  ASSERT_EQ(index.manifests.size(), 2u);
  EXPECT_EQ(index.manifests[0].digest, Digest::of("three"));
  EXPECT_EQ(index.manifests[1].digest, Digest::of("two"));
}

TEST(Layout, LinksBlobsAndSkipsOnesItHas) {
  testing::TempDir dir;
  testing::write_file(dir / "blob", "payload", 0444);
  Layout layout = Layout::open_or_create(dir / "out");
  Digest d = Digest::of("payload");
  EXPECT_EQ(layout.put_blob(d, dir / "blob"), 0u);  // same filesystem: a hard link
  EXPECT_EQ(fs::hard_link_count(layout.blob_path(d)), 2u);
  EXPECT_EQ(layout.put_blob(d, dir / "blob"), 0u);
  EXPECT_EQ(testing::read_file_bytes(layout.blob_path(d)), "payload");
}

TEST(Layout, RefusesADirectoryThatHoldsAnythingElse) {
  testing::TempDir dir;
  testing::make_dirs(dir / "out");
  testing::write_file(dir / "out/notes.txt", "mine");
  try {
    Layout::open_or_create(dir / "out");
    FAIL() << "a directory with other files was taken as a layout";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::read_file_bytes(dir / "out/notes.txt"), "mine");
  EXPECT_FALSE(fs::exists(dir / "out/oci-layout"));

  testing::write_file(dir / "file", "x");
  EXPECT_THROW(Layout::open_or_create(dir / "file"), Error);
}

TEST(Layout, RefusesAnotherLayoutVersion) {
  testing::TempDir dir;
  testing::make_dirs(dir / "out");
  testing::write_file(dir / "out/oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
  EXPECT_THROW(Layout::open_or_create(dir / "out"), Error);
}

}  // namespace
}  // namespace sheaf::oci
