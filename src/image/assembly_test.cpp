#include "image/assembly.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "testing/entries.hpp"

namespace sheaf::image {
namespace {

using testing::dir_entry;
using testing::file_entry;
using testing::hardlink_entry;
using testing::symlink_entry;

using fileset::Entry;
using fileset::EntryType;

class AssemblyTest : public ::testing::Test {
 protected:
  spec::Spec parse(std::string_view text) { return spec::Spec::parse(text, "/work/sheaf.toml"); }

  Assembly assemble(const spec::Spec& spec, const ImageTree& tree,
                    std::optional<OsRelease> os = OsRelease{"bookworm", "12"}) {
    return make_assembly(spec, os, tree, [this](const Entry& e) { return contents_.at(e.digest); });
  }

  std::string content(const Assembly& a, std::string_view path) {
    for (const auto& e : a.manifest.entries()) {
      if (e.path == path && e.type == EntryType::file) return a.contents.at(e.digest);
    }
    return "<absent>";
  }
  const Entry* entry(const Assembly& a, std::string_view path) {
    for (const auto& e : a.manifest.entries()) {
      if (e.path == path) return &e;
    }
    return nullptr;
  }
  Entry cert(std::string path, std::string pem) {
    Entry e = file_entry(std::move(path), pem);
    contents_[e.digest] = pem;
    return e;
  }

  std::map<Digest, std::string> contents_;
};

TEST_F(AssemblyTest, AccountsHoldRootNobodyAndTheSpecsUsersAndGroups) {
  auto spec = parse(
      "[[users]]\nname = \"app\"\nuid = 1000\n\n[[users]]\nname = \"svc\"\nuid = 1001\ngid = 2000\nhome = \"/srv\"\n"
      "shell = \"/bin/sh\"\n\n[[groups]]\nname = \"staff\"\ngid = 2000\n");
  ImageTree tree;
  Assembly a = assemble(spec, tree);
  EXPECT_EQ(content(a, "etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\n"
            "app:x:1000:1000::/home/app:/usr/sbin/nologin\n"
            "svc:x:1001:2000::/srv:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  EXPECT_EQ(content(a, "etc/group"), "root:x:0:\napp:x:1000:\nstaff:x:2000:\nnogroup:x:65534:\n");
}

TEST_F(AssemblyTest, OsReleaseTmpAndMergedUsrLinks) {
  ImageTree tree;
  tree.add(fileset::Manifest::from_entries({dir_entry("usr"), dir_entry("usr/bin"), dir_entry("usr/lib64"),
                                            dir_entry("usr/libexec"), dir_entry("usr/share")}),
           "base 1");
  Assembly a = assemble(parse(""), tree);
  EXPECT_EQ(content(a, "etc/os-release"),
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
            "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n");
  ASSERT_NE(entry(a, "tmp"), nullptr);
  EXPECT_EQ(entry(a, "tmp")->mode, 01777u);
  ASSERT_NE(entry(a, "bin"), nullptr);
  EXPECT_EQ(entry(a, "bin")->target, "usr/bin");
  ASSERT_NE(entry(a, "lib64"), nullptr);
  EXPECT_EQ(entry(a, "libexec"), nullptr) << "/libexec is not merged";
  EXPECT_EQ(entry(a, "sbin"), nullptr) << "no package fills usr/sbin";
}

TEST_F(AssemblyTest, PackagesThatShipTheFilesWin) {
  ImageTree tree;
  Entry os = file_entry("usr/lib/os-release", "ID=debian\n");
  tree.add(fileset::Manifest::from_entries({dir_entry("tmp"), dir_entry("usr"), dir_entry("usr/lib"), os}),
           "base-files 12.4");
  Assembly a = assemble(parse(""), tree);
  EXPECT_EQ(entry(a, "etc/os-release"), nullptr);
  EXPECT_EQ(entry(a, "tmp"), nullptr);
}

TEST_F(AssemblyTest, TheCaBundleConcatenatesCertificatesInPathOrder) {
  ImageTree tree;
  tree.add(
      fileset::Manifest::from_entries({dir_entry("usr"), dir_entry("usr/share"), dir_entry("usr/share/ca-certificates"),
                                       dir_entry("usr/share/ca-certificates/mozilla"),
                                       cert("usr/share/ca-certificates/mozilla/B_Root.crt", "B\n"),
                                       cert("usr/share/ca-certificates/mozilla/A (Root), CA.crt", "A-no-newline"),
                                       dir_entry("etc"), dir_entry("etc/ssl"), dir_entry("etc/ssl/certs")}),
      "ca-certificates 20230311");
  tree.add(fileset::Manifest::from_entries({dir_entry("usr"), dir_entry("usr/local"), dir_entry("usr/local/share"),
                                            dir_entry("usr/local/share/ca-certificates"),
                                            cert("usr/local/share/ca-certificates/corp.crt", "CORP\n")}),
           "sheaf-files-usr-local-share-ca-certificates 0+1");
  Assembly a = assemble(parse(""), tree);
  EXPECT_EQ(content(a, "etc/ssl/certs/ca-certificates.crt"), "A-no-newline\nB\nCORP\n");
  ASSERT_NE(entry(a, "etc/ssl/certs/A_=Root=__CA.pem"), nullptr);
  EXPECT_EQ(entry(a, "etc/ssl/certs/A_=Root=__CA.pem")->target, "/usr/share/ca-certificates/mozilla/A (Root), CA.crt");
  ASSERT_NE(entry(a, "etc/ssl/certs/corp.pem"), nullptr);
}

TEST_F(AssemblyTest, PathsAreCreatedAsDeclared) {
  auto spec = parse(
      "[[paths]]\npath = \"/srv/data\"\ntype = \"dir\"\nmode = \"0750\"\nuid = 1000\n\n"
      "[[paths]]\npath = \"/etc/motd\"\ntype = \"file\"\ncontent = \"hi\\n\"\n\n"
      "[[paths]]\npath = \"/bin/python\"\ntype = \"symlink\"\ntarget = \"python3\"\n");
  ImageTree tree;
  tree.add(fileset::Manifest::from_entries({dir_entry("usr"), dir_entry("usr/bin")}), "base 1");
  Assembly a = assemble(spec, tree);
  ASSERT_NE(entry(a, "srv/data"), nullptr);
  EXPECT_EQ(entry(a, "srv/data")->mode, 0750u);
  EXPECT_EQ(entry(a, "srv/data")->uid, 1000u);
  EXPECT_EQ(content(a, "etc/motd"), "hi\n");
  ASSERT_NE(entry(a, "usr/bin/python"), nullptr) << "paths are placed in the merged-/usr layout";
  ASSERT_NE(entry(a, "usr/bin"), nullptr);
  EXPECT_EQ(entry(a, "usr/bin")->mode, 0755u);
}

// The host's own ca-certificates are the oracle: its certificates, put in an
// image, must give exactly the /etc/ssl/certs that update-ca-certificates
// (and openssl rehash) made on this host.
TEST_F(AssemblyTest, TheCaFilesMatchWhatUpdateCaCertificatesMadeOnThisHost) {
  namespace fs = std::filesystem;
  if (!fs::exists("/etc/ssl/certs/ca-certificates.crt") || !fs::exists("/usr/share/ca-certificates")) {
    GTEST_SKIP() << "this host has no ca-certificates";
  }
  std::vector<Entry> entries{
      dir_entry("usr"), dir_entry("usr/share"), dir_entry("usr/local"),    dir_entry("usr/local/share"),
      dir_entry("etc"), dir_entry("etc/ssl"),   dir_entry("etc/ssl/certs")};
  for (const char* root : {"/usr/share/ca-certificates", "/usr/local/share/ca-certificates"}) {
    if (!fs::exists(root)) continue;
    for (const auto& f : fs::recursive_directory_iterator(root)) {
      std::string path = f.path().string().substr(1);
      if (f.is_directory()) {
        entries.push_back(dir_entry(path));
      } else if (f.is_regular_file()) {
        entries.push_back(cert(path, read_file(f.path().string())));
      }
    }
    entries.push_back(dir_entry(std::string(root).substr(1)));
  }
  ImageTree tree;
  tree.add(fileset::Manifest::from_entries(std::move(entries)), "ca-certificates 20230311");
  Assembly a = assemble(parse(""), tree);

  EXPECT_TRUE(content(a, "etc/ssl/certs/ca-certificates.crt") == read_file("/etc/ssl/certs/ca-certificates.crt"))
      << "the bundle differs from the host's";
  std::map<std::string, std::string> ours, host;
  for (const auto& e : a.manifest.entries()) {
    if (e.type == EntryType::symlink && e.path.starts_with("etc/ssl/certs/")) ours[e.path.substr(14)] = e.target;
  }
  for (const auto& f : fs::directory_iterator("/etc/ssl/certs")) {
    if (f.is_symlink()) host[f.path().filename().string()] = fs::read_symlink(f.path()).string();
  }
  for (const auto& [name, target] : ours) {
    // A host may hold a file put there by hand where update-ca-certificates
    // would have made a link; anything else of ours must be on the host too.
    if (!host.contains(name) && !fs::is_regular_file(fs::path("/etc/ssl/certs") / name)) {
      ADD_FAILURE() << "extra " << name << " -> " << target;
    }
  }
  for (const auto& [name, target] : host) {
    auto it = ours.find(name);
    if (it == ours.end()) {
      ADD_FAILURE() << "missing " << name << " -> " << target;
    } else {
      EXPECT_EQ(it->second, target) << name;
    }
  }
}

TEST(OsReleaseForSuite, KnownAndUnknownReleases) {
  EXPECT_EQ(os_release_for_suite("bookworm-security").version_id, "12");
  EXPECT_EQ(os_release_for_suite("bookworm-security").codename, "bookworm");
  EXPECT_EQ(os_release_for_suite("sid").version_id, "");
}

}  // namespace
}  // namespace sheaf::image
