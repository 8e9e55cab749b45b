#include "repo/release.hpp"

#include <gtest/gtest.h>

#include "testing/apt_repo.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::repo {
namespace {

constexpr std::string_view kRelease =
    "Origin: Test\n"
    "Suite: stable\n"
    "Codename: bookworm\n"
    "Date: Sat, 10 Jun 2023 08:53:33 UTC\n"
    "Valid-Until: Sat, 17 Jun 2023 08:53:33 UTC\n"
    "Architectures: amd64 arm64\n"
    "Components: main contrib\n"
    "MD5Sum:\n"
    " 0123456789abcdef0123456789abcdef 10 main/binary-amd64/Packages\n"
    "SHA256:\n"
    " 1111111111111111111111111111111111111111111111111111111111111111 1234 main/binary-amd64/Packages\n"
    " 2222222222222222222222222222222222222222222222222222222222222222   99 main/binary-amd64/Packages.xz\n";

TEST(Release, ParsesSuiteDatesAndChecksums) {
  auto release = Release::parse(kRelease, "InRelease");
  EXPECT_EQ(release.suite(), "stable");
  EXPECT_EQ(release.codename(), "bookworm");
  EXPECT_EQ(release.date(), 1686387213);
  EXPECT_EQ(release.valid_until(), 1686387213 + 7 * 86400);
  EXPECT_EQ(release.components(), (std::vector<std::string>{"main", "contrib"}));
  const ReleaseEntry* xz = release.find("main/binary-amd64/Packages.xz");
  ASSERT_TRUE(xz);
  EXPECT_EQ(xz->size, 99u);
  EXPECT_EQ(xz->sha256.hex(), std::string(64, '2'));
  EXPECT_EQ(release.find("main/binary-arm64/Packages.xz"), nullptr);
}

TEST(Release, RefusesWhatItCannotTrustOrRead) {
  EXPECT_EQ(testing::error_message_of([] { Release::parse("Suite: a\nMD5Sum:\n x 1 y\n", "R"); }),
            "R: lists no SHA256 checksums; sheaf needs them");
  EXPECT_EQ(testing::error_message_of([] { Release::parse("Suite: a\nSHA256:\n abc 1 y\n", "R"); }),
            "R line 3: a SHA256 line must be '<sha256> <size> <path>'");
  EXPECT_EQ(testing::error_message_of([] { Release::parse("Suite: a\nDate: yesterday\nSHA256:\n", "R"); }),
            "R line 2: Date 'yesterday' is not a date such as 'Sat, 10 Jun 2023 08:53:33 UTC'");
  EXPECT_EQ(testing::error_message_of([] { Release::parse("Origin: x\nSHA256:\n", "R"); }),
            "R: names neither a Suite nor a Codename");
}

TEST(ReleaseDate, ParsesRfc2822InUtcOnly) {
  EXPECT_EQ(parse_release_date("Thu, 01 Jan 1970 00:00:00 UTC"), 0);
  EXPECT_EQ(parse_release_date("1 Feb 2024 12:00:00 GMT"), 1706788800);
  EXPECT_EQ(parse_release_date("Thu, 01 Jan 1970 01:00:00 +0100"), 0);  // a numeric zone, as apt accepts
  EXPECT_EQ(parse_release_date("Thu, 01 Foo 1970 00:00:00 UTC"), std::nullopt);
  EXPECT_EQ(parse_release_date("Thu, 01 Jan 1970 25:00:00 UTC"), std::nullopt);
}

TEST(StripClearsign, ReturnsTheSignedTextWithDashEscapesUndone) {
  std::string signed_text =
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSuite: a\n- -----dash\n"
      "-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n";
  EXPECT_EQ(strip_clearsign(signed_text), "Suite: a\n-----dash\n");
}

class ReleaseSignature : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    key_ = new testing::GpgKey(dir_->path() / "good");
    other_ = new testing::GpgKey(dir_->path() / "other", "another key");
  }
  static void TearDownTestSuite() {
    delete other_;
    delete key_;
    delete dir_;
  }
  static testing::TempDir* dir_;
  static testing::GpgKey* key_;
  static testing::GpgKey* other_;
  testing::TempDir work_;
};
testing::TempDir* ReleaseSignature::dir_ = nullptr;
testing::GpgKey* ReleaseSignature::key_ = nullptr;
testing::GpgKey* ReleaseSignature::other_ = nullptr;

TEST_F(ReleaseSignature, GpgvAcceptsAGoodClearsignatureAndReturnsOnlyTheSignedText) {
  testing::write_file(work_ / "Release", kRelease);
  key_->clearsign(work_ / "Release", work_ / "InRelease");
  EXPECT_EQ(verify_clearsigned(work_ / "InRelease", key_->keyring(), "InRelease"), kRelease);
}

TEST_F(ReleaseSignature, ATamperedClearsignedReleaseIsABadSignature) {
  testing::write_file(work_ / "Release", kRelease);
  key_->clearsign(work_ / "Release", work_ / "InRelease");
  std::string bytes = testing::read_file_bytes(work_ / "InRelease");
  bytes.replace(bytes.find("1234 main"), 4, "1235");
  testing::write_file(work_ / "InRelease", bytes);
  EXPECT_EQ(testing::error_message_of([&] { verify_clearsigned(work_ / "InRelease", key_->keyring(), "X/InRelease"); }),
            "X/InRelease failed verification: its signature is BAD: the file was changed after it was signed");
}

TEST_F(ReleaseSignature, AKeyOutsideTheKeyringIsRefusedByName) {
  testing::write_file(work_ / "Release", kRelease);
  other_->clearsign(work_ / "Release", work_ / "InRelease");
  std::string message =
      testing::error_message_of([&] { verify_clearsigned(work_ / "InRelease", key_->keyring(), "InRelease"); });
  EXPECT_NE(message.find("InRelease failed verification: it is signed by key "), std::string::npos) << message;
  EXPECT_NE(message.find(", which is not in the keyring '" + key_->keyring().string() + "'"), std::string::npos)
      << message;
}

TEST_F(ReleaseSignature, AnUnsignedFileIsNotSigned) {
  testing::write_file(work_ / "InRelease", kRelease);
  EXPECT_EQ(testing::error_message_of([&] { verify_clearsigned(work_ / "InRelease", key_->keyring(), "InRelease"); }),
            "InRelease failed verification: it is not signed");
}

TEST_F(ReleaseSignature, DetachedSignaturesAreCheckedToo) {
  testing::write_file(work_ / "Release", kRelease);
  key_->detach_sign(work_ / "Release", work_ / "Release.gpg");
  EXPECT_NO_THROW(verify_detached(work_ / "Release.gpg", work_ / "Release", key_->keyring(), "Release"));
  testing::write_file(work_ / "Release", std::string(kRelease) + "Extra: 1\n");
  EXPECT_NE(testing::error_message_of([&] {
              verify_detached(work_ / "Release.gpg", work_ / "Release", key_->keyring(), "Release");
            }).find("its signature is BAD"),
            std::string::npos);
}

TEST_F(ReleaseSignature, AnArmoredKeyringGetsAClearError) {
  testing::write_file(work_ / "Release", kRelease);
  key_->clearsign(work_ / "Release", work_ / "InRelease");
  testing::write_file(work_ / "armored.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n");
  EXPECT_NE(testing::error_message_of([&] {
              verify_clearsigned(work_ / "InRelease", work_ / "armored.asc", "InRelease");
            }).find("is ASCII-armored; gpgv needs a binary keyring (gpg --dearmor)"),
            std::string::npos);
}

}  // namespace
}  // namespace sheaf::repo
