#include "deb/script_effects.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace sheaf::deb {

bool ScriptEffects::empty() const {
  return alternatives.empty() && accounts.empty() && memberships.empty() && attributes.empty() && created.empty() &&
         diversions.empty() && runtime_state.empty() && uninterpreted.empty();
}

namespace {

using nlohmann::json;

std::string text(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_boolean() && it->get<bool>();
}

void put(json& doc, const char* key, const std::string& value) {
  if (!value.empty()) doc[key] = value;
}

template <typename T, typename F>
void put_list(json& doc, const char* key, const std::vector<T>& items, F&& render) {
  if (items.empty()) return;
  json list = json::array();
  for (const auto& item : items) list.push_back(render(item));
  doc[key] = std::move(list);
}

template <typename T, typename F>
std::vector<T> read_list(const json& doc, const char* key, F&& read) {
  std::vector<T> out;
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_object()) out.push_back(read(item));
  }
  return out;
}

json link_json(const AlternativeLink& l) { return {{"link", l.link}, {"name", l.name}, {"path", l.path}}; }
AlternativeLink read_link(const json& j) { return {text(j, "link"), text(j, "name"), text(j, "path")}; }

constexpr const char* kCreatedKinds[] = {"dir", "file", "symlink", "copy"};

}  // namespace

json effects_to_json(const ScriptEffects& e) {
  json doc = json::object();
  put_list(doc, "alternatives", e.alternatives, [](const AlternativeInstall& a) {
    json j = link_json(a.master);
    j["priority"] = a.priority;
    put_list(j, "slaves", a.slaves, link_json);
    j["script"] = a.script;
    return j;
  });
  put_list(doc, "accounts", e.accounts, [](const Account& a) {
    json j = {{"type", a.kind == Account::Kind::user ? "user" : "group"}, {"name", a.name}, {"script", a.script}};
    if (a.system) j["system"] = true;
    if (a.id) j["id"] = *a.id;
    put(j, "group", a.group);
    if (a.own_group) j["own_group"] = true;
    put(j, "home", a.home);
    put(j, "shell", a.shell);
    put(j, "gecos", a.gecos);
    if (a.create_home) j["create_home"] = true;
    return j;
  });
  put_list(doc, "memberships", e.memberships, [](const Membership& m) {
    return json{{"user", m.user}, {"group", m.group}, {"script", m.script}};
  });
  put_list(doc, "attributes", e.attributes, [](const PathAttributes& a) {
    json j = {{"path", a.path}, {"via", a.via}, {"script", a.script}};
    put(j, "owner", a.owner);
    put(j, "group", a.group);
    put(j, "mode", a.mode);
    if (a.recursive) j["recursive"] = true;
    return j;
  });
  put_list(doc, "created", e.created, [](const CreatedPath& c) {
    json j = {{"type", kCreatedKinds[static_cast<int>(c.kind)]}, {"path", c.path}, {"script", c.script}};
    put(j, "source", c.source);
    put(j, "mode", c.mode);
    put(j, "content", c.content);
    return j;
  });
  put_list(doc, "diversions", e.diversions, [](const Diversion& d) {
    json j = {{"path", d.path}, {"to", d.divert_to}, {"rename", d.rename}, {"script", d.script}};
    put(j, "package", d.package);
    return j;
  });
  put_list(doc, "runtime_state", e.runtime_state, [](const RuntimeState& r) {
    return json{{"what", r.what}, {"command", r.command}, {"script", r.script}};
  });
  put_list(doc, "uninterpreted", e.uninterpreted, [](const Uninterpreted& u) {
    return json{{"script", u.script}, {"line", u.line}, {"what", u.what}};
  });
  return doc;
}

ScriptEffects effects_from_json(const json& doc) {
  ScriptEffects e;
  if (!doc.is_object()) return e;
  e.alternatives = read_list<AlternativeInstall>(doc, "alternatives", [](const json& j) {
    AlternativeInstall a;
    a.master = read_link(j);
    if (auto p = j.find("priority"); p != j.end() && p->is_number_integer()) a.priority = p->get<std::int64_t>();
    a.slaves = read_list<AlternativeLink>(j, "slaves", read_link);
    a.script = text(j, "script");
    return a;
  });
  e.accounts = read_list<Account>(doc, "accounts", [](const json& j) {
    Account a;
    a.kind = text(j, "type") == "group" ? Account::Kind::group : Account::Kind::user;
    a.name = text(j, "name");
    a.system = flag(j, "system");
    if (auto id = j.find("id"); id != j.end() && id->is_number_unsigned() && id->get<std::uint64_t>() <= 65535) {
      a.id = id->get<std::uint32_t>();
    }
    a.group = text(j, "group");
    a.own_group = flag(j, "own_group");
    a.home = text(j, "home");
    a.shell = text(j, "shell");
    a.gecos = text(j, "gecos");
    a.create_home = flag(j, "create_home");
    a.script = text(j, "script");
    return a;
  });
  e.memberships = read_list<Membership>(doc, "memberships", [](const json& j) {
    return Membership{text(j, "user"), text(j, "group"), text(j, "script")};
  });
  e.attributes = read_list<PathAttributes>(doc, "attributes", [](const json& j) {
    return PathAttributes{text(j, "path"), text(j, "owner"), text(j, "group"), text(j, "mode"),
                          flag(j, "recursive"), text(j, "via"), text(j, "script")};
  });
  e.created = read_list<CreatedPath>(doc, "created", [](const json& j) {
    CreatedPath c;
    std::string type = text(j, "type");
    for (int k = 0; k < 4; ++k) {
      if (type == kCreatedKinds[k]) c.kind = static_cast<CreatedPath::Kind>(k);
    }
    c.path = text(j, "path");
    c.source = text(j, "source");
    c.mode = text(j, "mode");
    c.content = text(j, "content");
    c.script = text(j, "script");
    return c;
  });
  e.diversions = read_list<Diversion>(doc, "diversions", [](const json& j) {
    return Diversion{text(j, "path"), text(j, "to"), text(j, "package"), flag(j, "rename"), text(j, "script")};
  });
  e.runtime_state = read_list<RuntimeState>(doc, "runtime_state", [](const json& j) {
    return RuntimeState{text(j, "what"), text(j, "command"), text(j, "script")};
  });
  e.uninterpreted = read_list<Uninterpreted>(doc, "uninterpreted", [](const json& j) {
    Uninterpreted u{text(j, "script"), 0, text(j, "what")};
    if (auto l = j.find("line"); l != j.end() && l->is_number_integer()) u.line = l->get<int>();
    return u;
  });
  return e;
}

std::vector<std::string> describe_effects(const ScriptEffects& e) {
  std::vector<std::string> out;
  for (const auto& a : e.alternatives) {
    std::string line = fmt::format("alternative {}: {} -> {}, priority {}", a.master.name, a.master.link,
                                   a.master.path, a.priority);
    for (const auto& s : a.slaves) line += fmt::format("; slave {}: {} -> {}", s.name, s.link, s.path);
    out.push_back(line + fmt::format(" ({})", a.script));
  }
  for (const auto& a : e.accounts) {
    std::vector<std::string> traits;
    if (a.system) traits.emplace_back("system");
    if (a.id) traits.push_back(fmt::format("id {}", *a.id));
    if (a.own_group) traits.emplace_back("own group");
    if (!a.group.empty()) traits.push_back("group " + a.group);
    if (!a.home.empty()) traits.push_back("home " + a.home + (a.create_home ? " (made)" : ""));
    if (!a.shell.empty()) traits.push_back("shell " + a.shell);
    out.push_back(fmt::format("{} {}{}{} ({})", a.kind == Account::Kind::user ? "user" : "group", a.name,
                              traits.empty() ? "" : ": ", fmt::join(traits, ", "), a.script));
  }
  for (const auto& m : e.memberships) out.push_back(fmt::format("member: {} in group {} ({})", m.user, m.group, m.script));
  for (const auto& a : e.attributes) {
    std::vector<std::string> what;
    if (!a.owner.empty() || !a.group.empty()) what.push_back(fmt::format("owner {}:{}", a.owner, a.group));
    if (!a.mode.empty()) what.push_back("mode " + a.mode);
    out.push_back(fmt::format("{} {}{}: {} ({})", a.via, a.path, a.recursive ? " (recursive)" : "", fmt::join(what, ", "),
                              a.script));
  }
  for (const auto& c : e.created) {
    static constexpr const char* kKinds[] = {"directory", "file", "symlink", "copy"};
    std::string line = fmt::format("makes {} {}", kKinds[static_cast<int>(c.kind)], c.path);
    if (c.kind == CreatedPath::Kind::file) line += fmt::format(" ({} bytes)", c.content.size());
    if (c.kind == CreatedPath::Kind::symlink) line += " -> " + c.source;
    if (c.kind == CreatedPath::Kind::copy) line += " of " + c.source;
    if (!c.mode.empty()) line += ", mode " + c.mode;
    out.push_back(line + fmt::format(" ({})", c.script));
  }
  for (const auto& d : e.diversions) {
    out.push_back(fmt::format("diverts {} to {}{} ({})", d.path, d.divert_to, d.rename ? ", renaming" : "", d.script));
  }
  for (const auto& r : e.runtime_state) {
    out.push_back(fmt::format("left to run time: {} ({}, {})", r.what, r.command, r.script));
  }
  for (const auto& u : e.uninterpreted) {
    out.push_back(u.line > 0 ? fmt::format("not interpreted: {} line {}: {}", u.script, u.line, u.what)
                             : fmt::format("not interpreted: {}: {}", u.script, u.what));
  }
  return out;
}

// base-passwd 3.6.1 (bookworm): usr/share/base-passwd/passwd.master and
// group.master, which its preinst copies to /etc on a new system.
const std::vector<FixedAccount>& fixed_users() {
  static const std::vector<FixedAccount> kUsers = {
      {"root", 0, 0, "root", "/root", "/bin/bash"},
      {"daemon", 1, 1, "daemon", "/usr/sbin", "/usr/sbin/nologin"},
      {"bin", 2, 2, "bin", "/bin", "/usr/sbin/nologin"},
      {"sys", 3, 3, "sys", "/dev", "/usr/sbin/nologin"},
      {"sync", 4, 65534, "sync", "/bin", "/bin/sync"},
      {"games", 5, 60, "games", "/usr/games", "/usr/sbin/nologin"},
      {"man", 6, 12, "man", "/var/cache/man", "/usr/sbin/nologin"},
      {"lp", 7, 7, "lp", "/var/spool/lpd", "/usr/sbin/nologin"},
      {"mail", 8, 8, "mail", "/var/mail", "/usr/sbin/nologin"},
      {"news", 9, 9, "news", "/var/spool/news", "/usr/sbin/nologin"},
      {"uucp", 10, 10, "uucp", "/var/spool/uucp", "/usr/sbin/nologin"},
      {"proxy", 13, 13, "proxy", "/bin", "/usr/sbin/nologin"},
      {"www-data", 33, 33, "www-data", "/var/www", "/usr/sbin/nologin"},
      {"backup", 34, 34, "backup", "/var/backups", "/usr/sbin/nologin"},
      {"list", 38, 38, "Mailing List Manager", "/var/list", "/usr/sbin/nologin"},
      {"irc", 39, 39, "ircd", "/run/ircd", "/usr/sbin/nologin"},
      {"_apt", 42, 65534, "", "/nonexistent", "/usr/sbin/nologin"},
      {"nobody", 65534, 65534, "nobody", "/nonexistent", "/usr/sbin/nologin"},
  };
  return kUsers;
}

const std::vector<FixedAccount>& fixed_groups() {
  static const std::vector<FixedAccount> kGroups = [] {
    std::vector<FixedAccount> groups;
    for (auto [name, id] : std::initializer_list<std::pair<std::string_view, std::uint32_t>>{
             {"root", 0},     {"daemon", 1},  {"bin", 2},      {"sys", 3},     {"adm", 4},      {"tty", 5},
             {"disk", 6},     {"lp", 7},      {"mail", 8},     {"news", 9},    {"uucp", 10},    {"man", 12},
             {"proxy", 13},   {"kmem", 15},   {"dialout", 20}, {"fax", 21},    {"voice", 22},   {"cdrom", 24},
             {"floppy", 25},  {"tape", 26},   {"sudo", 27},    {"audio", 29},  {"dip", 30},     {"www-data", 33},
             {"backup", 34},  {"operator", 37}, {"list", 38},  {"irc", 39},    {"src", 40},     {"shadow", 42},
             {"utmp", 43},    {"video", 44},  {"sasl", 45},    {"plugdev", 46}, {"staff", 50},  {"games", 60},
             {"users", 100},  {"nogroup", 65534}}) {
      groups.push_back({name, id, id, "", "", ""});
    }
    return groups;
  }();
  return kGroups;
}

namespace {
const FixedAccount* find_in(const std::vector<FixedAccount>& accounts, std::string_view name) {
  auto it = std::find_if(accounts.begin(), accounts.end(), [&](const FixedAccount& a) { return a.name == name; });
  return it == accounts.end() ? nullptr : &*it;
}
}  // namespace

const FixedAccount* find_fixed_user(std::string_view name) { return find_in(fixed_users(), name); }
const FixedAccount* find_fixed_group(std::string_view name) { return find_in(fixed_groups(), name); }

}  // namespace sheaf::deb
