// What a Debian package's maintainer scripts would have done to a system,
// as data: derived at import by reading preinst and postinst, never by
// running them (docs/formats/package.md, "Script effects"; the reasons are
// in docs/decisions.md, "Maintainer scripts are read, not run").
//
// The reader (derive_script_effects) evaluates each script as dash would on
// a fresh `apt-get install` -- preinst with "install", then postinst with
// "configure" and no old version -- over a model of the system: the
// package's own files, Debian's fixed accounts, and what the script has done
// so far. Nothing is executed. Commands whose effect an image needs are
// recorded (update-alternatives, adduser, addgroup, useradd, groupadd,
// usermod, dpkg-divert, dpkg-statoverride, chown, chgrp, chmod, mkdir, touch,
// ln -s, cp and install of the package's own files, ucf); commands that only
// manage services, caches or debconf are understood and do nothing here; any
// other command is recorded as uninterpreted, so the build can warn about it.
// Commands that make secrets or per-host state (ssh-keygen, make-ssl-cert,
// machine ids, database clusters) are recorded as runtime state: the image
// leaves them to run time.
//
// The result is a function of the scripts' text, the package's file list,
// its name and its architecture. pkg::kDerivationVersion changes whenever
// the reader would derive something different from the same input; a store
// whose packages carry an older version derives them again (pkg/derived.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fileset/entry.hpp"

namespace sheaf::deb {

struct AlternativeLink {
  std::string link;  // absolute, "/usr/bin/nawk"
  std::string name;  // "nawk"
  std::string path;  // absolute, "/usr/bin/mawk"
  bool operator==(const AlternativeLink&) const = default;
};

// update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...
struct AlternativeInstall {
  AlternativeLink master;
  std::int64_t priority = 0;
  std::vector<AlternativeLink> slaves;
  std::string script;  // "postinst"
  bool operator==(const AlternativeInstall&) const = default;
};

// adduser/addgroup/useradd/groupadd.
struct Account {
  enum class Kind { user, group };
  Kind kind = Kind::user;
  std::string name;
  bool system = false;
  std::optional<std::uint32_t> id;  // asked for with --uid/--gid/-u/-g
  // Users: the primary group by name ("" for adduser --system's nogroup),
  // and whether a group of the user's own name is made (--group, -U).
  std::string group;
  bool own_group = false;
  std::string home;   // "" for the tool's default
  std::string shell;  // "" for the tool's default
  std::string gecos;
  // adduser makes the home directory (owned by the user) unless told not
  // to; useradd only with -m.
  bool create_home = false;
  std::string script;
  bool operator==(const Account&) const = default;
};

// adduser USER GROUP, usermod -a -G GROUP USER, gpasswd -a USER GROUP.
struct Membership {
  std::string user;
  std::string group;
  std::string script;
  bool operator==(const Membership&) const = default;
};

// chown/chgrp/chmod/dpkg-statoverride on a path: names, not ids, since the
// accounts are only numbered when the image is assembled.
struct PathAttributes {
  std::string path;   // absolute
  std::string owner;  // "" leaves it
  std::string group;  // "" leaves it
  std::string mode;   // "" leaves it; octal ("0750") or symbolic ("g+w"), as written
  bool recursive = false;
  std::string via;  // "chown", "chmod", "chgrp", "dpkg-statoverride"
  std::string script;
  bool operator==(const PathAttributes&) const = default;
};

// A path the script makes: mkdir, touch, ln -s, a file written with > or
// >>, cp/install/ucf of a file the package (or another) ships.
struct CreatedPath {
  enum class Kind { dir, file, symlink, copy };
  Kind kind = Kind::dir;
  std::string path;    // absolute
  std::string source;  // symlink: the target as written; copy: the file copied (absolute)
  std::string mode;    // "" for the default (0755 dirs, 0644 files, the source's for copies)
  std::string script;
  std::string content;  // file: what was written ("" for touch)
  bool operator==(const CreatedPath&) const = default;
};

// dpkg-divert --add [--rename] [--divert TO] PATH.
struct Diversion {
  std::string path;       // absolute
  std::string divert_to;  // absolute; PATH.distrib by default
  std::string package;    // --package (by default the script's own package); "" for --local
  bool rename = false;
  std::string script;
  bool operator==(const Diversion&) const = default;
};

// Secrets and per-host state, left to run time.
struct RuntimeState {
  std::string what;     // "SSH host keys"
  std::string command;  // "ssh-keygen"
  std::string script;
  bool operator==(const RuntimeState&) const = default;
};

// A command, construct or script the reader did not follow.
struct Uninterpreted {
  std::string script;
  int line = 0;
  std::string what;  // "cp /etc/foo /etc/bar: the source is not a file of the package"
  bool operator==(const Uninterpreted&) const = default;
};

struct ScriptEffects {
  std::vector<AlternativeInstall> alternatives;
  std::vector<Account> accounts;
  std::vector<Membership> memberships;
  std::vector<PathAttributes> attributes;
  std::vector<CreatedPath> created;
  std::vector<Diversion> diversions;
  std::vector<RuntimeState> runtime_state;
  std::vector<Uninterpreted> uninterpreted;

  bool empty() const;
  bool operator==(const ScriptEffects&) const = default;
};

// The effects as a JSON object, as the package's index metadata keeps them
// under "script_effects" (docs/formats/package.md). Empty lists are left out.
nlohmann::json effects_to_json(const ScriptEffects& effects);
// Reads what effects_to_json wrote. Malformed items are skipped, since the
// assembly validates every effect again before it applies one.
ScriptEffects effects_from_json(const nlohmann::json& doc);

// One line per effect, for people (`sheaf pkg show`): "alternative awk:
// /usr/bin/awk -> /usr/bin/mawk, priority 5 (postinst)".
std::vector<std::string> describe_effects(const ScriptEffects& effects);

// One maintainer script as shipped.
struct MaintainerScript {
  std::string name;  // "preinst", "postinst"
  std::string text;
};

// The package's files as the reader sees them: absolute paths in the
// merged-/usr layout ("/usr/bin/mawk"), with their types.
using PackageFiles = std::map<std::string, fileset::EntryType, std::less<>>;

// The content of one of the package's files, by absolute path, for the
// shell libraries scripts source (`. /usr/share/dpkg/sh/dpkg-error.sh`);
// nullopt when it cannot be read or is too large to be one.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// Reads the scripts. `package` and `arch` are the package's name and
// architecture (for $DPKG_MAINTSCRIPT_PACKAGE and dpkg --print-architecture).
// A script that does not parse is one Uninterpreted entry; this never throws
// for any script text.
ScriptEffects derive_script_effects(const std::vector<MaintainerScript>& scripts, const PackageFiles& files,
                                    std::string_view package, std::string_view arch,
                                    const FileReader& read_file = nullptr);

// Debian's fixed system accounts (base-passwd's passwd.master and
// group.master in bookworm): name -> id. Every Debian system has them.
struct FixedAccount {
  std::string_view name;
  std::uint32_t id;
  std::uint32_t gid;  // users: the primary group; groups: == id
  std::string_view gecos;
  std::string_view home;
  std::string_view shell;
};
const std::vector<FixedAccount>& fixed_users();
const std::vector<FixedAccount>& fixed_groups();
const FixedAccount* find_fixed_user(std::string_view name);
const FixedAccount* find_fixed_group(std::string_view name);

}  // namespace sheaf::deb
