// compose_image against a real store, with packages added from directories.
#include "image/compose.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "base/error.hpp"
#include "image/export.hpp"
#include "pkg/add_directory.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::image {
namespace {

namespace fs = std::filesystem;
using testing::write_file;

class ComposeTest : public ::testing::Test {
 protected:
  ComposeTest() : store_(dir_ / "store") {}

  // A package from a tree of files: `files` maps paths to contents.
  std::string add(const std::string& name, const std::string& version, std::map<std::string, std::string> files,
                  const std::string& depends = "", const std::string& conflicts = "") {
    fs::path root = dir_ / "trees" / (name + "-" + version);
    testing::make_dirs(root);
    for (const auto& [path, content] : files) {
      testing::make_dirs((root / path).parent_path());
      write_file(root / path, content, path.starts_with("usr/bin/") ? 0755 : 0644);
    }
    pkg::AddDirectoryRequest request{.dir = root,
                                     .name = name,
                                     .version = version,
                                     .arch = "amd64",
                                     .depends = depends,
                                     .conflicts = conflicts,
                                     .owner = std::make_pair(0u, 0u)};
    return pkg::add_directory(store_, request).id.str();
  }

  spec::Spec spec(std::string_view text) { return spec::Spec::parse(text, (dir_ / "sheaf.toml").string()); }

  ComposeResult compose(const std::vector<std::string>& ids, std::string_view spec_text = "",
                        std::vector<std::string>* warnings = nullptr, const std::string& tag_name = "test") {
    ComposeRequest request;
    request.debian_packages = ids;
    request.arch = "amd64";
    request.os = OsRelease{"bookworm", "12"};
    request.tag_name = tag_name;
    request.threads = 2;
    if (warnings) request.warn = [warnings](const std::string& w) { warnings->push_back(w); };
    return compose_image(store_, spec(spec_text), request);
  }

  std::string error_of(const std::function<void()>& body) {
    try {
      body();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  }

  testing::TempDir dir_;
  store::LocalStore store_;
};

TEST_F(ComposeTest, OneLayerPerPackageInDependencyOrderThenTheAssembly) {
  std::string libc = add("libc", "1.0", {{"usr/lib/libc.so", "libc"}});
  std::string app = add("app", "2.0", {{"usr/bin/app", "#!app"}}, "libc (>= 1.0), zlib");
  std::string zlib = add("zlib", "1:1.2+dfsg", {{"usr/lib/libz.so", "z"}}, "libc");
  ComposeResult r = compose({app, zlib, libc}, "[image]\nentrypoint = [\"/usr/bin/app\"]\n");
  ASSERT_EQ(r.layers.size(), 4u);
  std::vector<std::string> names;
  for (const auto& layer : r.layers)
    names.push_back(layer.packages.front().substr(0, layer.packages.front().find(' ')));
  EXPECT_EQ(names, (std::vector<std::string>{"libc", "zlib", "app", "sheaf-assembly"}));
  const auto& a = r.manifest_document.layers[1].annotations;
  EXPECT_EQ(a.at("dev.sheaf.package.name"), "zlib");
  EXPECT_EQ(a.at("dev.sheaf.package.version"), "1:1.2+dfsg");
  EXPECT_EQ(a.at("dev.sheaf.package.id"), zlib);
  EXPECT_EQ(a.at("dev.sheaf.package.purl"), "pkg:deb/debian/zlib@1.2%2Bdfsg?arch=amd64&distro=debian-12&epoch=1");
  EXPECT_EQ(r.config.diff_ids.size(), 4u);
  EXPECT_EQ(r.config.config.env,
            (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
  EXPECT_EQ(r.config.created, "1970-01-01T00:00:01Z") << "no package has a date";

  auto image = store_.index().image(r.manifest.str());
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(store_.index().tagged_image("test", "latest"), r.manifest.str());
  EXPECT_EQ(store_.index().image_packages(r.manifest.str()).size(), 4u);
}

TEST_F(ComposeTest, TheOrderPackagesAreGivenInNeverMatters) {
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i)
    ids.push_back(add("p" + std::to_string(i), "1.0", {{"usr/share/p" + std::to_string(i), "x"}}));
  Digest first = compose(ids).manifest;
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(ids.begin(), ids.end(), rng);
    EXPECT_EQ(compose(ids).manifest, first);
  }
}

TEST_F(ComposeTest, LayersAreMadeOnceAndReused) {
  std::string libc = add("libc", "1.0", {{"usr/lib/libc.so", std::string(100000, 'c')}});
  ComposeResult one = compose({libc});
  EXPECT_TRUE(one.layers[0].made);
  ComposeResult two = compose({libc}, "[image]\ncmd = [\"/x\"]\n");
  EXPECT_FALSE(two.layers[0].made) << "a package's layer never depends on the image";
  EXPECT_EQ(two.layers[0].descriptor, one.layers[0].descriptor);
  EXPECT_NE(two.manifest, one.manifest);
}

TEST_F(ComposeTest, ARebuildUnderAnotherTagStillRecordsTheTag) {
  std::string libc = add("libc", "1.0", {{"usr/lib/libc.so", "c"}});
  Digest one = compose({libc}).manifest;
  Digest two = compose({libc}, "", nullptr, "other").manifest;  // nothing new but the tag
  EXPECT_EQ(one, two);
  EXPECT_EQ(store_.index().tagged_image("test", "latest"), one.str());
  EXPECT_EQ(store_.index().tagged_image("other", "latest"), one.str());
}

TEST_F(ComposeTest, UnmetDependenciesAndConflictsAreRefusedAndNothingIsRecorded) {
  std::string app = add("app", "1.0", {{"usr/bin/app", "a"}}, "libc (>= 2), libz | zlib");
  std::string libc = add("libc", "1.0", {{"usr/lib/libc.so", "c"}});
  std::string old = add("old", "1.0", {{"usr/share/old", "o"}}, "", "libc (<< 2)");
  auto packages_before = store_.index().packages().size();
  std::string message = error_of([&] { compose({app, libc, old}); });
  EXPECT_NE(message.find("app 1.0 depends on libc (>= 2), which nothing in the image satisfies"), std::string::npos)
      << message;
  EXPECT_NE(message.find("app 1.0 depends on libz | zlib"), std::string::npos) << message;
  EXPECT_NE(message.find("old 1.0 conflicts with libc (<< 2), and the image holds libc 1.0"), std::string::npos)
      << message;
  EXPECT_TRUE(store_.index().images().empty());
  EXPECT_EQ(store_.index().packages().size(), packages_before);
}

TEST_F(ComposeTest, PathConflictsNameBothPackagesUnlessDropPathsRemovesThem) {
  std::string a = add("clash-a", "1.0", {{"usr/bin/tool", "one"}});
  std::string b = add("clash-b", "1.0", {{"usr/bin/tool", "two"}});
  std::string message = error_of([&] { compose({a, b}); });
  EXPECT_NE(message.find("path /usr/bin/tool is claimed by clash-a 1.0"), std::string::npos) << message;
  EXPECT_NE(message.find("and by clash-b 1.0"), std::string::npos) << message;
  EXPECT_TRUE(store_.index().images().empty());

  ComposeResult r = compose({a, b}, "[packages]\ndrop_paths = [\"usr/bin/tool\"]\n");
  EXPECT_EQ(r.manifest_document.annotations.at("dev.sheaf.drop-paths"), "[\"usr/bin/tool\"]");
  EXPECT_EQ(r.manifest_document.layers[0].annotations.at("dev.sheaf.package.dropped"), "1");
}

TEST_F(ComposeTest, PathsThatClashWithAPackageAreRefused) {
  std::string a = add("conf", "1.0", {{"etc/motd", "package"}});
  std::string message =
      error_of([&] { compose({a}, "[[paths]]\npath = \"/etc/motd\"\ntype = \"file\"\ncontent = \"mine\"\n"); });
  EXPECT_NE(message.find("path /etc/motd is claimed by conf 1.0"), std::string::npos) << message;
  EXPECT_NE(message.find("and by sheaf-assembly"), std::string::npos) << message;
}

TEST_F(ComposeTest, LocalFilesBecomeAPackageOfTheirOwn) {
  std::string libc = add("libc", "1.0", {{"usr/lib/libc.so", "c"}});
  testing::make_dirs(dir_ / "app/lib");
  write_file(dir_ / "app/main.py", "print('hi')\n");
  write_file(dir_ / "app/lib/util.py", "x = 1\n");
  ComposeResult r = compose({libc}, "[[files]]\nsrc = \"app\"\ndest = \"/app\"\nuid = 1000\ngid = 1000\n");
  ASSERT_EQ(r.layers.size(), 3u);
  const auto& a = r.manifest_document.layers[1].annotations;
  EXPECT_EQ(a.at("dev.sheaf.package.name"), "sheaf-files-app");
  EXPECT_TRUE(a.at("dev.sheaf.package.purl").starts_with("pkg:generic/sheaf-files-app@0%2B"));
  auto record = store_.index().package(a.at("dev.sheaf.package.id"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(store_.index().origins(record->id), (std::vector<std::string>{R"({"path":"app","type":"directory"})"}));
}

TEST_F(ComposeTest, AMissingEntrypointIsAWarning) {
  std::string libc = add("libc", "1.0", {{"usr/lib/libc.so", "c"}});
  std::vector<std::string> warnings;
  compose({libc}, "[image]\nentrypoint = [\"/usr/bin/python3\"]\n", &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("entrypoint '/usr/bin/python3' is not a file in the image"), std::string::npos)
      << warnings[0];
  warnings.clear();
  compose({libc}, "[image]\ncmd = [\"libc.so\"]\nenv = { PATH = \"/lib\" }\n", &warnings);
  EXPECT_TRUE(warnings.empty()) << "found through PATH and the lib -> usr/lib link";
}

TEST_F(ComposeTest, MoreThanAHundredPackagesShareTheLastLayers) {
  std::vector<std::string> ids;
  for (int i = 0; i < 120; ++i) {
    ids.push_back(add(fmt::format("p{:03}", i), "1.0", {{fmt::format("usr/share/p{:03}", i), "x"}}));
  }
  ComposeResult r = compose(ids);
  ASSERT_EQ(r.layers.size(), kMaxLayers);
  EXPECT_EQ(r.layers[kMaxLayers - 2].packages.size(), 120u - (kMaxLayers - 2));
  EXPECT_EQ(r.layers[kMaxLayers - 2].packages.front(), "p098 1.0");
  EXPECT_TRUE(r.layers.back().packages.front().starts_with("sheaf-assembly "));
  EXPECT_TRUE(r.manifest_document.layers[kMaxLayers - 2].annotations.contains("dev.sheaf.packages"));
}

TEST(LayerOrder, CyclesShareADepth) {
  // a <-> b depend on each other and on c; d depends on a.
  std::vector<OrderItem> items{{"a", "1", {1, 2}, 0}, {"b", "2", {0, 2}, 0},   {"c", "3", {}, 0},
                               {"d", "4", {0}, 0},    {"z-files", "5", {}, 1}, {"asm", "6", {}, 2}};
  EXPECT_EQ(layer_order(items), (std::vector<std::size_t>{2, 0, 1, 3, 4, 5}));
}

}  // namespace
}  // namespace sheaf::image
