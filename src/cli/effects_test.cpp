// What Debian's maintainer scripts would have done, made real without
// running them (docs/formats/image.md, "Effects of maintainer scripts"):
// end to end, against a signed apt repository of dpkg-deb packages whose
// preinst and postinst register alternatives, add accounts, change owners,
// divert files, make per-host state and do things no reader follows.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "image/accounts.hpp"
#include "pkg/package.hpp"
#include "store/local_store.hpp"
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
using testing::run_sheaf;
using testing::write_file;

// Two account names whose derived system ids collide at round 0, the first
// sorting before the second: adding the first to an image that holds the
// second would move the second.
std::pair<std::string, std::string> colliding_names() {
  std::map<std::uint32_t, std::string> seen;
  for (int i = 0;; ++i) {
    std::string name = fmt::format("svc{}", i);
    std::uint32_t id = image::account_id_candidate(name, 100, 999, 0);
    auto [it, fresh] = seen.emplace(id, name);
    if (!fresh) return it->second < name ? std::pair{it->second, name} : std::pair{name, it->second};
  }
}

std::string postinst(std::string_view body) { return "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n" + std::string(body) + "fi\n"; }

class EffectsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apt_ = new testing::SignedAptRepo;
    auto& repo = apt_->repo;
    // Alternatives: awk-a 10 and awk-c 10 (a tie), awk-b 20, and awk-b 2.0 at 5.
    auto awk = [&](const char* name, const char* version, int priority) {
      repo.add_with("stable", name, version, "", [=](testing::DebTree& t) {
        t.file(fmt::format("usr/bin/{}", name), fmt::format("{} {}\n", name, version), 0755);
        t.file(fmt::format("usr/share/man/man1/{}.1.gz", name), "manual\n");
        t.control_file("postinst",
                       postinst(fmt::format("  update-alternatives --install /usr/bin/awk awk /usr/bin/{0} {1} \\\n"
                                            "    --slave /usr/share/man/man1/awk.1.gz awk.1.gz "
                                            "/usr/share/man/man1/{0}.1.gz \\\n"
                                            "    --slave /usr/bin/nawk nawk /usr/bin/{0}\n",
                                            name, priority)),
                       0755);
      });
    };
    awk("awk-a", "1.0", 10);
    awk("awk-b", "1.0", 20);
    awk("awk-b", "2.0", 5);
    awk("awk-c", "1.0", 10);
    // A daemon: a system account with a home, a log directory it owns, an
    // override on its configuration, host keys, a step no reader follows, and
    // a helper script that needs /bin/sh and sed.
    repo.add_with("stable", "daemon", "1.0", "", [](testing::DebTree& t) {
      t.file("etc/daemon.conf", "port = 1\n");
      t.file("usr/bin/daemon", "daemon\n", 0755);
      t.file("usr/bin/daemon-report", "#!/bin/sh\nsed -n 's/^port = //p' /etc/daemon.conf\n", 0755);
      t.dir("var/www");
      t.control_file("postinst",
                     postinst("  adduser --system --group --home /var/lib/daemon --quiet daemon\n"
                              "  adduser daemon www-data\n"
                              "  mkdir -p /var/log/daemon\n"
                              "  chown daemon:adm /var/log/daemon\n"
                              "  chmod 2750 /var/log/daemon\n"
                              "  chown www-data /var/www\n"
                              "  if ! dpkg-statoverride --list /etc/daemon.conf >/dev/null; then\n"
                              "    dpkg-statoverride --update --add daemon daemon 0640 /etc/daemon.conf\n"
                              "  fi\n"
                              "  printf '%s\\n' '[daemon]' 'listen = 127.0.0.1' > /etc/daemon.local\n"
                              "  ssh-keygen -q -t ed25519 -N '' -f /etc/daemon_host_key\n"
                              "  frobnicate --all\n"),
                     0755);
    });
    // A diversion: tool-wrapper puts its /usr/bin/tool in place of tool's.
    repo.add_with("stable", "tool", "1.0", "",
                  [](testing::DebTree& t) { t.file("usr/bin/tool", "the real tool\n", 0755); });
    repo.add_with("stable", "tool-wrapper", "1.0", "Depends: tool\n", [](testing::DebTree& t) {
      t.file("usr/bin/tool", "the wrapper\n", 0755);
      t.control_file("preinst",
                     "#!/bin/sh\nset -e\nif [ \"$1\" = install ]; then\n"
                     "  dpkg-divert --package tool-wrapper --rename --divert /usr/bin/tool.real --add /usr/bin/tool\n"
                     "fi\n",
                     0755);
    });
    // Two packages that disagree on an account's id.
    for (auto [name, id] : {std::pair{"id-a", 500}, std::pair{"id-b", 501}}) {
      repo.add_with("stable", name, "1.0", "", [=](testing::DebTree& t) {
        t.control_file("postinst", postinst(fmt::format("  adduser --system --uid {} shared\n", id)), 0755);
      });
    }
    // Two accounts whose derived ids collide.
    auto [first, second] = colliding_names();
    first_ = first;
    second_ = second;
    for (const auto& name : {first, second}) {
      repo.add_with("stable", "pkg-" + name, "1.0", "", [=](testing::DebTree& t) {
        t.control_file("postinst", postinst(fmt::format("  adduser --system {}\n", name)), 0755);
      });
    }
    // A hostile script: a link out of the image, a name [[users]] refuses,
    // an alternative to a path outside, and a write meant for the host.
    repo.add_with("stable", "hostile", "1.0", "", [](testing::DebTree& t) {
      t.dir("var/lib/hostile");
      t.control_file("postinst",
                     postinst("  ln -s ../../../../../../../etc/shadow /var/lib/hostile/escape\n"
                              "  adduser --system --force-badname 'Bad.Name'\n"
                              "  update-alternatives --install /usr/bin/h h /../../../../host-passwd 5\n"
                              "  echo owned > /../../../../../tmp/sheaf-effects-escape\n"
                              "  echo owned > /var/lib/hostile/../../../../../../root-escape\n"),
                     0755);
    });
    apt_->publish("stable");
  }
  static void TearDownTestSuite() { delete apt_; }

  void SetUp() override { store_ = (dir_ / "store").string(); }

  fs::path write_spec(const std::string& project, const std::string& include, const std::string& extra = "") {
    fs::path dir = dir_ / project;
    testing::make_dirs(dir);
    write_file(dir / "sheaf.toml", "[image]\nname = \"" + project + "\"\n\n[source.debian]\nsuites = [\"stable\"]\n"
                                   "arch = \"amd64\"\nmirror = \"" + apt_->repo.file_url() + "\"\nkeyring = \"" +
                                   apt_->key.keyring().string() + "\"\n\n[packages]\ninclude = [" + include + "]\n" +
                                   extra);
    return dir / "sheaf.toml";
  }

  CommandResult build(const std::string& project, const std::string& include, const std::string& extra = "",
                      const std::string& store = "") {
    return run_sheaf(store.empty() ? store_ : store, {"build", "-f", write_spec(project, include, extra).string()},
                     env_);
  }
  std::string built(const std::string& project, const std::string& include, const std::string& extra = "") {
    CommandResult r = build(project, include, extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }

  CommandResult sheaf(const std::vector<std::string>& args) { return run_sheaf(store_, args, env_); }

  // The image's root, flattened as a runtime sees it.
  fs::path rootfs(const std::string& image) {
    fs::path out = dir_ / ("root-" + std::to_string(++exports_));
    CommandResult r = sheaf({"image", "export", image, "--rootfs", out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  static std::string link(const fs::path& p) {
    std::error_code ec;
    return fs::read_symlink(p, ec).string();
  }
  static struct stat stat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st;
  }

  static testing::SignedAptRepo* apt_;
  static std::string first_, second_;
  testing::TempDir dir_;
  std::string store_;
  int exports_ = 0;
  testing::CommandOptions env_{.env = {{"SOURCE_DATE_EPOCH", "1700000000"}}};
};
testing::SignedAptRepo* EffectsTest::apt_ = nullptr;
std::string EffectsTest::first_;
std::string EffectsTest::second_;

TEST_F(EffectsTest, AlternativesFollowPriorityTiesAndTheSpecsChoice) {
  std::string image = built("awk", R"("awk-a", "awk-b=1.0")");
  fs::path root = rootfs(image);
  EXPECT_EQ(link(root / "usr/bin/awk"), "/etc/alternatives/awk");
  EXPECT_EQ(link(root / "etc/alternatives/awk"), "/usr/bin/awk-b") << "priority 20 beats 10";
  EXPECT_EQ(link(root / "usr/bin/nawk"), "/etc/alternatives/nawk");
  EXPECT_EQ(link(root / "etc/alternatives/nawk"), "/usr/bin/awk-b");
  EXPECT_EQ(link(root / "etc/alternatives/awk.1.gz"), "/usr/share/man/man1/awk-b.1.gz");
  EXPECT_EQ(read_file_bytes(root / "var/lib/dpkg/alternatives/awk"),
            "auto\n/usr/bin/awk\nawk.1.gz\n/usr/share/man/man1/awk.1.gz\nnawk\n/usr/bin/nawk\n\n"
            "/usr/bin/awk-a\n10\n/usr/share/man/man1/awk-a.1.gz\n/usr/bin/awk-a\n"
            "/usr/bin/awk-b\n20\n/usr/share/man/man1/awk-b.1.gz\n/usr/bin/awk-b\n\n");

  // The spec's choice, as update-alternatives --set makes it.
  std::string chosen = built("awk-set", R"("awk-a", "awk-b=1.0")", "\n[alternatives]\nawk = \"/usr/bin/awk-a\"\n");
  root = rootfs(chosen);
  EXPECT_EQ(link(root / "etc/alternatives/awk"), "/usr/bin/awk-a");
  EXPECT_TRUE(read_file_bytes(root / "var/lib/dpkg/alternatives/awk").starts_with("manual\n"));

  // A tie goes to the package name, then the path, and says so.
  CommandResult tie = build("awk-tie", R"("awk-c", "awk-a")");
  ASSERT_EQ(tie.exit_code, 0) << tie.err;
  EXPECT_TRUE(contains(tie.err, "alternative awk: /usr/bin/awk-a and /usr/bin/awk-c have the same priority 10; chose "
                                "/usr/bin/awk-a"))
      << tie.err;
  EXPECT_EQ(link(rootfs(last_line(tie.out)) / "etc/alternatives/awk"), "/usr/bin/awk-a");

  // A candidate whose target drop_paths removed is no candidate.
  CommandResult dropped = build("awk-drop", R"("awk-a", "awk-b=1.0")", "drop_paths = [\"usr/bin/awk-b\"]\n");
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_TRUE(contains(dropped.err, "alternative awk: /usr/bin/awk-b of awk-b 1.0 is not in the image")) << dropped.err;
  EXPECT_EQ(link(rootfs(last_line(dropped.out)) / "etc/alternatives/awk"), "/usr/bin/awk-a");

  // A choice that is no candidate names the candidates and where it is.
  CommandResult bad = build("awk-bad", R"("awk-a")", "\n[alternatives]\nawk = \"/usr/bin/gawk\"\n");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_TRUE(contains(bad.err, "sheaf.toml:14:1: [alternatives] 'awk' = '/usr/bin/gawk': not a candidate; the "
                                "image's are /usr/bin/awk-a"))
      << bad.err;
}

// `image update --set` of a package that registers alternatives gives what a
// fresh build of the same set gives: the choice is derived again.
TEST_F(EffectsTest, AnUpdateDerivesAlternativesAsAFreshBuildDoes) {
  std::string before = built("update", R"("awk-a", "awk-b=1.0")");
  CommandResult r = sheaf({"image", "update", before, "--set", "awk-b=2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string after = last_line(r.out);
  EXPECT_EQ(link(rootfs(after) / "etc/alternatives/awk"), "/usr/bin/awk-a") << "awk-b 2.0 has priority 5";
  std::string fresh = built("update-fresh", R"("awk-a", "awk-b=2.0")");
  EXPECT_EQ(after, fresh);
}

TEST_F(EffectsTest, IncludeOrderDoesNotChangeTheImage) {
  std::string one = built("order-1", R"("awk-a", "daemon", "tool-wrapper", "awk-b=1.0")");
  std::string two = built("order-2", R"("tool-wrapper", "awk-b=1.0", "daemon", "awk-a")");
  EXPECT_EQ(one, two);
  std::string three = run_sheaf((dir_ / "store-3").string(), {"build", "-f", write_spec("order-3", R"("daemon", "awk-b=1.0", "awk-a", "tool-wrapper")").string()}, env_).out;
  EXPECT_EQ(last_line(three), one) << "another store";
}

TEST_F(EffectsTest, AccountsOwnersAndModesAreTheScriptsAndThePolicys) {
  CommandResult r = build("daemon", R"("daemon")");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path root = rootfs(last_line(r.out));
  std::string passwd = read_file_bytes(root / "etc/passwd");
  std::string group = read_file_bytes(root / "etc/group");
  // "daemon" is one of Debian's fixed accounts (1): the script's adduser
  // finds it, as it would on Debian; www-data (33) and adm (4) appear because
  // the scripts name them.
  EXPECT_TRUE(contains(passwd, "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")) << passwd;
  EXPECT_TRUE(contains(group, "adm:x:4:\n")) << group;
  EXPECT_TRUE(contains(group, "www-data:x:33:daemon\n")) << group;
  EXPECT_TRUE(contains(passwd, "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n")) << passwd;
  struct stat log = stat_of(root / "var/log/daemon");
  EXPECT_EQ(log.st_uid, 1u);
  EXPECT_EQ(log.st_gid, 4u);
  EXPECT_EQ(log.st_mode & 07777, 02750u);
  struct stat conf = stat_of(root / "etc/daemon.conf");
  EXPECT_EQ(conf.st_uid, 1u);
  EXPECT_EQ(conf.st_mode & 07777, 0640u);
  EXPECT_EQ(read_file_bytes(root / "etc/daemon.conf"), "port = 1\n");
  EXPECT_EQ(stat_of(root / "var/www").st_uid, 33u);
  EXPECT_EQ(read_file_bytes(root / "etc/daemon.local"), "[daemon]\nlisten = 127.0.0.1\n");
  EXPECT_FALSE(fs::exists(root / "etc/daemon_host_key")) << "host keys are made at run time";

  // What could not be applied, and what is left to run time, is said.
  EXPECT_TRUE(contains(r.err, "warning: daemon 1.0 (postinst) would make SSH host keys (ssh-keygen); sheaf never puts "
                              "secrets or per-host state in an image"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "warning: daemon 1.0: 1 step of its postinst was not interpreted, the first at postinst "
                              "line 15: 'frobnicate --all' is not interpreted; see `sheaf pkg show daemon`"))
      << r.err;
  // What Essential would have given is suggested in the documented form.
  EXPECT_TRUE(contains(r.err, "suggestion: include dash (/usr/bin/daemon-report of daemon 1.0 runs under /bin/sh)\n"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "suggestion: include sed (/usr/bin/daemon-report of daemon 1.0 runs sed)\n")) << r.err;

  // pkg show and image show list the effects, with the script.
  CommandResult show = sheaf({"pkg", "show", "daemon"});
  EXPECT_TRUE(contains(show.out, "effect:      chown /var/log/daemon: owner daemon:adm (postinst)")) << show.out;
  EXPECT_TRUE(contains(show.out, "needs:       /usr/bin/daemon-report runs /bin/sh (interpreter)")) << show.out;
  CommandResult script = sheaf({"pkg", "show", "daemon", "--script", "postinst"});
  EXPECT_TRUE(contains(script.out, "frobnicate --all\n")) << script.out;
  CommandResult image = sheaf({"image", "show", "daemon"});
  EXPECT_TRUE(contains(image.out, "  chown /var/log/daemon: owner daemon:adm (daemon postinst)")) << image.out;
  EXPECT_TRUE(contains(image.out, "  left to run time: SSH host keys (ssh-keygen, daemon postinst)")) << image.out;
  // And the SBOMs carry them with the assembly.
  json cyclonedx = json::parse(sheaf({"sbom", "daemon", "--format", "cyclonedx"}).out);
  bool found = false;
  for (const auto& c : cyclonedx["components"]) {
    if (c.value("name", "") != "sheaf-assembly") continue;
    for (const auto& p : c["properties"]) {
      found |= p["name"] == "sheaf:effect" && p["value"] == "chown /var/log/daemon: owner daemon:adm (daemon postinst)";
    }
  }
  EXPECT_TRUE(found) << cyclonedx.dump(1);
  json spdx = json::parse(sheaf({"sbom", "daemon", "--format", "spdx"}).out);
  bool commented = false;
  for (const auto& p : spdx["packages"]) {
    if (p.value("name", "") == "sheaf-assembly") {
      commented = contains(p.value("comment", ""), "dpkg-statoverride /etc/daemon.conf: owner daemon:daemon, mode 0640");
    }
  }
  EXPECT_TRUE(commented) << spdx.dump(1);
}

TEST_F(EffectsTest, ADivertedFileMovesAsideAndTheDivertersTakesItsPlace) {
  CommandResult r = build("divert", R"("tool-wrapper")");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path root = rootfs(last_line(r.out));
  EXPECT_EQ(read_file_bytes(root / "usr/bin/tool"), "the wrapper\n");
  EXPECT_EQ(read_file_bytes(root / "usr/bin/tool.real"), "the real tool\n");
  CommandResult show = sheaf({"image", "show", "divert"});
  EXPECT_TRUE(contains(show.out, "diverts /usr/bin/tool to /usr/bin/tool.real, renaming (tool-wrapper preinst (moves "
                                 "tool 1.0's file))"))
      << show.out;
}

TEST_F(EffectsTest, AccountIdsAreRefusedWhenTheyWouldClashOrMove) {
  // Two packages that ask one account for different ids.
  CommandResult clash = build("ids", R"("id-a", "id-b")");
  EXPECT_EQ(clash.exit_code, 3);
  EXPECT_TRUE(contains(clash.err, "id-a 1.0 and id-b 1.0 ask for the user 'shared' with different ids (500 and 501)"))
      << clash.err;

  // A spec account on the id a derived one gets, under another name.
  std::uint32_t taken = image::account_id_candidate(second_, 100, 999, 0);
  CommandResult spec = build("spec-id", "\"pkg-" + second_ + "\"",
                             fmt::format("\n[[users]]\nname = \"app\"\nuid = {}\n", taken));
  EXPECT_EQ(spec.exit_code, 3);
  EXPECT_TRUE(contains(spec.err, fmt::format("the spec's user 'app' has id {}, which sheaf gives the user '{}'", taken,
                                             second_)))
      << spec.err;

  // The derived id is a function of the name; a collision that would move an
  // account the tag's image numbers is refused, and [[users]] settles it.
  CommandResult one = build("collide", "\"pkg-" + second_ + "\"");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_TRUE(contains(read_file_bytes(rootfs(last_line(one.out)) / "etc/passwd"),
                       fmt::format("{}:x:{}:65534::/nonexistent:/usr/sbin/nologin\n", second_, taken)));
  CommandResult two = build("collide", fmt::format("\"pkg-{}\", \"pkg-{}\"", first_, second_));
  EXPECT_EQ(two.exit_code, 3);
  std::uint32_t next = image::account_id_candidate(second_, 100, 999, 1);
  EXPECT_TRUE(contains(two.err, fmt::format("the user '{}' would get id {}, but collide:latest", second_, next)))
      << two.err;
  EXPECT_TRUE(contains(two.err, fmt::format("'{}' takes it now (their derived ids collide); keep {}'s by giving {} one "
                                            "of its own: [[users]] name = \"{}\", uid = {}",
                                            first_, second_, first_, first_, next)))
      << two.err;
  // Following the advice keeps the old account where it was.
  CommandResult pinned = build("collide", fmt::format("\"pkg-{}\", \"pkg-{}\"", first_, second_),
                               fmt::format("\n[[users]]\nname = \"{}\"\nuid = {}\n", first_, next));
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  EXPECT_TRUE(contains(read_file_bytes(rootfs(last_line(pinned.out)) / "etc/passwd"),
                       fmt::format("{}:x:{}:65534::/nonexistent:/usr/sbin/nologin\n", second_, taken)));
}

// A hostile script changes the image only through validated data, and
// nothing outside the store.
TEST_F(EffectsTest, AHostileScriptIsContainedAndReported) {
  CommandResult r = build("hostile", R"("hostile")");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path root = rootfs(last_line(r.out));
  std::error_code ec;
  EXPECT_FALSE(fs::is_symlink(root / "var/lib/hostile/escape", ec));
  EXPECT_TRUE(contains(r.err, "/var/lib/hostile/escape not made: its target leaves the image")) << r.err;
  EXPECT_TRUE(contains(r.err, "adds the account 'Bad.Name', a name [[users]] would refuse; it was left out")) << r.err;
  EXPECT_FALSE(contains(read_file_bytes(root / "etc/passwd"), "Bad.Name"));
  EXPECT_FALSE(fs::exists(root / "usr/bin/h")) << "its target is not in the image";
  EXPECT_FALSE(fs::exists("/tmp/sheaf-effects-escape"));
  EXPECT_FALSE(fs::exists("/root-escape"));
  EXPECT_EQ(read_file_bytes(root / "root-escape"), "owned\n") << "a path that climbs stops at the image's root";
}

// A package imported by a sheaf that derived less is read again from its
// .deb (fetched again by sha256), or derived again from its stored scripts.
TEST_F(EffectsTest, PackagesAnOlderSheafImportedAreDerivedAgain) {
  std::string image = built("old", R"("awk-a")");
  auto forget = [&](bool keep_scripts) {
    store::LocalStore store(store_);
    for (const auto& record : store.index().packages_named("awk-a")) {
      pkg::PackageMetadata m = pkg::PackageMetadata::from_json(record.metadata);
      m.derivation = 0;
      m.effects = {};
      if (!keep_scripts) m.scripts.reset();
      store.index().write([&](store::Index::Transaction& t) { t.set_metadata(record.id, m.to_json()); });
    }
  };
  forget(/*keep_scripts=*/true);
  CommandResult offline = build("old", R"("awk-a")");
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_TRUE(contains(offline.err, "derived maintainer-script effects again for 1 package(s)")) << offline.err;
  EXPECT_EQ(last_line(offline.out), image);

  forget(/*keep_scripts=*/false);
  CommandResult show = sheaf({"pkg", "show", "awk-a"});
  EXPECT_TRUE(contains(show.out, "not derived by this sheaf yet")) << show.out;
  CommandResult again = build("old", R"("awk-a")");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(contains(again.err, "fetched 1 packages")) << again.err;
  EXPECT_EQ(last_line(again.out), image);
  EXPECT_TRUE(contains(sheaf({"pkg", "show", "awk-a"}).out, "effect:      alternative awk"));
}

}  // namespace
}  // namespace sheaf
