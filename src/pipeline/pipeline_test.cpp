// The build pipeline called as a library, with a reporter that collects what
// the command line would print, against a real signed apt repository; and
// `sheaf build` on the same spec, which must give the same image.
#include "pipeline/build.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "pipeline/lock.hpp"
#include "pipeline/registry.hpp"
#include "spec/spec.hpp"
#include "testing/apt_repo.hpp"
#include "testing/command.hpp"
#include "testing/errors.hpp"
#include "testing/registry.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::pipeline {
namespace {

namespace fs = std::filesystem;
using testing::contains;

bool any_contains(const std::vector<std::string>& lines, std::string_view part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return contains(l, part); });
}

// The repository every test reads, made once: libc, and an app whose
// postinst makes host keys (a warning) and whose helper runs under /bin/sh,
// which no member provides (a suggestion).
const testing::SignedAptRepo& repository() {
  static const std::unique_ptr<testing::SignedAptRepo> made = [] {
    auto apt = std::make_unique<testing::SignedAptRepo>();
    apt->repo.add_with("stable", "libc", "1.0", "",
                       [](testing::DebTree& t) { t.file("lib/x86_64-linux-gnu/libc.so.6", "libc 1.0\n", 0755); });
    apt->repo.add_with("stable", "app", "1.0", "Depends: libc\n", [](testing::DebTree& t) {
      t.file("usr/bin/app", "app\n", 0755);
      t.file("usr/bin/app-report", "#!/bin/sh\necho report\n", 0755);
      t.control_file("postinst",
                     "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n"
                     "  ssh-keygen -q -t ed25519 -N '' -f /etc/app_host_key\nfi\n",
                     0755);
    });
    apt->publish("stable");
    return apt;
  }();
  return *made;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::make_dirs(dir_ / "project");
    testing::write_file(spec_path(),
                        "[image]\nname = \"demo\"\nentrypoint = [\"/usr/bin/app\"]\n\n"
                        "[source.debian]\nsuites = [\"stable\"]\narch = \"amd64\"\nmirror = \"" +
                            repository().repo.file_url() + "\"\nkeyring = \"" + repository().key.keyring().string() +
                            "\"\n\n[packages]\ninclude = [\"app\"]\n");
  }
  fs::path spec_path() const { return dir_ / "project/sheaf.toml"; }

  // A session on a store of its own, with no apt configuration of the host:
  // the spec names its mirror.
  Session session(const std::string& store) {
    Session s(std::make_unique<store::LocalStore>(dir_ / store), reporter_);
    s.use_network(repo::network_settings({}));
    return s;
  }

  testing::TempDir dir_;
  CollectingReporter reporter_;
};

TEST_F(PipelineTest, BuildGivesTheDigestOfSheafBuildAndReportsThroughTheReporter) {
  auto spec = spec::Spec::load(spec_path());
  Session library = session("store-library");
  BuildResult built = build(library, spec, {.outputs = {.layout = dir_ / "layout"}});
  EXPECT_EQ(built.tag.str(), "demo:latest");
  EXPECT_EQ(built.composed.members, 3u);  // app, libc and the assembly

  // What the command line would have printed, collected instead.
  EXPECT_TRUE(any_contains(reporter_.notes, "created " + (dir_ / "project/sheaf.lock").string() + " (2 packages)"))
      << fmt::format("{}", fmt::join(reporter_.notes, "\n"));
  EXPECT_TRUE(any_contains(reporter_.notes, "+ app 1.0"));
  EXPECT_TRUE(any_contains(reporter_.notes, "fetched 2 packages"));
  EXPECT_TRUE(any_contains(reporter_.notes, "wrote the OCI layout " + (dir_ / "layout").string() + ":latest"));
  EXPECT_TRUE(any_contains(reporter_.warnings, "app 1.0 (postinst) would make SSH host keys (ssh-keygen)"))
      << fmt::format("{}", fmt::join(reporter_.warnings, "\n"));
  ASSERT_FALSE(reporter_.suggestions.empty());
  EXPECT_TRUE(std::any_of(reporter_.suggestions.begin(), reporter_.suggestions.end(), [](const image::Suggestion& s) {
    return s.package == "dash" && contains(s.reason, "/usr/bin/app-report of app 1.0 runs under /bin/sh");
  }));
  EXPECT_TRUE(fs::exists(dir_ / "layout/index.json"));

  // The command line, on another store, from the same spec and lock.
  testing::CommandResult cli = testing::run_sheaf((dir_ / "store-cli").string(), {"build", "-f", spec_path().string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(testing::last_line(cli.out), built.composed.manifest.str());
  EXPECT_TRUE(contains(cli.err, "warning: app 1.0 (postinst) would make SSH host keys")) << cli.err;
  EXPECT_TRUE(contains(cli.err, "suggestion: include dash (/usr/bin/app-report of app 1.0 runs under /bin/sh)\n"))
      << cli.err;

  // Built again through the library: the same image, nothing locked or fetched.
  reporter_.notes.clear();
  Session again = session("store-library");
  EXPECT_EQ(build(again, spec, {.locked = true}).composed.manifest, built.composed.manifest);
  EXPECT_FALSE(any_contains(reporter_.notes, "fetched"));
  EXPECT_FALSE(any_contains(reporter_.notes, "sheaf.lock"));
}

// Push and pull as a library: what a server would call. The progress goes
// through the reporter, and the results are data.
TEST_F(PipelineTest, PushAndPullThroughARegistryAsALibrary) {
  if (!fs::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  testing::TestRegistry registry(dir_ / "registry");
  auto spec = spec::Spec::load(spec_path());
  Session here = session("store-here");
  BuildResult built = build(here, spec, {});
  PushResult pushed = push(here, {.image = "demo", .destination = registry.ref("lib/demo:1")});
  EXPECT_EQ(pushed.manifest, built.composed.manifest);
  EXPECT_EQ(pushed.uploaded, pushed.blobs);
  EXPECT_FALSE(pushed.referrers_api);  // distribution 2.8: the fallback tag

  Session there = session("store-there");
  PullResult pulled = pull(there, {.source = registry.ref("lib/demo:1"), .arch = "amd64"});
  EXPECT_EQ(pulled.manifest, built.composed.manifest);
  EXPECT_EQ(pulled.layers_downloaded, pulled.layers);
  EXPECT_EQ(pulled.packages_added, 3u);
  EXPECT_TRUE(pulled.used_document);
  EXPECT_EQ(pulled.local_name, registry.host().replace(registry.host().find(':'), 1, "_") + "/lib/demo:1");
  EXPECT_EQ(there.store().index().image_origins(built.composed.manifest.str()),
            std::vector<std::string>{registry.ref("lib/demo:1")});

  // A reference that is not one is a usage error, before any network.
  EXPECT_TRUE(contains(testing::error_message_of([&] { pull(there, {.source = "demo:1", .arch = "amd64"}); }),
                       "is not a registry reference"));
}

TEST_F(PipelineTest, LockedRefusesToCreateTheLockAndSbomNeedsALayout) {
  auto spec = spec::Spec::load(spec_path());
  Session s = session("store");
  EXPECT_TRUE(contains(testing::error_message_of([&] { build(s, spec, {.locked = true}); }),
                       "does not exist, and --locked forbids creating it; run 'sheaf lock'"));
  EXPECT_FALSE(fs::exists(dir_ / "project/sheaf.lock"));
  EXPECT_EQ(testing::error_message_of([&] { build(s, spec, {.outputs = {.sbom = true}}); }),
            "--sbom attaches the SBOMs to the OCI layout; give -o DIR too");
}

TEST_F(PipelineTest, CheckLockSaysWhetherTheLockStillAnswersTheSpec) {
  auto spec = spec::Spec::load(spec_path());
  LockCheck before = check_lock(spec);
  EXPECT_FALSE(before.exists);
  Session s = session("store");
  repo::LockOutcome outcome = lock(s, spec, {});
  EXPECT_TRUE(outcome.written);
  LockCheck after = check_lock(spec);
  EXPECT_TRUE(after.exists);
  EXPECT_TRUE(after.problems.empty());
  EXPECT_EQ(describe({"app", "", "1.0"}), "+ app 1.0");
  EXPECT_EQ(describe({"app", "1.0", ""}), "- app 1.0");
  EXPECT_EQ(describe({"app", "1.0", "2.0"}), "~ app 1.0 -> 2.0");
  EXPECT_EQ(describe({"app", "1.0", "2.0", "arm64"}), "~ app 1.0 -> 2.0 (arm64)");
}

}  // namespace
}  // namespace sheaf::pipeline
