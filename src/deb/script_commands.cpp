// The ScriptReader's table of commands, and the commands that change
// accounts, alternatives, diversions and dpkg's own state
// (deb/script_reader.hpp).
#include "deb/script_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/error.hpp"
#include "deb/shell_filters.hpp"
#include "deb/version.hpp"

namespace sheaf::deb::reader {

int ScriptReader::command(const Args& a) {
  const std::string& name = a[0];
  if (name == ":" || name == "true") return 0;
  if (name == "false") return 1;
  if (name == "exit" || name == "return") {
    int code = a.size() > 1 ? static_cast<int>(to_integer(a[1]).value_or(1)) : status_;
    flow_ = name == "exit" ? Flow::exit : Flow::return_;
    if (name == "return" && depth_ == 0) flow_ = Flow::exit;
    return code;
  }
  if (name == "break" || name == "continue") {
    flow_ = name == "break" ? Flow::break_ : Flow::continue_;
    flow_count_ = a.size() > 1 ? static_cast<int>(std::max<std::int64_t>(1, to_integer(a[1]).value_or(1))) : 1;
    return 0;
  }
  if (name == "set") {
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "--") {
        positional_.assign(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.end());
        break;
      }
    }
    return 0;
  }
  if (name == "shift") {
    std::size_t n = a.size() > 1 ? static_cast<std::size_t>(to_integer(a[1]).value_or(1)) : 1;
    if (n > positional_.size()) return 1;
    positional_.erase(positional_.begin(), positional_.begin() + static_cast<std::ptrdiff_t>(n));
    return 0;
  }
  if (name == "export" || name == "readonly" || name == "local") {
    for (std::size_t i = 1; i < a.size(); ++i) {
      auto eq = a[i].find('=');
      if (eq != std::string::npos) {
        vars_[a[i].substr(0, eq)] = a[i].substr(eq + 1);
      } else if (name == "local") {
        vars_[a[i]];
      }
    }
    return 0;
  }
  if (name == "unset") {
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i] == "-f") continue;
      vars_.erase(a[i]);
      functions_.erase(a[i]);
    }
    return 0;
  }
  if (name == "echo") {
    std::size_t i = 1;
    bool newline = true;
    if (i < a.size() && a[i] == "-n") {
      newline = false;
      ++i;
    }
    std::string text;
    for (; i < a.size(); ++i) text += (text.empty() ? "" : " ") + a[i];
    emit(text + (newline ? "\n" : ""));
    return 0;
  }
  if (name == "printf") return printf_command(a);
  if (name == "test" || name == "[") return test_command(a);
  if (name == "eval") {
    std::string text;
    for (std::size_t i = 1; i < a.size(); ++i) text += (i > 1 ? " " : "") + a[i];
    if (depth_ >= kMaxCallDepth) throw Abort{"eval nested too deeply"};
    auto& tree = parsed_[text];
    if (!tree) {
      try {
        tree = parse_shell(text, "eval");
      } catch (const ParseError& e) {
        throw Uninterpretable{e.what()};
      }
    }
    ++depth_;
    run(*tree);
    --depth_;
    return status_;
  }
  if (name == "." || name == "source") return source(a);
  if (name == "exec") {
    if (a.size() == 1) return 0;
    call(Args(a.begin() + 1, a.end()));
    flow_ = Flow::exit;
    return status_;
  }
  if (name == "command" && a.size() > 1 && a[1] != "-v" && a[1] != "-V") {
    return command(Args(a.begin() + 1, a.end()));
  }
  if (name == "command" || name == "which" || name == "type" || name == "hash") {
    int result = 0;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].starts_with("-")) continue;
      if (is_known_command(a[i]) || functions_.contains(a[i])) {
        if (name != "hash") emit((a[i].find('/') == std::string::npos ? "/usr/bin/" : "") + a[i] + "\n");
      } else {
        result = 1;
      }
    }
    return result;
  }
  if (auto it = handlers().find(name); it != handlers().end()) return (this->*(it->second))(a);
  // A command called by its path (/usr/sbin/update-rc.d) is the same one.
  std::string base = basename_of(name);
  if (base != name && name.starts_with('/') &&
      (handlers().contains(base) || quiet_commands().contains(base) || is_filter(base) ||
       runtime_state_commands().contains(base))) {
    Args renamed = a;
    renamed[0] = base;
    return command(renamed);
  }
  if (quiet_commands().contains(name)) return 0;
  if (is_filter(name)) return filter(a);
  if (auto what = runtime_state_commands().find(name); what != runtime_state_commands().end()) {
    record_runtime_state({std::string(what->second), name, script_});
    return 0;
  }
  if (name.starts_with("db_")) return debconf(a);
  out_.uninterpreted.push_back({script_, line_, describe_command(a)});
  return 0;
}

std::string ScriptReader::describe_command(const Args& a) {
  std::string text;
  for (const auto& arg : a) {
    if (text.size() > 100) {
      text += " ...";
      break;
    }
    text += (text.empty() ? "" : " ") + arg;
  }
  return "'" + escape_controls(text) + "' is not interpreted";
}

const std::map<std::string, ScriptReader::Handler, std::less<>>& ScriptReader::handlers() {
  static const std::map<std::string, Handler, std::less<>> kHandlers = {
      {"update-alternatives", &ScriptReader::update_alternatives},
      {"adduser", &ScriptReader::adduser},
      {"addgroup", &ScriptReader::addgroup},
      {"useradd", &ScriptReader::useradd},
      {"groupadd", &ScriptReader::groupadd},
      {"usermod", &ScriptReader::usermod},
      {"gpasswd", &ScriptReader::gpasswd},
      {"dpkg-divert", &ScriptReader::dpkg_divert},
      {"dpkg-statoverride", &ScriptReader::dpkg_statoverride},
      {"chown", &ScriptReader::chown},
      {"chgrp", &ScriptReader::chown},
      {"chmod", &ScriptReader::chmod},
      {"mkdir", &ScriptReader::mkdir},
      {"touch", &ScriptReader::touch},
      {"ln", &ScriptReader::ln},
      {"cp", &ScriptReader::cp},
      {"install", &ScriptReader::install},
      {"ucf", &ScriptReader::ucf},
      {"rm", &ScriptReader::rm},
      {"mv", &ScriptReader::mv},
      {"dpkg-realpath", &ScriptReader::readlink},
      {"rmdir", &ScriptReader::rm},
      {"getent", &ScriptReader::getent},
      {"id", &ScriptReader::id},
      {"dpkg", &ScriptReader::dpkg},
      {"dpkg-query", &ScriptReader::not_installed},
      {"mountpoint", &ScriptReader::succeed},
      {"basename", &ScriptReader::basename},
      {"dirname", &ScriptReader::dirname},
      {"expr", &ScriptReader::expr},
      {"readlink", &ScriptReader::readlink},
      {"realpath", &ScriptReader::readlink},
      {"ischroot", &ScriptReader::not_installed},
      {"deb-systemd-helper", &ScriptReader::deb_systemd_helper},
      {"a2enmod", &ScriptReader::a2enable},
      {"a2enconf", &ScriptReader::a2enable},
      {"a2ensite", &ScriptReader::a2enable},
      {"mktemp", &ScriptReader::mktemp},
      {"sh", &ScriptReader::shell},
      {"uname", &ScriptReader::uname},
      {"xargs", &ScriptReader::xargs},
      {"su", &ScriptReader::su},
      {"runuser", &ScriptReader::su},
      {"pgrep", &ScriptReader::not_installed},
      {"pidof", &ScriptReader::not_installed},
      // AppArmor belongs to the host that runs a container, not to the
      // image: it reads as not enabled, so scripts skip loading profiles.
      {"aa-enabled", &ScriptReader::not_installed},
      {"aa-status", &ScriptReader::not_installed},
      {"apparmor_parser", &ScriptReader::succeed},
      {"read", &ScriptReader::read_line},
      {"bash", &ScriptReader::shell},
      {"dash", &ScriptReader::shell},
  };
  return kHandlers;
}

const std::set<std::string, std::less<>>& ScriptReader::quiet_commands() {
  static const std::set<std::string, std::less<>> kQuiet = {
      "deb-systemd-invoke", "invoke-rc.d", "update-rc.d", "systemctl", "service", "systemd-tmpfiles", "dpkg-trigger",
      "dpkg-maintscript-helper", "ldconfig", "update-binfmts", "update-mime-database", "update-desktop-database",
      "gtk-update-icon-cache", "install-info", "update-info-dir", "mandb", "update-ca-certificates", "py3compile",
      "pycompile", "py3clean", "pyclean", "ucfr", "ucfq", "update-initramfs", "udevadm", "sleep", "sync", "trap",
      "umask", "wait", "cd", "fc-cache", "glib-compile-schemas", "update-xmlcatalog", "update-catalog",
      "update-perl-sax-parsers", "mkfontdir", "mkfontscale", "update-fonts-dir", "update-fonts-alias",
      "update-fonts-scale", "update-gconf-defaults", "dpkg-reconfigure", "logger", "kill", "pkill", "start-stop-daemon",
      "update-menus", "update-icon-caches", "systemd-sysusers", "deb-systemd-helper-quiet", "update-shells",
      "add-shell", "remove-shell", "a2query", "update-java-alternatives", "update-catalog", "dh_installdeb",
      "sgmlwhich", "update-motd", "telinit", "runit-helper",
      // The assembly writes etc/shadow itself when a member ships PAM
      // configuration (image/effects.hpp).
      "shadowconfig",
      // Compiles what /etc/locale.gen selects: nothing, on a fresh system
      // whose debconf answered nothing (C.UTF-8 comes with libc-bin).
      "locale-gen",
      // Writes /etc/default/locale: an image's locale is its environment's.
      "update-locale",
      // Caches programs rebuild, or do without.
      "gio-querymodules", "gdk-pixbuf-query-loaders",
      // postgresql-common's helpers: a check of the host, apt's autoremove
      // list, and links to installed ispell dictionaries (none, fresh).
      "pg_checksystem", "pg_updateaptconfig", "pg_updatedicts"};
  return kQuiet;
}

const std::map<std::string, std::string_view, std::less<>>& ScriptReader::runtime_state_commands() {
  static const std::map<std::string, std::string_view, std::less<>> kState = {
      {"ssh-keygen", "SSH host keys"},
      {"make-ssl-cert", "a snake-oil TLS key and certificate"},
      {"openssl", "a private key or certificate"},
      {"systemd-machine-id-setup", "the machine id"},
      {"dbus-uuidgen", "the machine id"},
      {"pg_createcluster", "a database cluster"},
      {"initdb", "a database cluster"},
      {"mysql_install_db", "a database cluster"},
      {"mariadb-install-db", "a database cluster"},
      {"slapadd", "a directory database"},
      {"rndc-confgen", "a secret key"},
      {"tsig-keygen", "a secret key"},
      {"ddns-confgen", "a secret key"},
      {"pwgen", "a generated password"},
  };
  return kState;
}

bool ScriptReader::is_known_command(std::string_view name) const {
  std::string base = basename_of(name);
  static const std::set<std::string, std::less<>> kBuiltins = {
      ":", "true", "false",   "echo",  "printf", "test",  "[",        "set",  "shift",  "export", "unset",   "eval",
      ".", "exec", "command", "which", "type",   "local", "readonly", "exit", "return", "break",  "continue"};
  return kBuiltins.contains(base) || handlers().contains(base) || quiet_commands().contains(base) || is_filter(base);
}

Args ScriptReader::split_long_options(const Args& a) {
  Args out;
  for (const auto& arg : a) {
    auto eq = arg.find('=');
    if (arg.starts_with("--") && eq != std::string::npos) {
      out.push_back(arg.substr(0, eq));
      out.push_back(arg.substr(eq + 1));
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

std::string ScriptReader::absolute(const std::string& path) const {
  if (!path.starts_with('/')) throw Uninterpretable{fmt::format("the relative path {}", quote(path))};
  return canonical_path(path);
}

int ScriptReader::update_alternatives(const Args& raw) {
  Args a = split_long_options(raw);
  std::size_t i = 1;
  static const std::set<std::string, std::less<>> kFlags = {"--quiet", "--verbose", "--force", "--skip-auto",
                                                            "--debug"};
  static const std::set<std::string, std::less<>> kValued = {"--altdir", "--admindir", "--log", "--instdir", "--root"};
  while (i < a.size() && (kFlags.contains(a[i]) || kValued.contains(a[i]))) i += kValued.contains(a[i]) ? 2u : 1u;
  if (i >= a.size()) throw Uninterpretable{"update-alternatives without an action"};
  const std::string& action = a[i];
  if (action == "--install") {
    if (i + 4 >= a.size()) throw Uninterpretable{"update-alternatives --install needs LINK NAME PATH PRIORITY"};
    AlternativeInstall alt;
    alt.master = {absolute(a[i + 1]), a[i + 2], absolute(a[i + 3])};
    auto priority = to_integer(a[i + 4]);
    if (!priority) throw Uninterpretable{fmt::format("update-alternatives priority {}", quote(a[i + 4]))};
    alt.priority = *priority;
    for (i += 5; i < a.size();) {
      if (kFlags.contains(a[i])) {
        ++i;
        continue;
      }
      if (a[i] != "--slave" || i + 3 >= a.size()) {
        throw Uninterpretable{fmt::format("update-alternatives --install: unexpected {}", quote(a[i]))};
      }
      alt.slaves.push_back({absolute(a[i + 1]), a[i + 2], absolute(a[i + 3])});
      i += 4;
    }
    alt.script = script_;
    out_.alternatives.push_back(std::move(alt));
    return 0;
  }
  // On a fresh system there is nothing to remove, list or query.
  if (action == "--remove" || action == "--remove-all" || action == "--auto" || action == "--refresh") return 0;
  if (action == "--list" || action == "--query" || action == "--display" || action == "--get-selections") return 2;
  throw Uninterpretable{fmt::format("update-alternatives {}", action)};
}

bool ScriptReader::fixed_exists(Account account, bool user) {
  bool fixed = user ? find_fixed_user(account.name) != nullptr : find_fixed_group(account.name) != nullptr;
  if (!fixed) return false;
  auto& seen = user ? users_ : groups_;
  if (seen.insert(account.name).second) {
    account.kind = user ? Account::Kind::user : Account::Kind::group;
    account.id.reset();
    account.create_home = false;
    account.script = script_;
    out_.accounts.push_back(std::move(account));
  }
  return true;
}

void ScriptReader::record_runtime_state(RuntimeState state) {
  if (std::find(out_.runtime_state.begin(), out_.runtime_state.end(), state) == out_.runtime_state.end()) {
    out_.runtime_state.push_back(std::move(state));
  }
}

void ScriptReader::add_user(Account account) {
  users_.insert(account.name);
  if (account.own_group) groups_.insert(account.name);
  account.script = script_;
  out_.accounts.push_back(std::move(account));
}

void ScriptReader::add_group(Account account) {
  groups_.insert(account.name);
  account.kind = Account::Kind::group;
  account.script = script_;
  out_.accounts.push_back(std::move(account));
}

std::optional<std::uint32_t> ScriptReader::id_argument(const std::string& text) const {
  auto n = to_integer(text);
  if (!n || *n < 0 || *n > 65535) throw Uninterpretable{fmt::format("the id {}", quote(text))};
  return static_cast<std::uint32_t>(*n);
}

int ScriptReader::adduser(const Args& raw) {
  Args a = split_long_options(raw);
  Account account;
  account.create_home = true;
  bool group_only = false;
  Args names;
  static const std::set<std::string, std::less<>> kIgnored = {"--quiet",
                                                              "-q",
                                                              "--disabled-password",
                                                              "--disabled-login",
                                                              "--force-badname",
                                                              "--allow-badname",
                                                              "--allow-bad-names",
                                                              "--allow-all-names",
                                                              "--debug",
                                                              "--add-extra-groups",
                                                              "--add_extra_groups",
                                                              "--encrypt-home",
                                                              "--verbose"};
  static const std::set<std::string, std::less<>> kIgnoredValued = {"--firstuid", "--lastuid", "--firstgid",
                                                                    "--lastgid",  "--conf",    "--key"};
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::string& o = a[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("adduser {} without a value", o)};
      return a[++i];
    };
    if (o == "--system") {
      account.system = true;
    } else if (o == "--group") {
      group_only = true;
    } else if (o == "--ingroup") {
      account.group = value();
    } else if (o == "--uid") {
      account.id = id_argument(value());
    } else if (o == "--gid") {
      std::string g = value();
      if (group_only) {
        account.id = id_argument(g);
      } else {
        account.group = g;
      }
    } else if (o == "--home") {
      account.home = value();
    } else if (o == "--no-create-home") {
      account.create_home = false;
    } else if (o == "--shell") {
      account.shell = value();
    } else if (o == "--gecos" || o == "--comment") {
      account.gecos = value();
    } else if (kIgnored.contains(o)) {
    } else if (kIgnoredValued.contains(o)) {
      value();
    } else if (o.starts_with("-")) {
      throw Uninterpretable{fmt::format("adduser option {}", o)};
    } else {
      names.push_back(o);
    }
  }
  if (names.size() == 2 && !group_only) {
    out_.memberships.push_back({names[0], names[1], script_});
    return 0;
  }
  if (names.size() != 1) throw Uninterpretable{"adduser with " + std::to_string(names.size()) + " names"};
  account.name = names[0];
  if (group_only && !account.system) {
    if (fixed_exists(account, false) || group_exists(account.name)) return 0;
    account.create_home = false;
    add_group(std::move(account));
    return 0;
  }
  // adduser 3.134: a system user's home is /nonexistent unless given, and
  // /nonexistent is never made; anyone else's is /home/USER.
  if (account.home.empty()) account.home = account.system ? "/nonexistent" : "/home/" + account.name;
  if (account.home == "/nonexistent") account.create_home = false;
  if (fixed_exists(account, true) || user_exists(account.name)) return 0;
  account.own_group = group_only;
  add_user(std::move(account));
  return 0;
}

int ScriptReader::addgroup(const Args& raw) {
  Args a = split_long_options(raw);
  Account account;
  Args names;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::string& o = a[i];
    if (o == "--system") {
      account.system = true;
    } else if (o == "--gid") {
      if (i + 1 >= a.size()) throw Uninterpretable{"addgroup --gid without a value"};
      account.id = id_argument(a[++i]);
    } else if (o == "--quiet" || o == "-q" || o == "--force-badname" || o == "--allow-badname" ||
               o == "--allow-bad-names" || o == "--debug") {
    } else if (o.starts_with("-")) {
      throw Uninterpretable{fmt::format("addgroup option {}", o)};
    } else {
      names.push_back(o);
    }
  }
  if (names.size() == 2) {
    out_.memberships.push_back({names[0], names[1], script_});
    return 0;
  }
  if (names.size() != 1) throw Uninterpretable{"addgroup with " + std::to_string(names.size()) + " names"};
  account.name = names[0];
  if (fixed_exists(account, false) || group_exists(account.name)) return 0;
  add_group(std::move(account));
  return 0;
}

int ScriptReader::useradd(const Args& raw) {
  Args a = split_long_options(raw);
  Account account;
  account.own_group = true;  // Debian's login.defs: USERGROUPS_ENAB yes
  std::vector<std::string> extra_groups;
  Args names;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::string& o = a[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("useradd {} without a value", o)};
      return a[++i];
    };
    if (o == "-r" || o == "--system") {
      account.system = true;
    } else if (o == "-d" || o == "--home-dir" || o == "--home") {
      account.home = value();
    } else if (o == "-s" || o == "--shell") {
      account.shell = value();
    } else if (o == "-c" || o == "--comment") {
      account.gecos = value();
    } else if (o == "-u" || o == "--uid") {
      account.id = id_argument(value());
    } else if (o == "-g" || o == "--gid") {
      account.group = value();
      account.own_group = false;
    } else if (o == "-G" || o == "--groups") {
      std::string list = value();
      for (std::size_t p = 0; p <= list.size();) {
        auto end = std::min(list.find(',', p), list.size());
        if (end > p) extra_groups.push_back(list.substr(p, end - p));
        p = end + 1;
      }
    } else if (o == "-N" || o == "--no-user-group") {
      account.own_group = false;
    } else if (o == "-U" || o == "--user-group") {
      account.own_group = true;
    } else if (o == "-m" || o == "--create-home") {
      account.create_home = true;
    } else if (o == "-M" || o == "--no-create-home") {
      account.create_home = false;
    } else if (o == "-o" || o == "--non-unique" || o == "-l" || o == "--no-log-init") {
    } else if (o == "-K" || o == "--key" || o == "-p" || o == "--password" || o == "-e" || o == "-f" || o == "-k" ||
               o == "-b" || o == "--base-dir" || o == "--skel") {
      value();
    } else if (o.starts_with("-")) {
      throw Uninterpretable{fmt::format("useradd option {}", o)};
    } else {
      names.push_back(o);
    }
  }
  if (names.size() != 1) throw Uninterpretable{"useradd with " + std::to_string(names.size()) + " names"};
  account.name = names[0];
  if (account.home.empty()) account.home = "/home/" + account.name;  // /etc/default/useradd: HOME=/home
  if (account.shell.empty()) account.shell = "/bin/sh";              // and SHELL=/bin/sh
  if (fixed_exists(account, true) || user_exists(account.name)) return 9;
  for (const auto& g : extra_groups) out_.memberships.push_back({account.name, g, script_});
  add_user(std::move(account));
  return 0;
}

int ScriptReader::groupadd(const Args& raw) {
  Args a = split_long_options(raw);
  Account account;
  Args names;
  bool force = false;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::string& o = a[i];
    if (o == "-r" || o == "--system") {
      account.system = true;
    } else if (o == "-f" || o == "--force") {
      force = true;
    } else if (o == "-g" || o == "--gid") {
      if (i + 1 >= a.size()) throw Uninterpretable{"groupadd -g without a value"};
      account.id = id_argument(a[++i]);
    } else if (o == "-o" || o == "--non-unique") {
    } else if (o == "-K" || o == "--key" || o == "-p" || o == "--password") {
      ++i;
    } else if (o.starts_with("-")) {
      throw Uninterpretable{fmt::format("groupadd option {}", o)};
    } else {
      names.push_back(o);
    }
  }
  if (names.size() != 1) throw Uninterpretable{"groupadd with " + std::to_string(names.size()) + " names"};
  account.name = names[0];
  if (fixed_exists(account, false) || group_exists(account.name)) return force ? 0 : 9;
  add_group(std::move(account));
  return 0;
}

int ScriptReader::usermod(const Args& a) {
  bool append = false;
  std::string groups;
  std::string user;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "-a" || a[i] == "--append") {
      append = true;
    } else if (a[i] == "-aG" && i + 1 < a.size()) {
      append = true;
      groups = a[++i];
    } else if ((a[i] == "-G" || a[i] == "--groups") && i + 1 < a.size()) {
      groups = a[++i];
    } else if (!a[i].starts_with("-")) {
      user = a[i];
    } else {
      throw Uninterpretable{fmt::format("usermod option {}", a[i])};
    }
  }
  if (!append || groups.empty() || user.empty()) throw Uninterpretable{"usermod other than -a -G GROUPS USER"};
  for (std::size_t p = 0; p <= groups.size();) {
    auto end = std::min(groups.find(',', p), groups.size());
    if (end > p) out_.memberships.push_back({user, groups.substr(p, end - p), script_});
    p = end + 1;
  }
  return 0;
}

int ScriptReader::gpasswd(const Args& a) {
  if (a.size() == 4 && (a[1] == "-a" || a[1] == "--add")) {
    out_.memberships.push_back({a[2], a[3], script_});
    return 0;
  }
  throw Uninterpretable{"gpasswd other than -a USER GROUP"};
}

int ScriptReader::dpkg_divert(const Args& raw) {
  Args a = split_long_options(raw);
  Diversion d;
  d.package = package_;  // dpkg-divert's default in a maintainer script: $DPKG_MAINTSCRIPT_PACKAGE
  std::string action = "--add";
  std::string file;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::string& o = a[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("dpkg-divert {} without a value", o)};
      return a[++i];
    };
    if (o == "--package") {
      d.package = value();
    } else if (o == "--local") {
      d.package.clear();
    } else if (o == "--divert") {
      d.divert_to = value();
    } else if (o == "--rename") {
      d.rename = true;
    } else if (o == "--no-rename") {
      d.rename = false;
    } else if (o == "--quiet" || o == "--test") {
    } else if (o == "--admindir" || o == "--instdir" || o == "--root") {
      value();
    } else if (o == "--add" || o == "--remove" || o == "--list" || o == "--listpackage" || o == "--truename") {
      action = o;
    } else if (o.starts_with("-")) {
      throw Uninterpretable{fmt::format("dpkg-divert option {}", o)};
    } else {
      file = o;
    }
  }
  std::string path = file.empty() ? std::string() : absolute(file);
  auto known = diverted_.find(path);
  if (action == "--list") return 0;
  if (action == "--listpackage") {
    if (known != diverted_.end()) emit((known->second.package.empty() ? "LOCAL" : known->second.package) + "\n");
    return 0;
  }
  if (action == "--truename") {
    emit((known != diverted_.end() ? known->second.divert_to : path) + "\n");
    return 0;
  }
  if (action == "--remove") {
    if (known != diverted_.end()) {
      std::erase_if(out_.diversions, [&](const Diversion& x) { return x.path == path; });
      diverted_.erase(known);
    }
    return 0;
  }
  if (file.empty()) throw Uninterpretable{"dpkg-divert --add without a file"};
  d.path = path;
  d.divert_to = d.divert_to.empty() ? d.path + ".distrib" : absolute(d.divert_to);
  d.script = script_;
  diverted_[path] = d;
  out_.diversions.push_back(std::move(d));
  return 0;
}

int ScriptReader::dpkg_statoverride(const Args& a) {
  std::size_t i = 1;
  bool add = false;
  bool list = false;
  for (; i < a.size() && a[i].starts_with("--"); ++i) {
    if (a[i] == "--add") add = true;
    if (a[i] == "--list") list = true;
    if (a[i] == "--remove") return 0;
  }
  if (list) return 1;  // no overrides on a fresh system
  if (!add || i + 4 != a.size()) throw Uninterpretable{"dpkg-statoverride other than --list, --remove or --add"};
  out_.attributes.push_back({absolute(a[i + 3]), a[i], a[i + 1], a[i + 2], false, "dpkg-statoverride", script_});
  return 0;
}

int ScriptReader::dpkg(const Args& a) {
  if (a.size() >= 2 && a[1] == "--print-architecture") {
    emit(std::string(arch_) + "\n");
    return 0;
  }
  if (a.size() >= 2 && a[1].starts_with("--assert-")) return 0;
  if (a.size() == 5 && a[1] == "--compare-versions") return compare_versions(a[2], a[3], a[4]) ? 0 : 1;
  if (a.size() >= 2 && (a[1] == "-l" || a[1] == "-s" || a[1] == "--status" || a[1] == "-L" || a[1] == "-S")) {
    return 1;
  }
  throw Uninterpretable{describe_command(a)};
}

bool ScriptReader::compare_versions(const std::string& left, const std::string& op, const std::string& right) {
  bool nl = op.ends_with("-nl");
  std::string base = nl ? op.substr(0, op.size() - 3) : op;
  int order = 0;
  if (left.empty() || right.empty()) {
    // dpkg: an empty version is earlier than any other, or later with -nl.
    order = left.empty() == right.empty() ? 0 : left.empty() ? -1 : 1;
    if (nl) order = -order;
  } else {
    auto l = Version::try_parse(left);
    auto r = Version::try_parse(right);
    if (!l || !r) throw Uninterpretable{fmt::format("dpkg --compare-versions {} {} {}", left, op, right)};
    auto c = *l <=> *r;
    order = c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (base == "lt" || base == "<<") return order < 0;
  if (base == "le" || base == "<=" || base == "<") return order <= 0;
  if (base == "eq" || base == "=") return order == 0;
  if (base == "ne") return order != 0;
  if (base == "ge" || base == ">=" || base == ">") return order >= 0;
  if (base == "gt" || base == ">>") return order > 0;
  throw Uninterpretable{fmt::format("dpkg --compare-versions operator {}", op)};
}

int ScriptReader::debconf(const Args& a) {
  if (a[0] == "db_get" || a[0] == "db_metaget") vars_["RET"] = "";
  return 0;
}

int ScriptReader::deb_systemd_helper(const Args& a) {
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "debian-installed") return 1;
  }
  return 0;
}

}  // namespace sheaf::deb::reader
