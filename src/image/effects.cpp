#include "image/effects.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

#include "base/error.hpp"
#include "deb/essential.hpp"
#include "deb/merged_usr.hpp"
#include "image/effects_view.hpp"
#include "image/glob.hpp"

namespace sheaf::image {

using fileset::Entry;
using fileset::EntryType;

namespace {

std::optional<std::uint32_t> parse_octal(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    v = v * 8 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

class Applier {
 public:
  explicit Applier(const EffectsInput& in) : in_(in), tree_(*in.tree), view_(tree_, in.base, added_) {}

  EffectsOutcome run() {
    auto pam = tree_.claims().lower_bound("etc/pam.d/");
    out_.shadow = pam != tree_.claims().end() && pam->first.starts_with("etc/pam.d/") && !tree_.find("etc/shadow");
    out_.accounts = make_accounts(*in_.spec, in_.members, tree_, out_.notes, out_.shadow);
    record_accounts();
    make_homes();
    for (const auto& m : in_.members) {
      if (!m.effects) continue;
      for (const auto& c : m.effects->created) created(m, c);
    }
    for (const auto& m : in_.members) {
      if (!m.effects) continue;
      for (const auto& a : m.effects->attributes) attributes(m, a);
    }
    diversions();
    alternatives();
    report_unapplied();
    suggest();
    // drop_paths holds for what the scripts make as for what packages ship.
    std::size_t dropped = 0;
    for (auto& [path, e] : added_) {
      if (dropped_by(in_.spec->packages.drop_paths, path)) {
        ++dropped;
        out_.overrides.erase(path);
        continue;
      }
      out_.entries.push_back(std::move(e));
    }
    if (dropped > 0) note(fmt::format("drop_paths removed {} entries the maintainer scripts would make", dropped));
    return std::move(out_);
  }

 private:
  void note(std::string text) { out_.notes.push_back(std::move(text)); }

  static std::string from(const MemberEffects& m, const std::string& script) { return m.name + " " + script; }

  void put(Entry e, const std::string& why) {
    const ImageTree::Claim* claim = tree_.find(e.path);
    if (claim && !(*claim->entry == e)) out_.overrides[e.path] = why;
    std::string path = e.path;
    added_[path] = std::move(e);
  }

  // --- accounts -------------------------------------------------------------

  void record_accounts() {
    for (const auto* table : {&out_.accounts.groups(), &out_.accounts.users()}) {
      bool users = table == &out_.accounts.users();
      for (const auto& [name, a] : *table) {
        if (a.origin != AccountEntry::Origin::derived && a.origin != AccountEntry::Origin::fixed) continue;
        deb::Account r;
        r.kind = users ? deb::Account::Kind::user : deb::Account::Kind::group;
        r.name = name;
        r.system = a.system;
        r.id = a.id;
        if (users) {
          const AccountEntry* g = out_.accounts.group_with_id(a.gid);
          r.group = g ? g->name : std::to_string(a.gid);
          r.home = a.home;
          r.shell = a.shell;
          r.gecos = a.gecos;
          r.create_home = a.create_home;
        }
        r.script = a.origin == AccountEntry::Origin::fixed ? "Debian's fixed accounts (base-passwd)" : a.from;
        out_.applied.accounts.push_back(std::move(r));
      }
    }
    for (const auto& [name, g] : out_.accounts.groups()) {
      for (const auto& user : g.members) out_.applied.memberships.push_back({user, name, "maintainer scripts"});
    }
  }

  void make_homes() {
    for (const auto& [name, u] : out_.accounts.users()) {
      if (u.origin != AccountEntry::Origin::derived || !u.create_home) continue;
      auto path = image_relative(u.home);
      if (!path) {
        note(fmt::format("user {}: home {} is not an image path; not made", name, quote(u.home)));
        continue;
      }
      auto real = view_.real(*path, true);
      if (!real || view_.find(*real)) continue;  // adduser leaves an existing home as it is
      Entry d;
      d.path = *real;
      d.type = EntryType::dir;
      d.mode = u.system ? 0755 : 0700;  // adduser.conf: SYS_DIR_MODE, DIR_MODE
      d.uid = u.id;
      d.gid = u.gid;
      put(std::move(d), "home of " + name);
      out_.applied.created.push_back({deb::CreatedPath::Kind::dir, u.home, "", fmt::format("{:04o}", u.system ? 0755 : 0700),
                                      fmt::format("adduser {} ({})", name, u.from)});
    }
  }

  // --- paths ----------------------------------------------------------------

  void created(const MemberEffects& m, const deb::CreatedPath& c) {
    auto skip = [&](std::string_view why) { note(fmt::format("{} ({}): {} not made: {}", m.label, c.script, c.path, why)); };
    auto path = image_relative(c.path);
    if (!path) return skip("not a path inside the image");
    auto real = view_.real(*path, false);
    if (!real) return skip("something on its way is not a directory");
    const Entry* existing = view_.find(*real);
    Entry e;
    e.path = *real;
    switch (c.kind) {
      case deb::CreatedPath::Kind::dir: {
        if (existing) return;  // mkdir -p leaves it; the reader saw plain mkdir succeed only when absent
        auto mode = apply_mode(c.mode.empty() ? "0755" : c.mode, 0777 & ~022u, true);
        if (!mode) return skip(fmt::format("the mode {} is not one sheaf reads", quote(c.mode)));
        e.type = EntryType::dir;
        e.mode = *mode;
        break;
      }
      case deb::CreatedPath::Kind::file: {
        if (existing) {
          // touch leaves a file as it is; a write replaces it.
          if (c.content.empty()) return;
          const Entry* have = view_.content_of(existing);
          if (!have || have->type != EntryType::file) return skip("the path exists and is not a file");
          e = *have;
          e.path = *real;
        } else {
          e.type = EntryType::file;
          e.mode = 0644;  // umask 022
        }
        if (!c.mode.empty()) {
          auto mode = apply_mode(c.mode, e.mode, false);
          if (!mode) return skip(fmt::format("the mode {} is not one sheaf reads", quote(c.mode)));
          e.mode = *mode;
        }
        e.size = c.content.size();
        e.digest = Digest::of(c.content);
        out_.contents.emplace(e.digest, c.content);
        break;
      }
      case deb::CreatedPath::Kind::symlink: {
        if (!target_stays_inside(*real, c.source)) return skip("its target leaves the image");
        e.type = EntryType::symlink;
        e.mode = 0777;
        e.target = c.source;
        if (existing) {
          if (existing->type == EntryType::symlink && existing->target == e.target) return;
          return skip("the path exists");
        }
        break;
      }
      case deb::CreatedPath::Kind::copy: {
        auto source_path = image_relative(c.source);
        auto source_real = source_path ? view_.real(*source_path, true) : std::nullopt;
        const Entry* source = source_real ? view_.content_of(view_.find(*source_real)) : nullptr;
        if (!source || source->type != EntryType::file) return skip(fmt::format("its source {} is not a file in the image", c.source));
        e.type = EntryType::file;
        e.size = source->size;
        e.digest = source->digest;
        e.xattrs = source->xattrs;
        if (c.mode.empty()) {
          e.mode = source->mode & ~022u & 07777;
        } else if (auto mode = apply_mode(c.mode, source->mode, false)) {
          e.mode = *mode;
        } else {
          return skip(fmt::format("the mode {} is not one sheaf reads", quote(c.mode)));
        }
        if (existing) {
          const Entry* have = view_.content_of(existing);
          if (have && have->type == EntryType::file && have->digest == e.digest) return;
          return skip("the path exists");
        }
        break;
      }
    }
    put(std::move(e), fmt::format("made by {}", from(m, c.script)));
    out_.applied.created.push_back(c);
    out_.applied.created.back().script = from(m, c.script);
  }

  std::optional<std::uint32_t> resolve_owner(const std::string& name, bool user, const MemberEffects& m,
                                             const std::string& script) {
    if (name.empty()) return std::nullopt;
    if (auto id = parse_id(name)) return id;
    const AccountEntry* a = user ? out_.accounts.user(name) : out_.accounts.group(name);
    if (a) return a->id;
    out_.warnings.push_back(fmt::format("{} ({}) gives a path to the {} {}, which the image does not have; left as it is",
                                        m.label, script, user ? "user" : "group", quote(name)));
    return std::nullopt;
  }

  void attributes(const MemberEffects& m, const deb::PathAttributes& a) {
    auto path = image_relative(a.path);
    auto real = path ? view_.real(*path, true) : std::nullopt;
    if (!real || !view_.find(*real)) {
      note(fmt::format("{} ({}): {} {}: no such path in the image", m.label, a.script, a.via, a.path));
      return;
    }
    auto uid = resolve_owner(a.owner, true, m, a.script);
    auto gid = resolve_owner(a.group, false, m, a.script);
    std::vector<std::string> paths{*real};
    if (a.recursive) {
      std::string prefix = *real + "/";
      for (auto it = tree_.claims().lower_bound(prefix); it != tree_.claims().end() && it->first.starts_with(prefix); ++it) {
        paths.push_back(it->first);
      }
      for (auto it = added_.lower_bound(prefix); it != added_.end() && it->first.starts_with(prefix); ++it) {
        paths.push_back(it->first);
      }
      std::sort(paths.begin(), paths.end());
      paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    }
    std::string why = fmt::format("{} by {}", a.via, from(m, a.script));
    bool changed = false;
    for (const auto& p : paths) {
      const Entry* current = view_.find(p);
      if (!current) continue;
      Entry e = *current;
      if (e.type == EntryType::hardlink) {
        const Entry* file = view_.content_of(current);
        if (!file) continue;
        std::string keep = e.path;
        e = *file;
        e.path = keep;
      }
      if (uid) e.uid = *uid;
      if (gid) e.gid = *gid;
      if (!a.mode.empty() && e.type != EntryType::symlink) {
        auto mode = apply_mode(a.mode, e.mode, e.type == EntryType::dir);
        if (!mode) {
          note(fmt::format("{} ({}): {} {}: the mode {} is not one sheaf reads", m.label, a.script, a.via, a.path, quote(a.mode)));
          return;
        }
        e.mode = *mode;
      }
      if (e == *current) continue;
      changed = true;
      put(std::move(e), why);
    }
    if (!changed) return;
    out_.applied.attributes.push_back(a);
    out_.applied.attributes.back().script = from(m, a.script);
  }

  // --- diversions -----------------------------------------------------------

  void diversions() {
    for (const auto& d : in_.diversions) {
      const MemberEffects& diverter = in_.members[d.diverter];
      auto aside = tree_.set_aside().find(d.path);
      if (aside == tree_.set_aside().end()) continue;
      const Entry* moved = nullptr;
      for (const auto& claim : aside->second) {
        const Entry* e = claim.entry;
        if (e->type == EntryType::hardlink) {
          // The hardlink's file is in the same member's FileSet.
          const ImageTree::Claim* file = tree_.find(e->target);
          e = file ? file->entry : nullptr;
        }
        if (!e) continue;
        if (moved && !(moved->type == e->type && moved->digest == e->digest && moved->target == e->target)) {
          fail("two packages ship {} differently and {} diverts it to {}: only one can move there", quote("/" + d.path),
               diverter.label, quote("/" + d.to));
        }
        moved = e;
      }
      if (!moved) continue;
      if (tree_.find(d.to) || added_.contains(d.to)) {
        fail("{} diverts {} to {}, which a package already ships", diverter.label, quote("/" + d.path), quote("/" + d.to));
      }
      Entry e = *moved;
      e.path = d.to;
      std::string why = fmt::format("diverted by {}", from(diverter, d.script));
      put(std::move(e), why);
      // The diverter's own entry goes on top, above the diverted member's layer.
      if (const ImageTree::Claim* own = tree_.find(d.path)) {
        Entry top = *own->entry;
        if (const Entry* file = view_.content_of(own->entry); file && top.type == EntryType::hardlink) {
          top = *file;
          top.path = d.path;
        }
        added_[d.path] = std::move(top);
      }
      std::vector<std::string> owners;
      for (const auto& claim : aside->second) owners.push_back(tree_.owners()[claim.owner]);
      out_.applied.diversions.push_back(
          {"/" + d.path, "/" + d.to, diverter.name, true, fmt::format("{} (moves {}'s file)", from(diverter, d.script),
                                                                    fmt::join(owners, ", "))});
    }
  }

  // --- alternatives ---------------------------------------------------------

  struct Candidate {
    const MemberEffects* member;
    const deb::AlternativeInstall* alt;
  };

  bool exists(std::string_view absolute) const {
    auto path = image_relative(absolute);
    auto real = path ? view_.real(*path, true) : std::nullopt;
    return real && view_.find(*real);
  }

  void alternatives() {
    std::map<std::string, std::vector<Candidate>> by_name;
    for (const auto& m : in_.members) {
      if (!m.effects) continue;
      for (const auto& a : m.effects->alternatives) by_name[a.master.name].push_back({&m, &a});
    }
    std::map<std::string, const spec::AlternativeChoice*> chosen_by_spec;
    for (const auto& c : in_.spec->alternatives) {
      if (!by_name.contains(c.name)) {
        std::vector<std::string> names;
        for (const auto& [name, list] : by_name) names.push_back(name);
        fail("{}: [alternatives] {}: no package in the image registers this alternative{}", in_.spec->where(c.position),
             quote(c.name), names.empty() ? std::string() : fmt::format(" (they register: {})", fmt::join(names, ", ")));
      }
      chosen_by_spec[c.name] = &c;
    }
    for (auto& [name, candidates] : by_name) {
      std::vector<Candidate> usable;
      for (const auto& c : candidates) {
        bool valid = image_relative(c.alt->master.link) && image_relative(c.alt->master.path) &&
                     name.find('/') == std::string::npos && !name.empty() && name != "." && name != "..";
        if (!valid) {
          note(fmt::format("{} ({}): alternative {}: a link or path that is not an image path; left out", c.member->label,
                           c.alt->script, name));
        } else if (!exists(c.alt->master.path)) {
          note(fmt::format("alternative {}: {} of {} is not in the image (drop_paths?); not a candidate", name,
                           c.alt->master.path, c.member->label));
        } else {
          usable.push_back(c);
        }
      }
      auto spec_choice = chosen_by_spec.find(name);
      if (usable.empty()) {
        if (spec_choice != chosen_by_spec.end()) {
          fail("{}: [alternatives] {}: no candidate's target is in the image", in_.spec->where(spec_choice->second->position),
               quote(name));
        }
        continue;
      }
      auto key = [](const Candidate& c) { return std::tie(c.member->name, c.alt->master.path); };
      std::sort(usable.begin(), usable.end(), [&](const Candidate& a, const Candidate& b) {
        if (a.alt->priority != b.alt->priority) return a.alt->priority > b.alt->priority;
        return key(a) < key(b);
      });
      const Candidate* best = &usable.front();
      bool manual = false;
      if (spec_choice != chosen_by_spec.end()) {
        auto want = image_relative(spec_choice->second->path);
        auto it = std::find_if(usable.begin(), usable.end(),
                               [&](const Candidate& c) { return image_relative(c.alt->master.path) == want; });
        if (it == usable.end()) {
          std::vector<std::string> paths;
          for (const auto& c : usable) paths.push_back(c.alt->master.path);
          fail("{}: [alternatives] {} = {}: not a candidate; the image's are {}", in_.spec->where(spec_choice->second->position),
               quote(name), quote(spec_choice->second->path), fmt::join(paths, ", "));
        }
        best = &*it;
        manual = true;
      } else if (usable.size() > 1 && usable[1].alt->priority == best->alt->priority) {
        note(fmt::format("alternative {}: {} and {} have the same priority {}; chose {} (package name, then path)", name,
                         best->alt->master.path, usable[1].alt->master.path, best->alt->priority, best->alt->master.path));
      }
      install_alternative(name, *best, usable, manual);
    }
  }

  // LINK -> /etc/alternatives/NAME -> PATH, unless a member ships LINK.
  bool link(const deb::AlternativeLink& l, const std::string& why) {
    auto path = *image_relative(l.link);
    auto real = view_.real(path, false);
    if (!real) {
      note(fmt::format("alternative {}: {} cannot be made (a directory on its way is missing)", l.name, l.link));
      return false;
    }
    const Entry* existing = view_.find(*real);
    std::string target = "/etc/alternatives/" + l.name;
    if (existing && !(existing->type == EntryType::symlink && existing->target == target)) {
      note(fmt::format("alternative {}: {} is shipped by a package; update-alternatives leaves it, and so does sheaf", l.name,
                       l.link));
      return false;
    }
    Entry e;
    e.type = EntryType::symlink;
    e.mode = 0777;
    e.path = *real;
    e.target = target;
    put(std::move(e), why);
    Entry a;
    a.type = EntryType::symlink;
    a.mode = 0777;
    a.path = "etc/alternatives/" + l.name;
    a.target = l.path;
    put(std::move(a), why);
    return true;
  }

  void install_alternative(const std::string& name, const Candidate& best, const std::vector<Candidate>& usable, bool manual) {
    std::string why = fmt::format("alternative {} of {}", name, from(*best.member, best.alt->script));
    if (!link(best.alt->master, why)) return;
    deb::AlternativeInstall applied = *best.alt;
    applied.slaves.clear();
    for (const auto& s : best.alt->slaves) {
      if (!image_relative(s.link) || !image_relative(s.path) || s.name.empty() || s.name.find('/') != std::string::npos) continue;
      if (!exists(s.path)) continue;  // update-alternatives removes a slave link whose target is missing
      if (link(s, why)) applied.slaves.push_back(s);
    }
    applied.script = from(*best.member, best.alt->script) + (manual ? " (chosen by [alternatives])" : "");
    out_.applied.alternatives.push_back(applied);

    // dpkg's record of it, so `update-alternatives --display` in the image
    // tells the same story: slaves and choices sorted, as dpkg writes them.
    std::map<std::string, std::string> slave_links;
    for (const auto& c : usable) {
      for (const auto& s : c.alt->slaves) slave_links.try_emplace(s.name, s.link);
    }
    std::vector<const Candidate*> choices;
    for (const auto& c : usable) choices.push_back(&c);
    std::sort(choices.begin(), choices.end(),
              [](const Candidate* a, const Candidate* b) { return a->alt->master.path < b->alt->master.path; });
    std::string text = fmt::format("{}\n{}\n", manual ? "manual" : "auto", best.alt->master.link);
    for (const auto& [slave, slave_link] : slave_links) text += slave + "\n" + slave_link + "\n";
    text += "\n";
    for (const auto* c : choices) {
      text += fmt::format("{}\n{}\n", c->alt->master.path, c->alt->priority);
      for (const auto& entry : slave_links) {
        const std::string& slave = entry.first;
        auto it = std::find_if(c->alt->slaves.begin(), c->alt->slaves.end(),
                               [&](const deb::AlternativeLink& l) { return l.name == slave; });
        text += (it == c->alt->slaves.end() ? std::string() : it->path) + "\n";
      }
    }
    text += "\n";
    Entry admin;
    admin.path = "var/lib/dpkg/alternatives/" + name;
    admin.type = EntryType::file;
    admin.mode = 0644;
    admin.size = text.size();
    admin.digest = Digest::of(text);
    out_.contents.emplace(admin.digest, text);
    put(std::move(admin), why);
  }

  // --- what was not applied -------------------------------------------------

  void report_unapplied() {
    for (const auto& m : in_.members) {
      if (!m.effects) continue;
      for (const auto& r : m.effects->runtime_state) {
        out_.warnings.push_back(fmt::format("{} ({}) would make {} ({}); sheaf never puts secrets or per-host state in an "
                                            "image: make them when the container starts",
                                            m.label, r.script, r.what, r.command));
        out_.applied.runtime_state.push_back(r);
        out_.applied.runtime_state.back().script = from(m, r.script);
      }
      const auto& u = m.effects->uninterpreted;
      if (u.empty()) continue;
      std::set<std::string> scripts;
      for (const auto& item : u) scripts.insert(item.script);
      const auto& first = u.front();
      out_.warnings.push_back(fmt::format(
          "{}: {} step{} of its {} {} not interpreted, the first at {}{}: {}; see `sheaf pkg show {}`", m.label, u.size(),
          u.size() == 1 ? "" : "s", fmt::join(scripts, " and "), u.size() == 1 ? "was" : "were", first.script,
          first.line > 0 ? fmt::format(" line {}", first.line) : std::string(), first.what, m.name));
      for (const auto& item : u) {
        out_.applied.uninterpreted.push_back(item);
        out_.applied.uninterpreted.back().script = from(m, item.script);
      }
    }
  }

  // --- what Essential would have provided ----------------------------------

  bool command_in_path(std::string_view name) const {
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& [key, value] : in_.spec->image.env) {
      if (key == "PATH") path = value;
    }
    for (std::size_t pos = 0; pos <= path.size();) {
      auto end = std::min(path.find(':', pos), path.size());
      std::string dir = path.substr(pos, end - pos);
      if (!dir.empty() && exists(dir + "/" + std::string(name))) return true;
      pos = end + 1;
    }
    return false;
  }

  void suggest() {
    struct Reason {
      std::string first;
      std::size_t more = 0;
    };
    std::map<std::string, Reason> reasons;  // package -> why
    auto add = [&](const std::string& package, std::string why) {
      auto [it, fresh] = reasons.try_emplace(package, Reason{std::move(why)});
      if (!fresh) ++it->second.more;
    };
    std::set<std::string> members;
    for (const auto& m : in_.members) members.insert(m.name);
    for (std::size_t i = 0; i < in_.members.size(); ++i) {
      const auto* needs = i < in_.needs.size() ? in_.needs[i] : nullptr;
      if (!needs) continue;
      for (const auto& n : *needs) {
        bool have = n.needs.starts_with("command:") ? command_in_path(n.needs.substr(8)) : exists(n.needs);
        if (have) continue;
        std::string key = n.needs.starts_with("command:") ? n.needs : "/" + *image_relative(n.needs);
        auto provider = deb::essential_provider(key);
        if (!provider || members.contains(*provider)) continue;
        if (!exists(n.program)) continue;  // dropped by drop_paths
        std::string what = n.needs.starts_with("command:") ? n.needs.substr(8) : n.needs;
        const std::string& label = in_.members[i].label;
        add(*provider, n.why == "interpreter"         ? fmt::format("{} of {} runs under {}", n.program, label, what)
                       : n.why == "run by the script" ? fmt::format("{} of {} runs {}", n.program, label, what)
                                                      : fmt::format("{} of {} calls {}, which runs {}", n.program,
                                                                    label, n.why, what));
      }
    }
    // The locale the environment names.
    for (const auto& [key, value] : in_.spec->image.env) {
      if (!deb::is_locale_variable(key)) continue;
      auto package = deb::locale_package(value);
      if (!package || locale_present(value) || members.contains(*package)) continue;
      add(*package, fmt::format("{}={} names a locale the image lacks", key, value));
    }
    for (const auto& [package, r] : reasons) {
      std::string reason = r.first;
      if (r.more > 0) reason += fmt::format("; and {} more", r.more);
      out_.suggestions.push_back({package, reason});
    }
  }

  // glibc's name for a locale directory: the codeset lowercased without
  // '-' ("en_US.UTF-8" -> "en_US.utf8").
  bool locale_present(const std::string& name) const {
    auto dot = name.find('.');
    std::string normal = name;
    if (dot != std::string::npos) {
      std::string codeset;
      for (char c : name.substr(dot + 1)) {
        if (c == '-') continue;
        codeset += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
      normal = name.substr(0, dot) + "." + codeset;
    }
    for (const auto& candidate : {name, normal}) {
      if (view_.find("usr/lib/locale/" + candidate + "/LC_CTYPE")) return true;
    }
    return view_.find("usr/lib/locale/locale-archive") != nullptr;
  }

  const EffectsInput& in_;
  const ImageTree& tree_;
  std::map<std::string, Entry> added_;
  EffectsView view_;
  EffectsOutcome out_;
};

}  // namespace

std::optional<std::uint32_t> apply_mode(std::string_view mode, std::uint32_t current, bool is_dir) {
  if (auto octal = parse_octal(mode)) {
    // chmod keeps a directory's setuid and setgid bits unless the number names them.
    if (is_dir && mode.size() < 4) return (*octal & 0777) | (current & 06000);
    return *octal & 07777;
  }
  std::uint32_t m = current & 07777;
  for (std::size_t pos = 0; pos <= mode.size();) {
    auto end = std::min(mode.find(',', pos), mode.size());
    std::string_view clause = mode.substr(pos, end - pos);
    pos = end + 1;
    std::uint32_t who = 0;
    std::size_t i = 0;
    for (; i < clause.size() && std::string_view("ugoa").find(clause[i]) != std::string_view::npos; ++i) {
      who |= clause[i] == 'u' ? 04700u : clause[i] == 'g' ? 02070u : clause[i] == 'o' ? 01007u : 07777u;
    }
    bool implicit = who == 0;
    if (implicit) who = 07777;
    if (i >= clause.size()) return std::nullopt;
    while (i < clause.size()) {
      char op = clause[i++];
      if (op != '+' && op != '-' && op != '=') return std::nullopt;
      std::uint32_t bits = 0;
      for (; i < clause.size() && std::string_view("rwxXst").find(clause[i]) != std::string_view::npos; ++i) {
        switch (clause[i]) {
          case 'r': bits |= 0444; break;
          case 'w': bits |= 0222; break;
          case 'x': bits |= 0111; break;
          case 'X': if (is_dir || (m & 0111)) bits |= 0111; break;
          case 's': bits |= 06000; break;
          case 't': bits |= 01000; break;
        }
      }
      bits &= who;
      if (implicit) bits &= ~022u;  // "+w" alone honours the umask
      if (op == '+') m |= bits;
      if (op == '-') m &= ~bits;
      if (op == '=') m = (m & ~(who & 0777u)) | bits;
    }
  }
  return m;
}

std::map<std::size_t, std::set<std::string>> plan_diversions(const std::vector<MemberEffects>& members,
                                                             const std::vector<const fileset::Manifest*>& manifests,
                                                             std::vector<PlannedDiversion>& planned,
                                                             std::vector<std::string>& notes) {
  std::map<std::size_t, std::set<std::string>> aside;
  for (std::size_t d = 0; d < members.size(); ++d) {
    if (!members[d].effects) continue;
    for (const auto& div : members[d].effects->diversions) {
      auto path = image_relative(div.path);
      auto to = image_relative(div.divert_to);
      if (!path || !to || *path == *to) {
        notes.push_back(fmt::format("{} ({}): the diversion of {} to {} is not between image paths; left out",
                                    members[d].label, div.script, div.path, div.divert_to));
        continue;
      }
      bool moves = false;
      for (std::size_t o = 0; o < members.size(); ++o) {
        if (o == d || !manifests[o]) continue;
        const Entry* e = manifests[o]->find(*path);
        if (!e || e->type == EntryType::dir) continue;
        // A diversion on behalf of a package (dpkg-divert --package, by
        // default the script's own) moves every other package's file; a
        // --local one moves everyone's.
        if (!div.package.empty() && members[o].name == div.package) continue;
        if (!manifests[d]->find(*path)) {
          notes.push_back(fmt::format("{} ({}) diverts {}, which it does not ship itself: {}'s file stays (an image "
                                      "layer cannot remove what a lower one holds)",
                                      members[d].label, div.script, div.path, members[o].label));
          continue;
        }
        aside[o].insert(*path);
        moves = true;
      }
      if (moves) planned.push_back({*path, *to, d, div.script});
    }
  }
  return aside;
}

EffectsOutcome apply_effects(const EffectsInput& input) { return Applier(input).run(); }

}  // namespace sheaf::image
