// Whether a set of packages stands on its own: every Depends and Pre-Depends
// met inside the set, and no Conflicts or Breaks between members. Used by
// `sheaf lock` to check a lock offline and by `sheaf build` before it
// composes an image.
//
// The rules are dpkg's, restricted to one architecture: an alternative is met
// by a member of that name whose version satisfies the constraint, or by a
// member that Provides the name (a versioned dependency needs a versioned
// Provides, "name (= V)", that satisfies it). A conflict names a member, or a
// virtual package some other member provides; a package never conflicts with
// itself. Architecture qualifiers (":any") are accepted and not checked.
#pragma once

#include <string>
#include <vector>

#include "deb/relation.hpp"

namespace sheaf::deb {

struct ClosureMember {
  std::string name;
  std::string version;
  Relations pre_depends;
  Relations depends;
  Relations provides;
  Relations conflicts;
  Relations breaks;
};

// True when `have` satisfies "op want" by Debian ordering; false when either
// version does not parse.
bool version_satisfies(std::string_view have, RelationOp op, std::string_view want);

// "a (>= 1) | b": a group as Debian spells it.
std::string group_text(const RelationGroup& group);

// One sentence per unmet dependency group, in member order then field order:
// "python3 3.11.2-1+b1 depends on libpython3-stdlib (= 3.11.2-1+b1), which
// nothing in the set satisfies". `set_name` words the end ("the lock", "the
// image").
std::vector<std::string> unmet_dependencies(const std::vector<ClosureMember>& members, std::string_view set_name);

// For each member, the indices of the other members that answer some
// alternative of its Pre-Depends or Depends, sorted. Every answering member
// counts, not just the first, so the edges say which members a member may
// be relying on: what layer order and an update's removal of unneeded
// packages follow.
std::vector<std::vector<std::size_t>> dependency_edges(const std::vector<ClosureMember>& members);

// The members reachable from `roots` (indices) along dependency_edges.
std::vector<bool> reachable(const std::vector<std::vector<std::size_t>>& edges, const std::vector<std::size_t>& roots);

// One sentence per Conflicts or Breaks between members:
// "mawk 1.3.4 conflicts with gawk (< 5), and the set holds gawk 4.2".
std::vector<std::string> member_conflicts(const std::vector<ClosureMember>& members, std::string_view set_name);

}  // namespace sheaf::deb
