#include "oci/documents.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace sheaf::oci {
namespace {

Digest digest_of(std::string_view s) {
  return Digest::of(s);
}

ImageManifest sample_manifest() {
  ImageManifest m;
  m.config = {std::string(kMediaTypeConfig), digest_of("config"), 123, {}, std::nullopt};
  m.layers.push_back({std::string(kMediaTypeLayerGzip),
                      digest_of("layer"),
                      456,
                      {{"dev.sheaf.package.name", "libc6"}, {"dev.sheaf.package.version", "2.36-9"}},
                      std::nullopt});
  m.annotations = {{std::string(kAnnotationRefName), "latest"}};
  return m;
}

TEST(Documents, ManifestBytesAreCanonicalAndRoundTrip) {
  ImageManifest m = sample_manifest();
  std::string bytes = render(m);
  EXPECT_TRUE(bytes.starts_with(R"({"annotations":{"org.opencontainers.image.ref.name":"latest"},"config":)")) << bytes;
  EXPECT_NE(bytes.find(R"("mediaType":"application/vnd.oci.image.manifest.v1+json")"), std::string::npos);
  EXPECT_NE(bytes.find(R"("schemaVersion":2)"), std::string::npos);
  EXPECT_EQ(parse_manifest(bytes, "m"), m);
  EXPECT_EQ(render(parse_manifest(bytes, "m")), bytes);
}

TEST(Documents, ConfigLeavesOutEmptyFieldsAndRoundTrips) {
  ImageConfig c;
  c.platform.architecture = "amd64";
  c.created = rfc3339_utc(1);
  c.config.cmd = {"-c", "print('hi')"};
  c.config.env = {"PATH=/usr/bin"};
  c.config.exposed_ports = {"80/tcp"};
  c.diff_ids = {digest_of("a"), digest_of("b")};
  c.history = {"sheaf: libc6 2.36-9", "sheaf: assembly"};
  std::string bytes = render(c);
  EXPECT_EQ(bytes.find("Entrypoint"), std::string::npos);
  EXPECT_EQ(bytes.find("User"), std::string::npos);
  EXPECT_NE(bytes.find(R"("ExposedPorts":{"80/tcp":{}})"), std::string::npos);
  EXPECT_NE(bytes.find(R"("created":"1970-01-01T00:00:01Z")"), std::string::npos);
  EXPECT_EQ(parse_config(bytes, "c"), c);
}

TEST(Documents, IndexRoundTrips) {
  ImageIndex index;
  index.manifests.push_back({std::string(kMediaTypeManifest),
                             digest_of("m"),
                             9,
                             {{std::string(kAnnotationRefName), "v1"}},
                             Platform{"amd64", "linux"}});
  EXPECT_EQ(parse_index(render(index), "index.json"), index);
}

TEST(Documents, MalformedDocumentsNameTheirSource) {
  try {
    parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]})",
                   "blobs/sha256/abc");
    FAIL() << "a bad digest was accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("blobs/sha256/abc"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_index("{", "index.json"), ParseError);
  EXPECT_THROW(parse_index(R"({"schemaVersion":1,"manifests":[]})", "index.json"), ParseError);
}

TEST(Documents, Rfc3339) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(1700000000), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace sheaf::oci

namespace sheaf::oci {
namespace {

TEST(Platforms, DebianArchitecturesHaveTheirOciNames) {
  EXPECT_EQ(platform_of_debian_arch("amd64").str(), "linux/amd64");
  EXPECT_EQ(platform_of_debian_arch("arm64").str(), "linux/arm64/v8");
  EXPECT_EQ(platform_of_debian_arch("armhf").str(), "linux/arm/v7");
  EXPECT_EQ(platform_of_debian_arch("armel").str(), "linux/arm/v5");
  EXPECT_EQ(platform_of_debian_arch("i386").str(), "linux/386");
  EXPECT_EQ(platform_of_debian_arch("ppc64el").str(), "linux/ppc64le");
  EXPECT_EQ(platform_of_debian_arch("s390x").str(), "linux/s390x");
}

TEST(Platforms, PlatformOptionsParseInOciOrDebianNames) {
  EXPECT_EQ(parse_platform("linux/arm64").str(), "linux/arm64");
  EXPECT_EQ(parse_platform("linux/arm/v7").str(), "linux/arm/v7");
  EXPECT_EQ(parse_platform("arm64").str(), "linux/arm64");
  EXPECT_EQ(parse_platform("armhf").str(), "linux/arm/v7");  // Debian's name
  EXPECT_EQ(parse_platform("i386").str(), "linux/386");
  // A variant matches when both name one, and either may leave it out.
  EXPECT_TRUE(platform_matches(parse_platform("linux/arm64/v8"), parse_platform("linux/arm64")));
  EXPECT_TRUE(platform_matches(parse_platform("linux/arm64"), parse_platform("linux/arm64/v8")));
  EXPECT_FALSE(platform_matches(parse_platform("linux/arm/v7"), parse_platform("linux/arm/v5")));
  EXPECT_FALSE(platform_matches(parse_platform("linux/amd64"), parse_platform("linux/arm64")));
  for (const char* bad : {"", "linux/", "/amd64", "Linux/amd64", "linux/amd64/v1/x", "linux amd64"}) {
    try {
      (void)parse_platform(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << bad;
      EXPECT_NE(std::string(e.what()).find("is not a platform"), std::string::npos) << e.what();
    }
  }
  try {
    (void)parse_platform("windows/amd64");
    ADD_FAILURE() << "windows/amd64 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sheaf builds linux images only"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sheaf::oci
