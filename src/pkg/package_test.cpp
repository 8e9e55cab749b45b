#include "pkg/package.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/golden.hpp"

namespace sheaf::pkg {
namespace {

Package sample() {
  Package p;
  p.name = "hello";
  p.version = "1:2.10-3+b1";
  p.arch = "amd64";
  p.depends = deb::Relations::parse("libc6 (>= 2.34)", deb::RelationKind::dependency, "d");
  p.pre_depends = deb::Relations::parse("dpkg (>= 1.15)", deb::RelationKind::dependency, "d");
  p.provides = deb::Relations::parse("greeter (= 1.0)", deb::RelationKind::provides, "p");
  p.conflicts = deb::Relations::parse("hello-traditional", deb::RelationKind::conflict, "c");
  p.fileset = Digest::of("fileset");
  return p;
}

TEST(Package, DocumentMatchesTheGoldenVector) {
  testing::expect_golden("src/pkg/testdata/hello.package.json", sample().document());
}

TEST(Package, DocumentRoundTrips) {
  Package p = sample();
  Package parsed = Package::from_document(p.document(), "test");
  EXPECT_EQ(parsed.document(), p.document());
  EXPECT_EQ(parsed.depends, p.depends);
  EXPECT_EQ(parsed.fileset, p.fileset);
}

TEST(Package, IdCoversIdentityFields) {
  Digest base = sample().id();
  Package other = sample();
  other.version = "1:2.10-3+b2";
  EXPECT_NE(other.id(), base);
  other = sample();
  other.depends = {};
  EXPECT_NE(other.id(), base);
  other = sample();
  other.fileset = Digest::of("other");
  EXPECT_NE(other.id(), base);
}

TEST(Package, FromDocumentRejectsNonCanonicalBytes) {
  std::string doc = sample().document();
  EXPECT_THROW(Package::from_document(doc + "\n", "d"), ParseError);
  EXPECT_THROW(Package::from_document("{\"name\":\"hello\"}", "d"), ParseError);
  std::string spaced = doc;
  spaced.insert(1, " ");
  EXPECT_THROW(Package::from_document(spaced, "d"), ParseError);
}

TEST(Package, ValidateRefusesBadNamesVersionsAndArches) {
  Package p = sample();
  p.name = "Hello";
  EXPECT_THROW(p.validate(), Error);
  p = sample();
  p.version = "v1";
  EXPECT_THROW(p.validate(), Error);
  p = sample();
  p.arch = "AMD64";
  EXPECT_THROW(p.validate(), Error);
  EXPECT_NO_THROW(sample().validate());
}

TEST(PackageMetadata, RoundTripsThroughJson) {
  PackageMetadata m;
  m.license = "MIT";
  m.homepage = "https://example.org/hello";
  m.source_name = "hello-src";
  m.source_version = "2.10-3";
  PackageMetadata back = PackageMetadata::from_json(m.to_json());
  EXPECT_EQ(back.license, "MIT");
  EXPECT_EQ(back.homepage, m.homepage);
  EXPECT_EQ(back.source_name, "hello-src");
  EXPECT_EQ(back.source_version, "2.10-3");
}

}  // namespace
}  // namespace sheaf::pkg
