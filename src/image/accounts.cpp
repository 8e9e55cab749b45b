#include "image/accounts.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>

#include "base/digest.hpp"
#include "base/error.hpp"

namespace sheaf::image {

namespace {

constexpr std::uint32_t kNobody = 65534;

struct Range {
  std::uint32_t first;
  std::uint32_t last;
};
constexpr Range kSystemRange{100, 999};   // adduser.conf: FIRST_SYSTEM_UID..LAST_SYSTEM_UID
constexpr Range kNormalRange{1000, 59999};  // FIRST_UID..LAST_UID
constexpr unsigned kMaxRounds = 1000;

// What the members' scripts ask for one account, merged across packages.
struct Wanted {
  deb::Account account;
  std::string from;  // the first package's label
  bool spec = false;  // overridden by [[users]]/[[groups]]
};

AccountEntry fixed_entry(const deb::FixedAccount& f, bool user) {
  AccountEntry e;
  e.name = std::string(f.name);
  e.id = f.id;
  e.gid = f.gid;
  if (user) {
    e.gecos = std::string(f.gecos);
    e.home = std::string(f.home);
    e.shell = std::string(f.shell);
  }
  e.origin = AccountEntry::Origin::fixed;
  return e;
}

template <typename Map>
const AccountEntry* find_id(const Map& accounts, std::uint32_t id) {
  for (const auto& [name, a] : accounts) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

std::string render(const std::map<std::string, AccountEntry, std::less<>>& accounts,
                   const std::function<std::string(const AccountEntry&)>& line) {
  std::vector<const AccountEntry*> sorted;
  for (const auto& [name, a] : accounts) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(),
            [](const AccountEntry* a, const AccountEntry* b) { return std::tie(a->id, a->name) < std::tie(b->id, b->name); });
  std::string out;
  for (const auto* a : sorted) out += line(*a) + "\n";
  return out;
}

}  // namespace

const AccountEntry* AccountTable::user(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}
const AccountEntry* AccountTable::group(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}
const AccountEntry* AccountTable::user_with_id(std::uint32_t id) const { return find_id(users_, id); }
const AccountEntry* AccountTable::group_with_id(std::uint32_t id) const { return find_id(groups_, id); }

std::string AccountTable::passwd() const {
  return render(users_, [](const AccountEntry& u) {
    return fmt::format("{}:x:{}:{}:{}:{}:{}", u.name, u.id, u.gid, u.gecos, u.home, u.shell);
  });
}
std::string AccountTable::group_file() const {
  return render(groups_, [](const AccountEntry& g) { return fmt::format("{}:x:{}:{}", g.name, g.id, fmt::join(g.members, ",")); });
}
std::string AccountTable::shadow() const {
  return render(users_, [](const AccountEntry& u) { return fmt::format("{}:*:::::::", u.name); });
}
std::string AccountTable::gshadow() const {
  return render(groups_, [](const AccountEntry& g) { return fmt::format("{}:*::{}", g.name, fmt::join(g.members, ",")); });
}

std::uint32_t account_id_candidate(std::string_view name, std::uint32_t first, std::uint32_t last, unsigned round) {
  Digest d = Digest::of(fmt::format("sheaf-account-id:{}:{}", name, round));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | d.bytes()[static_cast<std::size_t>(i)];
  return first + static_cast<std::uint32_t>(v % (std::uint64_t{last} - first + 1));
}

AccountTable make_accounts(const spec::Spec& spec, const std::vector<MemberEffects>& members, const ImageTree& tree,
                           std::vector<std::string>& notes, bool shadow) {
  AccountTable t;
  auto& users = t.users_;
  auto& groups = t.groups_;
  users["root"] = {"root", 0, 0, "root", "/root", "/bin/sh", AccountEntry::Origin::builtin};
  users["nobody"] = {"nobody", kNobody, kNobody, "nobody", "/nonexistent", "/usr/sbin/nologin",
                     AccountEntry::Origin::builtin};
  groups["root"] = {"root", 0, 0, "", "", "", AccountEntry::Origin::builtin};
  groups["nogroup"] = {"nogroup", kNobody, kNobody, "", "", "", AccountEntry::Origin::builtin};

  // 1. What the scripts ask for, merged by name in member order.
  std::map<std::string, Wanted, std::less<>> wanted_users, wanted_groups;
  std::set<std::string, std::less<>> named_users, named_groups;  // referenced by some effect
  std::vector<std::pair<deb::Membership, std::string>> memberships;
  if (shadow) named_groups.insert("shadow");
  bool all_fixed = false;
  for (const auto& m : members) {
    all_fixed |= m.name == "base-passwd";
    if (m.effects == nullptr) continue;
    for (const auto& a : m.effects->accounts) {
      if (!spec::is_account_name(a.name)) {
        notes.push_back(fmt::format("{} ({}) adds the account {}, a name [[users]] would refuse; it was left out",
                                    m.label, a.script, quote(a.name)));
        continue;
      }
      auto& table = a.kind == deb::Account::Kind::user ? wanted_users : wanted_groups;
      auto [it, fresh] = table.try_emplace(a.name, Wanted{a, m.label});
      if (fresh) continue;
      deb::Account& have = it->second.account;
      if (a.id && have.id && *a.id != *have.id) {
        fail("{} and {} ask for the {} {} with different ids ({} and {}); give it one with [[{}]] in the spec",
             it->second.from, m.label, a.kind == deb::Account::Kind::user ? "user" : "group", quote(a.name), *have.id,
             *a.id, a.kind == deb::Account::Kind::user ? "users" : "groups");
      }
      if (a.id && !have.id) have.id = a.id;
      have.own_group |= a.own_group;
      have.create_home |= a.create_home;
    }
    for (const auto& a : m.effects->attributes) {
      if (!a.owner.empty()) named_users.insert(a.owner);
      if (!a.group.empty()) named_groups.insert(a.group);
    }
    for (const auto& ms : m.effects->memberships) {
      named_users.insert(ms.user);
      named_groups.insert(ms.group);
      memberships.emplace_back(ms, m.label);
    }
  }
  for (const auto& [name, w] : wanted_users) {
    if (!w.account.group.empty()) named_groups.insert(w.account.group);
    if (w.account.own_group && !wanted_groups.contains(name)) {
      deb::Account g = w.account;
      g.kind = deb::Account::Kind::group;
      wanted_groups.emplace(name, Wanted{g, w.from});
    }
  }

  // 2. Debian's fixed accounts: every one with base-passwd, else those named,
  //    asked for by name, or owning a member's file.
  std::set<std::uint32_t> owner_uids, owner_gids;
  for (const auto& [path, claim] : tree.claims()) {
    if (claim.entry->uid != 0) owner_uids.insert(claim.entry->uid);
    if (claim.entry->gid != 0) owner_gids.insert(claim.entry->gid);
  }
  std::set<std::uint32_t> spec_gids;
  for (const auto& u : spec.users) spec_gids.insert(u.gid);
  auto add_fixed_group = [&](const deb::FixedAccount& f) { groups.try_emplace(std::string(f.name), fixed_entry(f, false)); };
  for (const auto& f : deb::fixed_users()) {
    if (users.contains(f.name)) continue;
    if (all_fixed || named_users.contains(f.name) || wanted_users.contains(f.name) || owner_uids.contains(f.id)) {
      users.emplace(std::string(f.name), fixed_entry(f, true));
    }
  }
  for (const auto& f : deb::fixed_groups()) {
    if (groups.contains(f.name)) continue;
    if (all_fixed || named_groups.contains(f.name) || wanted_groups.contains(f.name) || owner_gids.contains(f.id) ||
        spec_gids.contains(f.id)) {
      add_fixed_group(f);
    }
  }
  // A fixed user's primary group comes with it.
  for (const auto& [name, u] : users) {
    if (u.origin != AccountEntry::Origin::fixed) continue;
    for (const auto& f : deb::fixed_groups()) {
      if (f.id == u.gid) add_fixed_group(f);
    }
  }
  for (auto it = wanted_users.begin(); it != wanted_users.end();) {
    it = deb::find_fixed_user(it->first) || users.contains(it->first) ? wanted_users.erase(it) : std::next(it);
  }
  for (auto it = wanted_groups.begin(); it != wanted_groups.end();) {
    it = deb::find_fixed_group(it->first) || groups.contains(it->first) ? wanted_groups.erase(it) : std::next(it);
  }

  // 3. The spec's accounts override fixed and derived ones of the same name.
  std::map<std::uint32_t, const spec::User*> spec_uids;
  std::map<std::uint32_t, const spec::Group*> spec_gid_owners;
  for (const auto& g : spec.groups) {
    groups.erase(g.name);
    wanted_groups.erase(g.name);
    AccountEntry e{g.name, g.gid, g.gid, "", "", "", AccountEntry::Origin::spec};
    groups[g.name] = e;
    spec_gid_owners[g.gid] = &g;
  }
  for (const auto& u : spec.users) {
    users.erase(u.name);
    wanted_users.erase(u.name);
    users[u.name] = {u.name, u.uid, u.gid, "", u.home, u.shell, AccountEntry::Origin::spec};
    spec_uids[u.uid] = &u;
    // A user whose gid names no group gets a group of its own name.
    bool has_group = std::any_of(groups.begin(), groups.end(), [&](const auto& g) { return g.second.id == u.gid; });
    if (!has_group) {
      groups.erase(u.name);
      wanted_groups.erase(u.name);
      groups[u.name] = {u.name, u.gid, u.gid, "", "", "", AccountEntry::Origin::spec};
    }
  }
  // Two fixed or spec accounts on one id: the spec's wins, as it would in
  // /etc/passwd edited by hand; a fixed one that a spec account displaces
  // by id leaves.
  auto drop_displaced = [](auto& accounts) {
    std::map<std::uint32_t, std::string> by_id;
    for (const auto& [name, a] : accounts) {
      if (a.origin == AccountEntry::Origin::spec) by_id[a.id] = name;
    }
    for (auto it = accounts.begin(); it != accounts.end();) {
      auto owner = by_id.find(it->second.id);
      bool displaced = it->second.origin == AccountEntry::Origin::fixed && owner != by_id.end() && owner->second != it->first;
      it = displaced ? accounts.erase(it) : std::next(it);
    }
  };
  drop_displaced(users);
  drop_displaced(groups);

  // 4. Number the derived accounts: ids asked for first, then by name.
  auto place = [&](std::map<std::string, Wanted, std::less<>>& wanted, std::map<std::string, AccountEntry, std::less<>>& table,
                   bool user) {
    const char* kind = user ? "user" : "group";
    std::set<std::uint32_t> taken;
    for (const auto& f : user ? deb::fixed_users() : deb::fixed_groups()) taken.insert(f.id);
    for (const auto& [name, a] : table) taken.insert(a.id);
    auto spec_name_of = [&](std::uint32_t id) -> std::string {
      if (user) {
        auto it = spec_uids.find(id);
        return it == spec_uids.end() ? "" : it->second->name;
      }
      auto it = spec_gid_owners.find(id);
      return it == spec_gid_owners.end() ? "" : it->second->name;
    };
    std::vector<std::pair<const std::string*, Wanted*>> order;
    for (auto& [name, w] : wanted) order.emplace_back(&name, &w);
    std::stable_partition(order.begin(), order.end(), [](const auto& p) { return p.second->account.id.has_value(); });
    for (auto& [name, w] : order) {
      const deb::Account& a = w->account;
      std::uint32_t id = 0;
      if (a.id) {
        id = *a.id;
        if (taken.contains(id)) {
          const AccountEntry* other = find_id(table, id);
          fail("{} ({}) asks for the {} {} with id {}, which {} holds", w->from, a.script, kind, quote(*name), id,
               other ? quote(other->name) : std::string("a fixed Debian account"));
        }
      } else {
        Range r = a.system ? kSystemRange : kNormalRange;
        unsigned round = 0;
        for (;; ++round) {
          if (round == kMaxRounds) fail("no free id for the {} {} in [{}, {}]", kind, quote(*name), r.first, r.last);
          id = account_id_candidate(*name, r.first, r.last, round);
          std::string spec_name = spec_name_of(id);
          if (!spec_name.empty() && round == 0) {
            fail("the spec's {} {} has id {}, which sheaf gives the {} {} that {} adds; choose another id for {}, or "
                 "give {} one with [[{}s]]",
                 kind, quote(spec_name), id, kind, quote(*name), w->from, quote(spec_name), quote(*name), kind);
          }
          if (!taken.contains(id) && spec_name.empty()) break;
        }
        if (round > 0) {
          notes.push_back(fmt::format("{} {}: id {} after {} collision(s) with other accounts' ids", kind, *name, id, round));
        }
      }
      taken.insert(id);
      AccountEntry e;
      e.name = *name;
      e.id = id;
      e.gid = id;
      e.origin = AccountEntry::Origin::derived;
      e.from = w->from;
      e.system = a.system;
      if (user) {
        e.gecos = a.gecos;
        e.home = a.home.empty() ? (a.system ? "/nonexistent" : "/home/" + a.name) : a.home;
        e.shell = !a.shell.empty() ? a.shell : a.system ? "/usr/sbin/nologin" : "/bin/bash";
        e.create_home = a.create_home;
      }
      table[*name] = std::move(e);
    }
  };
  place(wanted_groups, groups, false);
  place(wanted_users, users, true);

  // 5. Primary groups of derived users, and memberships.
  for (auto& [name, u] : users) {
    if (u.origin != AccountEntry::Origin::derived) continue;
    // Find what the scripts asked.
    const deb::Account* asked = nullptr;
    for (const auto& m : members) {
      if (m.effects == nullptr || asked) continue;
      for (const auto& a : m.effects->accounts) {
        if (a.kind == deb::Account::Kind::user && a.name == name) {
          asked = &a;
          break;
        }
      }
    }
    u.gid = kNobody;  // adduser --system's default: nogroup
    if (asked == nullptr) continue;
    std::string group_name = asked->own_group ? name : asked->group;
    if (group_name.empty() && !asked->system) group_name = name;  // USERGROUPS=yes
    if (group_name.empty()) continue;
    if (auto id = [&]() -> std::optional<std::uint32_t> {
          std::uint32_t n = 0;
          auto [end, ec] = std::from_chars(group_name.data(), group_name.data() + group_name.size(), n);
          if (ec == std::errc() && end == group_name.data() + group_name.size()) return n;
          return std::nullopt;
        }()) {
      u.gid = *id;
    } else if (const AccountEntry* g = t.group(group_name)) {
      u.gid = g->id;
    } else {
      notes.push_back(fmt::format("user {} of {} names the group {}, which no package or spec entry makes; its group is "
                                  "nogroup",
                                  name, u.from, quote(group_name)));
    }
  }
  for (const auto& [m, from] : memberships) {
    auto g = groups.find(m.group);
    if (g == groups.end() || !users.contains(m.user)) {
      notes.push_back(fmt::format("{} ({}) adds {} to the group {}, but {} is not in the image; left out", from, m.script,
                                  m.user, m.group, !users.contains(m.user) ? "the user" : "the group"));
      continue;
    }
    g->second.members.insert(m.user);
  }
  std::vector<std::string> derived;
  for (const auto& [name, u] : users) {
    if (u.origin == AccountEntry::Origin::derived) derived.push_back(fmt::format("{} {}", name, u.id));
  }
  if (!derived.empty()) notes.push_back(fmt::format("accounts from maintainer scripts: {}", fmt::join(derived, ", ")));
  return t;
}

}  // namespace sheaf::image
