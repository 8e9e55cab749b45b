// The package artifact's bytes are an identity (a lock pins its digest):
// pinned by a golden file, and made once per package whatever the store
// already holds. Its layer is the blob images use.
#include "image/package_artifact.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"
#include "image/layers.hpp"
#include "pkg/add_directory.hpp"
#include "testing/golden.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::image {
namespace {

namespace fs = std::filesystem;

class PackageArtifactTest : public ::testing::Test {
 protected:
  PackageArtifactTest() : store_(dir_ / "store") {}

  std::string add() {
    fs::path root = dir_ / "tree";
    testing::make_dirs(root / "usr/bin");
    testing::write_file(root / "usr/bin/hello", "#!/bin/sh\necho hello\n", 0755);
    pkg::AddDirectoryRequest request{.dir = root,
                                     .name = "hello",
                                     .version = "1.0-1",
                                     .arch = "amd64",
                                     .depends = "libc6 (>= 2.36)",
                                     .provides = "hello-api (= 1)",
                                     .owner = std::make_pair(0u, 0u)};
    return pkg::add_directory(store_, request).id.str();
  }

  testing::TempDir dir_;
  store::LocalStore store_;
};

TEST_F(PackageArtifactTest, TheManifestIsPinnedAndItsLayerIsTheOneImagesUse) {
  std::string id = add();
  PackageArtifact artifact = make_package_artifact(store_, id);
  // The path of the tree is in the origin, not in the artifact.
  testing::expect_golden("src/image/testdata/hello.package-artifact.json", artifact.manifest);
  EXPECT_EQ(artifact.layer_made, 1u);
  EXPECT_EQ(artifact.id.str(), id);
  EXPECT_EQ(artifact.layers.front().digest.str(), id);

  PackageArtifact again = make_package_artifact(store_, id);
  EXPECT_EQ(again.layer_made, 0u);  // recorded the first time
  EXPECT_EQ(again.manifest, artifact.manifest);

  // Recorded under the variant compose looks up for a package without drop_paths.
  auto cached = store_.index().layer(id, layer_variant({}));
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->digest, artifact.layers.back().digest.str());

  PackageArtifactLayout layout = parse_package_artifact(artifact.manifest, "artifact");
  EXPECT_EQ(layout.kind, "directory");
  EXPECT_EQ(layout.document.digest.str(), id);
  EXPECT_EQ(layout.layer.digest, artifact.layers.back().digest);
  EXPECT_FALSE(layout.scripts.has_value());
}

TEST_F(PackageArtifactTest, AMalformedArtifactIsRefusedNamingWhatIsWrong) {
  std::string manifest = make_package_artifact(store_, add()).manifest;
  auto error = [](const std::string& bytes) {
    try {
      parse_package_artifact(bytes, "docker://127.0.0.1:5000/x:1");
    } catch (const ParseError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string out = manifest;
    out.replace(out.find(from), from.size(), to);
    return out;
  };
  EXPECT_EQ(error(replaced("application/vnd.sheaf.package.v1+json\",\"config\"",
                           "application/vnd.sheaf.document.v1+json\",\"config\"")),
            "docker://127.0.0.1:5000/x:1: is not a sheaf package (artifactType "
            "'application/vnd.sheaf.document.v1+json', not application/vnd.sheaf.package.v1+json)");
  EXPECT_EQ(error(replaced("application/vnd.sheaf.fileset.v1", "application/vnd.sheaf.package.v1+json")),
            "docker://127.0.0.1:5000/x:1: it has 2 layers of the media type application/vnd.sheaf.package.v1+json, "
            "not one");
  EXPECT_EQ(error(replaced("application/vnd.sheaf.package-metadata.v1+json", "text/plain")),
            "docker://127.0.0.1:5000/x:1: it has 0 layers of the media type "
            "application/vnd.sheaf.package-metadata.v1+json, not one");
  EXPECT_EQ(error(replaced("\"dev.sheaf.package.kind\":\"directory\"", "\"dev.sheaf.package.kind\":\"rpm\"")),
            "docker://127.0.0.1:5000/x:1: its dev.sheaf.package.kind annotation 'rpm' is not one sheaf knows");
}

}  // namespace
}  // namespace sheaf::image
