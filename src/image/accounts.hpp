// The image's accounts: /etc/passwd, /etc/group and, when the image's
// packages expect them, /etc/shadow and /etc/gshadow (docs/formats/image.md,
// "Accounts").
//
//   - root and nobody (with the groups root and nogroup) always;
//   - Debian's fixed accounts (base-passwd's passwd.master and group.master:
//     www-data is 33) when base-passwd is a member, and otherwise each one a
//     member needs: named by a script effect (an owner, a primary group, a
//     membership) or owning a member's file by its id;
//   - the accounts the members' maintainer scripts create (adduser, useradd,
//     addgroup, groupadd), numbered by a function of the name: system
//     accounts in [100, 999], others in [1000, 59999], as adduser's ranges;
//   - the spec's [[users]] and [[groups]], which override a fixed or derived
//     account of the same name.
//
// A derived id is the first of sha256("sheaf-account-id:NAME:ROUND") mod the
// range's size, for ROUND 0, 1, ..., that no fixed, spec or explicitly asked
// id and no derived account placed before it (in name order) holds. So an
// account's id depends on its name alone unless two names collide, and
// adding an account moves another only in that case; `sheaf image update`
// and every build compare with the image the tag named before and refuse to
// renumber an account (docs/decisions.md, "Account ids").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "deb/script_effects.hpp"
#include "fileset/manifest.hpp"
#include "image/paths.hpp"
#include "spec/spec.hpp"

namespace sheaf::image {

// One member's effects, as the assembly reads them.
struct MemberEffects {
  std::string name;   // the package name
  std::string label;  // "redis-tools 5:7.0.15-1~deb12u1"
  const deb::ScriptEffects* effects = nullptr;
};

struct AccountEntry {
  enum class Origin { builtin, fixed, derived, spec };
  std::string name;
  std::uint32_t id = 0;
  std::uint32_t gid = 0;  // users: the primary group
  std::string gecos;
  std::string home;
  std::string shell;
  Origin origin = Origin::builtin;
  std::string from;  // derived: the label of the package whose script made it
  bool create_home = false;
  bool system = true;
  std::set<std::string> members;  // groups: supplementary members
};

class AccountTable {
 public:
  const AccountEntry* user(std::string_view name) const;
  const AccountEntry* group(std::string_view name) const;
  const AccountEntry* user_with_id(std::uint32_t id) const;
  const AccountEntry* group_with_id(std::uint32_t id) const;

  // The files, each line sorted by id (then name).
  std::string passwd() const;
  std::string group_file() const;
  // "NAME:*:::::::" per user ('*': no password can log in; no dates, so
  // the bytes never depend on the day); "NAME:*::MEMBERS" per group.
  std::string shadow() const;
  std::string gshadow() const;

  const std::map<std::string, AccountEntry, std::less<>>& users() const { return users_; }
  const std::map<std::string, AccountEntry, std::less<>>& groups() const { return groups_; }

 private:
  friend AccountTable make_accounts(const spec::Spec&, const std::vector<MemberEffects>&, const ImageTree&,
                                    std::vector<std::string>&, bool);
  std::map<std::string, AccountEntry, std::less<>> users_;
  std::map<std::string, AccountEntry, std::less<>> groups_;
};

// The derived id of an account name in [first, last] at a probing round.
std::uint32_t account_id_candidate(std::string_view name, std::uint32_t first, std::uint32_t last, unsigned round);

// Builds the table. `notes` gets what was derived; `shadow` says the image
// gets etc/shadow, whose group (shadow, 42) must then exist. Throws an Error
// for two packages that ask one account's id differently, or a spec account
// that takes a derived account's id under another name. A derived name that
// [[users]] would refuse is left out with a note.
AccountTable make_accounts(const spec::Spec& spec, const std::vector<MemberEffects>& members, const ImageTree& tree,
                           std::vector<std::string>& notes, bool shadow);

}  // namespace sheaf::image
