// End-to-end tests of `sheaf sbom` and `sheaf build --sbom` on an image of
// dpkg-deb packages from a real signed apt repository. The SPDX document is
// validated against the official SPDX 2.3 schema (tools/sbom/validate_spdx.py);
// the CycloneDX one is validated in oci_tools_test, which may reach npm.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::last_line;
using testing::read_file_bytes;
using testing::run_command;
using testing::run_sheaf;
using testing::write_file;

constexpr const char* kCopyright =
    "Format: copyright-format/1.0\n\n"
    "Files: *\nCopyright: someone\nLicense: GPL-2+\n\nFiles: extra/*\nCopyright: someone else\n"
    "License: public-domain\n";

class SbomTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apt_ = new testing::SignedAptRepo;
    //   libc 1:2.0-1    lib/x86_64-linux-gnu/libc.so.6; no copyright file
    //   libssl 1.1-1+b1 Source: openssl (1.1-1); DEP-5: GPL-2+ AND public-domain
    //   libssl 1.2-1    Source: openssl (the fixed version of the audit tests)
    //   app 1.0         Depends: libssl, libc; usr/bin/app and docs that drop_paths remove
    apt_->repo.add_with("bookworm", "libc", "1:2.0-1", "",
                        [](testing::DebTree& t) { t.file("lib/x86_64-linux-gnu/libc.so.6", "libc\n", 0755); });
    apt_->repo.add_with("bookworm", "libssl", "1.1-1+b1", "Source: openssl (1.1-1)\nDepends: libc\n",
                        [](testing::DebTree& t) {
                          t.file("usr/lib/x86_64-linux-gnu/libssl.so.3", "libssl\n", 0644);
                          t.file("usr/share/doc/libssl/copyright", kCopyright, 0644);
                        });
    apt_->repo.add_with("bookworm", "libssl", "1.2-1", "Source: openssl\nDepends: libc\n", [](testing::DebTree& t) {
      t.file("usr/lib/x86_64-linux-gnu/libssl.so.3", "libssl 1.2\n", 0644);
    });
    apt_->repo.add_with("bookworm", "app", "1.0", "Depends: libssl, libc\n", [](testing::DebTree& t) {
      t.file("usr/bin/app", "#!/bin/app\n", 0755);
      t.file("usr/share/doc/app/NEWS", "news\n", 0644);
    });
    apt_->publish("bookworm");
  }
  static void TearDownTestSuite() { delete apt_; }

  void SetUp() override {
    testing::make_dirs(dir_ / "project/site");
    write_file(dir_ / "project/site/index.html", "hello\n");
    write_file(
        dir_ / "project/sheaf.toml",
        "[image]\nname = \"demo\"\nentrypoint = [\"/usr/bin/app\"]\n\n[source.debian]\nsuites = [\"bookworm\"]\n"
        "arch = \"amd64\"\nmirror = \"" +
            apt_->repo.file_url() + "\"\nkeyring = \"" + apt_->key.keyring().string() +
            "\"\n\n[packages]\ninclude = [\"app\", \"libssl=1.1-1+b1\"]\ndrop_paths = [\"usr/share/doc/app/**\"]\n\n"
            "[[files]]\nsrc = \"site\"\ndest = \"/srv/site\"\n");
  }

  std::string build(const std::string& store, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"build", "-f", (dir_ / "project/sheaf.toml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = run_sheaf(store, args, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  std::string sbom(const std::string& store, const std::string& image, const std::string& format) {
    CommandResult r = run_sheaf(store, {"sbom", image, "--format", format}, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  std::string store() const { return (dir_ / "store").string(); }

  static testing::SignedAptRepo* apt_;
  testing::TempDir dir_;
  testing::CommandOptions env_{.env = {{"SOURCE_DATE_EPOCH", "1700000000"}}};
};
testing::SignedAptRepo* SbomTest::apt_ = nullptr;

// The layer annotations of the image, by package name.
std::map<std::string, std::pair<std::string, std::string>> layer_purls(const fs::path& store,
                                                                       const std::string& digest) {
  json manifest = json::parse(read_file_bytes(store / "blobs/sha256" / digest.substr(7)));
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const auto& l : manifest["layers"]) {
    out[l["annotations"]["dev.sheaf.package.name"]] = {l["annotations"]["dev.sheaf.package.purl"], l["digest"]};
  }
  return out;
}

TEST_F(SbomTest, SpdxListsEveryPackageWithItsIdentityAndValidates) {
  std::string image = build(store());
  json doc = json::parse(sbom(store(), image, "spdx"));
  auto layers = layer_purls(store(), image);
  ASSERT_EQ(layers.size(), 5u);  // libc, libssl, app, the [[files]] package, the assembly

  std::map<std::string, json> by_name;
  for (const auto& p : doc["packages"]) by_name[p["name"]] = p;
  for (const auto& [name, layer] : layers) {
    ASSERT_TRUE(by_name.count(name)) << name;
    const json& p = by_name[name];
    EXPECT_EQ(p["externalRefs"][0]["referenceLocator"], layer.first) << name;
    EXPECT_EQ("sha256:" + p["checksums"][0]["checksumValue"].get<std::string>(), layer.second) << name;
  }
  const json& libssl = by_name["libssl"];
  EXPECT_EQ(libssl["versionInfo"], "1.1-1+b1");
  EXPECT_EQ(libssl["externalRefs"][0]["referenceLocator"],
            "pkg:deb/debian/libssl@1.1-1%2Bb1?arch=amd64&distro=debian-12");
  EXPECT_EQ(libssl["licenseDeclared"], "GPL-2.0-or-later AND LicenseRef-Debian-public-domain");
  EXPECT_EQ(libssl["sourceInfo"], "built package from: openssl 1.1-1");
  EXPECT_EQ(libssl["supplier"], "Organization: Test (test@example.invalid)");
  EXPECT_EQ(by_name["libc"]["licenseDeclared"], "NOASSERTION");
  EXPECT_TRUE(contains(by_name["libc"]["externalRefs"][0]["referenceLocator"], "epoch=1")) << by_name["libc"].dump();
  EXPECT_EQ(by_name["app"]["comment"], "drop_paths removed 2 entries from this package");
  EXPECT_EQ(by_name["demo:latest"]["comment"], "drop_paths removed: [\"usr/share/doc/app/**\"]");
  EXPECT_EQ(by_name["sheaf-files-srv-site"]["primaryPackagePurpose"], "FILE");
  EXPECT_EQ(by_name["sheaf-assembly"]["primaryPackagePurpose"], "FILE");
  bool has_ref = false;
  for (const auto& e : doc["hasExtractedLicensingInfos"])
    has_ref |= e["licenseId"] == "LicenseRef-Debian-public-domain";
  EXPECT_TRUE(has_ref);

  // Relationships: the document describes the image; app depends on libssl.
  std::set<std::string> relations;
  for (const auto& r : doc["relationships"]) {
    relations.insert(r["spdxElementId"].get<std::string>() + " " + r["relationshipType"].get<std::string>() + " " +
                     r["relatedSpdxElement"].get<std::string>());
  }
  EXPECT_TRUE(relations.count("SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image"));
  std::string app = by_name["app"]["SPDXID"], ssl = libssl["SPDXID"];
  EXPECT_TRUE(relations.count(app + " DEPENDS_ON " + ssl)) << doc["relationships"].dump();
  EXPECT_TRUE(relations.count("SPDXRef-Image CONTAINS " + by_name["sheaf-assembly"]["SPDXID"].get<std::string>()));

  // The official schema, and documentNamespace.
  fs::path file = dir_ / "spdx.json";
  auto validate = [&](const json& document) {
    write_file(file, document.dump());
    const std::string tools = std::string(SHEAF_SOURCE_DIR) + "/tools/sbom/";
    return run_command(
        {"/usr/bin/env", "python3", tools + "validate_spdx.py", tools + "spdx-2.3.schema.json", file.string()});
  };
  CommandResult v = validate(doc);
  if (contains(v.err, "No module named 'jsonschema'")) FAIL() << "install python3-jsonschema (tools/dev test does)";
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;

  // The validator is not a rubber stamp.
  json broken = doc;
  broken["packages"][1]["primaryPackagePurpose"] = "OPERATING-SYSTEM";
  v = validate(broken);
  EXPECT_EQ(v.exit_code, 1) << v.out;
}

TEST_F(SbomTest, CycloneDxHasTheOsTheLibrariesAndTheirDependencies) {
  std::string image = build(store());
  json doc = json::parse(sbom(store(), image, "cyclonedx"));
  EXPECT_EQ(doc["specVersion"], "1.5");
  EXPECT_TRUE(doc["serialNumber"].get<std::string>().starts_with("urn:uuid:"));
  EXPECT_EQ(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
  std::map<std::string, json> by_name;
  for (const auto& c : doc["components"]) by_name[c["name"]] = c;
  EXPECT_EQ(by_name["debian"]["type"], "operating-system");
  EXPECT_EQ(by_name["libssl"]["type"], "library");
  EXPECT_EQ(by_name["libssl"]["licenses"][0]["expression"], "GPL-2.0-or-later AND LicenseRef-Debian-public-domain");
  EXPECT_EQ(by_name["libssl"]["supplier"]["name"], "Test <test@example.invalid>");
  EXPECT_EQ(by_name["sheaf-assembly"]["type"], "file");
  EXPECT_EQ(by_name["sheaf-files-srv-site"]["type"], "file");
  std::map<std::string, std::string> props;
  for (const auto& p : by_name["libssl"]["properties"]) props[p["name"]] = p["value"];
  EXPECT_EQ(props["aquasecurity:trivy:SrcName"], "openssl");
  EXPECT_EQ(props["aquasecurity:trivy:SrcVersion"], "1.1-1");
  std::map<std::string, std::set<std::string>> depends;
  for (const auto& d : doc["dependencies"]) depends[d["ref"]] = d["dependsOn"].get<std::set<std::string>>();
  EXPECT_TRUE(depends[by_name["app"]["bom-ref"]].count(by_name["libssl"]["bom-ref"]));
  EXPECT_TRUE(depends[by_name["debian"]["bom-ref"]].count(by_name["libc"]["bom-ref"]));
  EXPECT_EQ(doc["metadata"]["properties"][0]["value"], "usr/share/doc/app/**");
}

TEST_F(SbomTest, TheSameImageGivesTheSameBytesWhereverItIsBuilt) {
  std::string image = build(store());
  std::string other_store = (dir_ / "other-store").string();
  ASSERT_EQ(build(other_store), image);
  for (const char* format : {"spdx", "cyclonedx"}) {
    std::string a = sbom(store(), image, format);
    EXPECT_EQ(a, sbom(store(), image, format)) << format;
    EXPECT_EQ(a, sbom(other_store, "demo", format)) << format;
  }
  // -o writes the same bytes as stdout.
  ASSERT_EQ(run_sheaf(store(), {"sbom", image, "--format", "spdx", "-o", (dir_ / "out.json").string()}).exit_code, 0);
  EXPECT_EQ(read_file_bytes(dir_ / "out.json"), sbom(store(), image, "spdx"));
  CommandResult r = run_sheaf(store(), {"sbom", image, "--format", "swid"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(SbomTest, BuildAttachesBothSbomsAsReferrersOfTheImage) {
  fs::path layout = dir_ / "oci";
  std::string image = build(store(), {"-o", layout.string(), "--sbom"});
  json index = json::parse(read_file_bytes(layout / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 3u) << index.dump();
  std::set<std::string> types;
  for (const auto& d : index["manifests"]) {
    if (!d.contains("artifactType")) {
      EXPECT_EQ(d["digest"], image);
      continue;
    }
    types.insert(d["artifactType"]);
    json artifact = json::parse(read_file_bytes(layout / "blobs/sha256" / d["digest"].get<std::string>().substr(7)));
    EXPECT_EQ(artifact["subject"]["digest"], image);
    EXPECT_EQ(artifact["artifactType"], d["artifactType"]);
    EXPECT_EQ(artifact["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    std::string blob =
        read_file_bytes(layout / "blobs/sha256" / artifact["layers"][0]["digest"].get<std::string>().substr(7));
    EXPECT_EQ(blob, sbom(store(), image, d["artifactType"] == "application/spdx+json" ? "spdx" : "cyclonedx"));
  }
  EXPECT_EQ(types, (std::set<std::string>{"application/spdx+json", "application/vnd.cyclonedx+json"}));
  // The layout still names one image, for sheaf and for skopeo's oci:DIR:latest.
  EXPECT_EQ(run_sheaf(store(), {"image", "show", layout.string()}).exit_code, 0);
  // --sbom needs a layout to attach to.
  CommandResult r = run_sheaf(store(), {"build", "-f", (dir_ / "project/sheaf.toml").string(), "--sbom"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "give -o DIR")) << r.err;
}

// Hand-written OSV records, one per case the audit must get right.
void write_osv(const fs::path& dir) {
  auto record = [&](const std::string& file, const std::string& body) { write_file(dir / file, body); };
  auto ranged = [](const std::string& id, const std::string& eco, const std::string& name, const std::string& events,
                   const std::string& extra = "") {
    return R"({"schema_version":"1.6.0","id":")" + id + R"(","modified":"2024-01-01T00:00:00Z",)" + extra +
           R"("affected":[{"package":{"ecosystem":")" + eco + R"(","name":")" + name +
           R"("},"ranges":[{"type":"ECOSYSTEM","events":[)" + events + "]}]}]}";
  };
  // openssl 1.1-1 (libssl 1.1-1+b1): fixed in 1.2-1 -> a finding, with its severity.
  record("fixed.json", ranged("DSA-0001-1", "Debian:12", "openssl", R"({"introduced":"0"},{"fixed":"1.2-1"})",
                              R"("aliases":["CVE-2024-0001"],"database_specific":{"severity":"high"},)"));
  // last_affected below the installed version -> none.
  record("last.json", ranged("DSA-0002-1", "Debian:12", "openssl", R"({"introduced":"0"},{"last_affected":"1.0-1"})"));
  // introduced after the installed version -> none.
  record("later.json", ranged("DSA-0003-1", "Debian:12", "openssl", R"({"introduced":"1.5"},{"fixed":"1.6"})"));
  // libc 1:2.0-1: an epoch above the unepoched "2.5" -> none; below 1:2.0-2 -> a finding.
  record("epoch-none.json", ranged("DSA-0004-1", "Debian:12", "libc", R"({"introduced":"0"},{"fixed":"2.5"})"));
  record("epoch.json", ranged("DSA-0005-1", "Debian:12", "libc", R"({"introduced":"0"},{"fixed":"1:2.0-2"})"));
  // app 1.0: fixed in 1.0~rc1 (before 1.0) -> none; fixed in 1.0.1~rc1 -> a finding.
  record("tilde-none.json", ranged("DSA-0006-1", "Debian:12", "app", R"({"introduced":"0"},{"fixed":"1.0~rc1"})"));
  record("tilde.json", ranged("DSA-0007-1", "Debian:12", "app", R"({"introduced":"0"},{"fixed":"1.0.1~rc1"})"));
  // An explicit versions list -> a finding.
  record("versions.json", R"({"id":"DSA-0008-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":)"
                          R"({"ecosystem":"Debian:12","name":"app"},"versions":["1.0"]}]})");
  // Another release -> none.
  record("other.json", ranged("DSA-0009-1", "Debian:11", "openssl", R"({"introduced":"0"},{"fixed":"9.9"})"));
  // Bad input: reported, the rest still audited.
  record("broken.json", "{\"id\": ");
  record("typo.json", ranged("DSA-0010-1", "Debain:12", "openssl", R"({"introduced":"0"},{"fixed":"9.9"})"));
  record("badversion.json",
         ranged("DSA-0011-1", "Debian:12", "openssl", R"({"introduced":"0"},{"fixed":"not-a-version"})"));
}

TEST_F(SbomTest, AuditReportsExactlyTheAffectedPackages) {
  std::string image = build(store());
  fs::path osv = dir_ / "osv";
  testing::make_dirs(osv);
  write_osv(osv);
  CommandResult r = run_sheaf(store(), {"audit", image, "--osv", osv.string(), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json report = json::parse(r.out);
  ASSERT_EQ(report.size(), 1u);
  std::map<std::string, json> by_id;
  for (const auto& f : report[0]["findings"]) by_id[f["id"]] = f;
  std::set<std::string> ids;
  for (const auto& [id, f] : by_id) ids.insert(id);
  EXPECT_EQ(ids, (std::set<std::string>{"DSA-0001-1", "DSA-0005-1", "DSA-0007-1", "DSA-0008-1"}));
  EXPECT_EQ(by_id["DSA-0001-1"]["package"], "libssl");
  EXPECT_EQ(by_id["DSA-0001-1"]["installed"], "1.1-1+b1");
  EXPECT_EQ(by_id["DSA-0001-1"]["fixed"], "1.2-1");
  EXPECT_EQ(by_id["DSA-0001-1"]["severity"], "high");
  EXPECT_EQ(by_id["DSA-0005-1"]["installed"], "1:2.0-1");
  EXPECT_EQ(by_id["DSA-0008-1"]["fixed"], "");
  EXPECT_EQ(report[0]["ecosystem"], "Debian:12");
  for (const char* file : {"broken.json", "typo.json", "badversion.json"}) {
    EXPECT_TRUE(contains(r.err, std::string(file) + ": ")) << file << "\n" << r.err;
  }
  EXPECT_TRUE(contains(r.err, "unknown ecosystem")) << r.err;
  EXPECT_TRUE(contains(r.err, "is not a Debian version")) << r.err;

  // The text form: one line per finding.
  r = run_sheaf(store(), {"audit", "demo", "--osv", osv.string()});
  EXPECT_TRUE(contains(r.out, "DSA-0001-1  libssl 1.1-1+b1  fixed: 1.2-1  severity: high\n")) << r.out;

  // After an update to the fixed version, that finding is gone.
  r = run_sheaf(store(), {"image", "update", image, "--set", "libssl=1.2-1", "--tag", "fixed"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_sheaf(store(), {"audit", "fixed", "--osv", osv.string(), "--json"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  ids.clear();
  json fixed_report = json::parse(r.out);
  for (const auto& f : fixed_report[0]["findings"]) ids.insert(f["id"]);
  EXPECT_EQ(ids, (std::set<std::string>{"DSA-0005-1", "DSA-0007-1", "DSA-0008-1"}));

  // --all audits both images; no findings exit 0.
  r = run_sheaf(store(), {"audit", "--all", "--osv", osv.string(), "--json"});
  EXPECT_EQ(json::parse(r.out).size(), 2u);
  fs::path quiet = dir_ / "quiet";
  testing::make_dirs(quiet);
  write_file(quiet / "later.json", read_file_bytes(osv / "later.json"));
  r = run_sheaf(store(), {"audit", "--all", "--osv", quiet.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "0 finding(s) in 2 image(s)")) << r.err;
  EXPECT_EQ(run_sheaf(store(), {"audit", "--osv", quiet.string()}).exit_code, 2);
}

}  // namespace
}  // namespace sheaf
