#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "deb/script_effects.hpp"
#include "deb/shell_script.hpp"

namespace sheaf::deb {
namespace {

using fileset::EntryType;

ScriptEffects read_postinst(std::string_view text, const PackageFiles& files = {}) {
  return derive_script_effects({{"postinst", std::string(text)}}, files, "pkg", "amd64");
}

// mawk's postinst as bookworm ships it (dh_installalternatives).
TEST(ScriptReader, ReadsAnAlternativeWithSlavesAcrossContinuedLines) {
  auto e = read_postinst(R"(#!/bin/sh
set -e
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ]; then
        update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \
            --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz \
            --slave /usr/bin/nawk nawk /usr/bin/mawk
fi
)");
  ASSERT_EQ(e.alternatives.size(), 1u);
  const AlternativeInstall& a = e.alternatives[0];
  EXPECT_EQ(a.master, (AlternativeLink{"/usr/bin/awk", "awk", "/usr/bin/mawk"}));
  EXPECT_EQ(a.priority, 5);
  ASSERT_EQ(a.slaves.size(), 2u);
  EXPECT_EQ(a.slaves[1], (AlternativeLink{"/usr/bin/nawk", "nawk", "/usr/bin/mawk"}));
  EXPECT_EQ(a.script, "postinst");
  EXPECT_TRUE(e.uninterpreted.empty());
}

// The shape of openjdk's postinst: a loop over a variable, slaves held in
// variables that word splitting takes apart, and a test of the package's files.
TEST(ScriptReader, FollowsLoopsVariablesAndFileTests) {
  PackageFiles files{{"/usr/lib/jvm/j/bin/java", EntryType::file},
                     {"/usr/lib/jvm/j/man/man1/java.1.gz", EntryType::file},
                     {"/usr/lib/jvm/j/bin/keytool", EntryType::file}};
  auto e = read_postinst(R"(#!/bin/sh
basedir=/usr/lib/jvm/j
priority=1711
tools='java keytool'
case "$1" in
configure)
    if [ -z "$2" ]; then update_alternatives=y; fi
    if [ "$update_alternatives" = y ]; then
    if [ "$DPKG_MAINTSCRIPT_ARCH" != $(dpkg --print-architecture) ]; then
        priority=$(expr $priority - 1)
    fi
    for i in $tools; do
        unset slave1 || true
        if [ -e $basedir/man/man1/$i.1.gz ]; then
            slave1="--slave \
                /usr/share/man/man1/$i.1.gz $i.1.gz $basedir/man/man1/$i.1.gz"
        fi
        update-alternatives --install /usr/bin/$i $i $basedir/bin/$i $priority $slave1
    done
    fi
    ;;
esac
exit 0
)",
                         files);
  ASSERT_EQ(e.alternatives.size(), 2u);
  EXPECT_EQ(e.alternatives[0].master.link, "/usr/bin/java");
  EXPECT_EQ(e.alternatives[0].priority, 1711);
  ASSERT_EQ(e.alternatives[0].slaves.size(), 1u);
  EXPECT_EQ(e.alternatives[0].slaves[0].path, "/usr/lib/jvm/j/man/man1/java.1.gz");
  EXPECT_EQ(e.alternatives[1].master.path, "/usr/lib/jvm/j/bin/keytool");
  EXPECT_TRUE(e.alternatives[1].slaves.empty()) << "keytool has no manual page in this package";
}

// redis-tools' postinst: a function with positional parameters, adduser,
// and ownership guarded by dpkg-statoverride --list.
TEST(ScriptReader, ReadsAccountsAndOwnershipThroughAFunction) {
  auto e = read_postinst(R"(#!/bin/sh
set -eu
USER="redis"
Setup_dir () {
	DIR="${1}"
	MODE="${2}"
	GROUP="${3}"
	mkdir -p ${DIR}
	if ! dpkg-statoverride --list ${DIR} >/dev/null 2>&1
	then
		chown ${USER}:${GROUP} ${DIR}
		chmod ${MODE} ${DIR}
	fi
}
if [ "$1" = "configure" ]
then
	adduser --system --home /var/lib/redis --quiet --group ${USER} || true
	Setup_dir /var/log/redis 2750 adm
fi
)");
  ASSERT_EQ(e.accounts.size(), 1u);
  EXPECT_EQ(e.accounts[0].name, "redis");
  EXPECT_TRUE(e.accounts[0].system);
  EXPECT_TRUE(e.accounts[0].own_group);
  EXPECT_EQ(e.accounts[0].home, "/var/lib/redis");
  ASSERT_EQ(e.created.size(), 1u) << "only var/log/redis: /var/log is a system directory";
  EXPECT_EQ(e.created.back().path, "/var/log/redis");
  ASSERT_EQ(e.attributes.size(), 2u);
  EXPECT_EQ(e.attributes[0], (PathAttributes{"/var/log/redis", "redis", "adm", "", false, "chown", "postinst"}));
  EXPECT_EQ(e.attributes[1].mode, "2750");
}

TEST(ScriptReader, SkipsAccountsThatExistAndKnowsDebiansFixedOnes) {
  auto e = read_postinst(R"(#!/bin/sh
if ! getent passwd www-data >/dev/null; then adduser --system www-data; fi
if ! getent group app >/dev/null; then addgroup --system app; fi
if ! getent group app >/dev/null; then addgroup --system app; fi
useradd -r -g app -G adm,tty svc
)");
  ASSERT_EQ(e.accounts.size(), 2u);
  EXPECT_EQ(e.accounts[0].kind, Account::Kind::group);
  EXPECT_EQ(e.accounts[0].name, "app");
  EXPECT_EQ(e.accounts[1].name, "svc");
  EXPECT_EQ(e.accounts[1].group, "app");
  EXPECT_FALSE(e.accounts[1].own_group);
  EXPECT_EQ(e.memberships.size(), 2u);
}

TEST(ScriptReader, RecordsDiversionsFromPreinst) {
  auto e = derive_script_effects(
      {{"preinst", "#!/bin/sh\nset -e\nif [ \"$1\" = install ]; then\n"
                   "  dpkg-divert --package pkg --rename --divert /usr/bin/pg_config.libpq-dev --add /usr/bin/pg_config\n"
                   "fi\n"}},
      {}, "pkg", "amd64");
  ASSERT_EQ(e.diversions.size(), 1u);
  EXPECT_EQ(e.diversions[0], (Diversion{"/usr/bin/pg_config", "/usr/bin/pg_config.libpq-dev", "pkg", true, "preinst"}));
}

TEST(ScriptReader, RecordsRuntimeStateAndWhatItCannotFollow) {
  auto e = read_postinst(R"(#!/bin/sh
ssh-keygen -q -f /etc/ssh/ssh_host_ed25519_key -N '' -t ed25519
some-tool --frob /etc/thing
echo appended >> /etc/debian_version
deb-systemd-helper enable foo.service >/dev/null || true
)",
                         {{"/etc/debian_version", EntryType::file}});
  ASSERT_EQ(e.runtime_state.size(), 1u);
  EXPECT_EQ(e.runtime_state[0].what, "SSH host keys");
  ASSERT_EQ(e.uninterpreted.size(), 2u);
  EXPECT_EQ(e.uninterpreted[0].line, 3);
  EXPECT_NE(e.uninterpreted[0].what.find("some-tool --frob"), std::string::npos);
  EXPECT_EQ(e.uninterpreted[1].line, 4);
  EXPECT_NE(e.uninterpreted[1].what.find("appended to '/etc/debian_version'"), std::string::npos)
      << e.uninterpreted[1].what;
}

// What a script writes into a file becomes that file, and standard input
// flows through pipelines, here documents and the filters scripts use.
TEST(ScriptReader, FollowsWritesPipelinesAndFilters) {
  auto e = read_postinst(R"(#!/bin/sh
set -e
kernel=$(uname -r)
major=$(($(echo "$kernel" | sed 's/\([0-9]*\)\.\([0-9]*\).*/\1 \* 100 + \2/')))
[ $major -ge 302 ] || exit 1
mkdir -p /etc/app
echo "[client]" > /etc/app/debian.cnf
printf '%s\n' "user=root" >> /etc/app/debian.cnf
cat > /etc/app/motd <<EOF
kernel $kernel
EOF
name=$(echo "Hello World" | tr 'A-Z' 'a-z' | cut -d ' ' -f 2)
mkdir -p /var/lib/$name
first=$(printf 'a b\nc d\n' | head -n 1 | cut -d' ' -f1)
echo "$first" | grep -q '^a$' && touch /var/lib/$name/first-is-a
printf 'x=1\ny=2\n' | while read line; do touch "/var/lib/$name/$line"; done
)");
  EXPECT_TRUE(e.uninterpreted.empty()) << describe_effects(e).back();
  std::map<std::string, std::string> files;
  for (const auto& c : e.created) {
    if (c.kind == CreatedPath::Kind::file) files[c.path] = c.content;
  }
  EXPECT_EQ(files["/etc/app/debian.cnf"], "[client]\nuser=root\n");
  EXPECT_EQ(files["/etc/app/motd"], "kernel 6.1.0\n");
  EXPECT_TRUE(files.contains("/var/lib/world/first-is-a"));
  EXPECT_TRUE(files.contains("/var/lib/world/x=1"));
  EXPECT_TRUE(files.contains("/var/lib/world/y=2"));
}

// mariadb-server's `find ... -print0 | xargs -0 -r chown mysql`, the
// postgresql-common check run through su, and squid's `sed -ne`.
TEST(ScriptReader, FollowsXargsSuAndCombinedSedFlags) {
  auto e = read_postinst(R"(#!/bin/sh
set -e
mkdir -p /var/lib/db
printf '/var/lib/db\0' | xargs -0 -r chown mysql
find /var/lib/db -print0 | xargs -0 -r chown nobody
if su -s /bin/sh postgres -c "test -d /var/lib/db"; then touch /var/lib/db/checked; fi
res=$(echo 'port 3128' | sed -ne 's/^port \(.*\)/\1/p; t end; d; :end q' || true)
[ -n "$res" ] || res=8080
echo "$res" > /var/lib/db/port
pgrep -x mysqld || touch /var/lib/db/not-running
)");
  ASSERT_EQ(e.attributes.size(), 1u) << describe_effects(e).back();
  EXPECT_EQ(e.attributes[0].owner, "mysql");
  std::map<std::string, std::string> files;
  for (const auto& c : e.created) files[c.path] = c.content;
  EXPECT_TRUE(files.contains("/var/lib/db/checked"));
  EXPECT_TRUE(files.contains("/var/lib/db/not-running"));
  // sed's labels and branches (t, :end) are not modelled: the script falls
  // back to its default, and the step is reported.
  EXPECT_EQ(files["/var/lib/db/port"], "8080\n");
  ASSERT_EQ(e.uninterpreted.size(), 1u);
  EXPECT_NE(e.uninterpreted[0].what.find("the sed command t"), std::string::npos) << e.uninterpreted[0].what;
}

TEST(ScriptReader, ReportsAScriptThatDoesNotParseAndGoesOn) {
  auto e = derive_script_effects({{"preinst", "#!/bin/sh\nif true; then\n"},
                                  {"postinst", "#!/bin/sh\nupdate-alternatives --install /usr/bin/a a /usr/bin/b 1\n"}},
                                 {}, "pkg", "amd64");
  ASSERT_EQ(e.uninterpreted.size(), 1u);
  EXPECT_EQ(e.uninterpreted[0].script, "preinst");
  EXPECT_NE(e.uninterpreted[0].what.find("does not parse"), std::string::npos);
  EXPECT_EQ(e.alternatives.size(), 1u);
}

TEST(ScriptReader, StopsALoopThatNeverEnds) {
  auto e = read_postinst("#!/bin/sh\nwhile true; do :; done\nupdate-alternatives --install /usr/bin/a a /usr/bin/b 1\n");
  ASSERT_EQ(e.uninterpreted.size(), 1u);
  EXPECT_NE(e.uninterpreted[0].what.find("rounds"), std::string::npos);
  EXPECT_TRUE(e.alternatives.empty());
}

TEST(ScriptReader, StopsRecursionWithoutEnd) {
  auto e = read_postinst("#!/bin/sh\nf() { f; }\nf\n");
  ASSERT_EQ(e.uninterpreted.size(), 1u);
  EXPECT_NE(e.uninterpreted[0].what.find("nested too deeply"), std::string::npos);
}

TEST(ScriptReader, LeavesScriptsOfOtherInterpretersUnread) {
  auto e = read_postinst("#!/usr/bin/perl\nsystem('update-alternatives --install /usr/bin/a a /b 1');\n");
  ASSERT_EQ(e.uninterpreted.size(), 1u);
  EXPECT_NE(e.uninterpreted[0].what.find("perl"), std::string::npos);
  EXPECT_TRUE(e.alternatives.empty());
}

TEST(ScriptReader, ExpandsParametersAsDashDoes) {
  auto e = read_postinst(R"(#!/bin/sh
p=/usr/lib/x.so.3
d=${p%/*}; b=${p##*/}; r=${DPKG_ROOT:+--root="$DPKG_ROOT"}
n=$((2 * 3 + 1))
update-alternatives --install "$d/$b" "${b%.so.3}" "${UNSET:-/usr/lib/impl/$b}" "$n" $r
)");
  ASSERT_EQ(e.alternatives.size(), 1u);
  EXPECT_EQ(e.alternatives[0].master, (AlternativeLink{"/usr/lib/x.so.3", "x", "/usr/lib/impl/x.so.3"}));
  EXPECT_EQ(e.alternatives[0].priority, 7);
  EXPECT_TRUE(e.uninterpreted.empty());
}

TEST(ScriptEffects, RoundTripsThroughJson) {
  auto e = read_postinst(R"(#!/bin/sh
update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 --slave /usr/bin/nawk nawk /usr/bin/mawk
adduser --system --group --home /var/lib/x x
adduser x adm
mkdir -p /var/lib/x
chown -R x:x /var/lib/x
ln -s /etc/x/a /etc/x-link
ssh-keygen -A
unknown-thing
)");
  auto back = effects_from_json(effects_to_json(e));
  EXPECT_EQ(back, e);
  EXPECT_TRUE(effects_from_json(nlohmann::json::object()).empty());
}

TEST(ShellParser, NamesTheLineOfAnError) {
  try {
    parse_shell("#!/bin/sh\necho ok\ncase x in\n  a) echo;;\n", "pkg postinst");
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("pkg postinst line 5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_shell("echo \"unterminated\n", "s"), ParseError);
  EXPECT_THROW(parse_shell("[[ -e x ]]\n", "s"), ParseError);
  EXPECT_THROW(parse_shell(std::string(200, '(') + "true" + std::string(200, ')'), "s"), ParseError);
}

TEST(ShellParser, ReadsHereDocumentsAndComments) {
  auto tree = parse_shell("cat <<EOF >/dev/null # a comment\nline $x\nEOF\necho done\n", "s");
  ASSERT_EQ(tree->children.size(), 2u);
  ASSERT_EQ(tree->children[0]->redirects.size(), 2u);
  EXPECT_EQ(tree->children[0]->redirects[0].here, "line $x\n");
  EXPECT_EQ(tree->children[1]->words[0].text, "echo");
  EXPECT_EQ(tree->children[1]->line, 4);
}

}  // namespace
}  // namespace sheaf::deb
