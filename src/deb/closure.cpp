#include "deb/closure.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace sheaf::deb {

namespace {

// Who answers to a name: the real package, or a member that provides it.
struct Provider {
  const ClosureMember* member;
  std::string version;  // the real version, or a versioned Provides; "" for an unversioned Provides
  bool real;
};

std::multimap<std::string, Provider> providers_of(const std::vector<ClosureMember>& members) {
  std::multimap<std::string, Provider> out;
  for (const auto& m : members) {
    out.emplace(m.name, Provider{&m, m.version, true});
    for (const auto& group : m.provides.groups()) {
      for (const auto& alt : group) out.emplace(alt.name, Provider{&m, alt.op ? alt.version : "", false});
    }
  }
  return out;
}

bool answers(const Provider& p, const Alternative& alt) {
  if (!alt.op) return true;
  return !p.version.empty() && version_satisfies(p.version, *alt.op, alt.version);
}

std::string alternative_text(const Alternative& a) {
  return a.op ? fmt::format("{} ({} {})", a.name, to_string(*a.op), a.version) : a.name;
}

}  // namespace

bool version_satisfies(std::string_view have, RelationOp op, std::string_view want) {
  auto a = Version::try_parse(have);
  auto b = Version::try_parse(want);
  if (!a || !b) return false;
  auto c = *a <=> *b;
  switch (op) {
    case RelationOp::earlier:
      return c < 0;
    case RelationOp::earlier_or_equal:
      return c <= 0;
    case RelationOp::equal:
      return c == 0;
    case RelationOp::later_or_equal:
      return c >= 0;
    case RelationOp::later:
      return c > 0;
  }
  return false;
}

std::string group_text(const RelationGroup& group) {
  std::vector<std::string> alternatives;
  for (const auto& a : group) alternatives.push_back(alternative_text(a));
  return fmt::format("{}", fmt::join(alternatives, " | "));
}

std::vector<std::vector<std::size_t>> dependency_edges(const std::vector<ClosureMember>& members) {
  auto providers = providers_of(members);
  std::vector<std::vector<std::size_t>> edges(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    const ClosureMember& m = members[i];
    for (const auto* field : {&m.pre_depends, &m.depends}) {
      for (const auto& group : field->groups()) {
        for (const auto& alt : group) {
          auto [begin, end] = providers.equal_range(alt.name);
          for (auto it = begin; it != end; ++it) {
            auto j = static_cast<std::size_t>(it->second.member - members.data());
            if (j != i && answers(it->second, alt)) edges[i].push_back(j);
          }
        }
      }
    }
    std::sort(edges[i].begin(), edges[i].end());
    edges[i].erase(std::unique(edges[i].begin(), edges[i].end()), edges[i].end());
  }
  return edges;
}

std::vector<bool> reachable(const std::vector<std::vector<std::size_t>>& edges, const std::vector<std::size_t>& roots) {
  std::vector<bool> seen(edges.size(), false);
  std::vector<std::size_t> todo;
  for (std::size_t r : roots) {
    if (!seen[r]) todo.push_back(r);
    seen[r] = true;
  }
  while (!todo.empty()) {
    std::size_t v = todo.back();
    todo.pop_back();
    for (std::size_t w : edges[v]) {
      if (!seen[w]) todo.push_back(w);
      seen[w] = true;
    }
  }
  return seen;
}

std::vector<std::string> unmet_dependencies(const std::vector<ClosureMember>& members, std::string_view set_name) {
  auto providers = providers_of(members);
  std::vector<std::string> problems;
  for (const auto& m : members) {
    for (const auto* field : {&m.pre_depends, &m.depends}) {
      for (const auto& group : field->groups()) {
        bool met = std::any_of(group.begin(), group.end(), [&](const Alternative& alt) {
          auto [begin, end] = providers.equal_range(alt.name);
          return std::any_of(begin, end, [&](const auto& entry) { return answers(entry.second, alt); });
        });
        if (!met) {
          problems.push_back(fmt::format("{} {} {} {}, which nothing in {} satisfies", m.name, m.version,
                                         field == &m.pre_depends ? "pre-depends on" : "depends on", group_text(group),
                                         set_name));
        }
      }
    }
  }
  return problems;
}

std::vector<std::string> member_conflicts(const std::vector<ClosureMember>& members, std::string_view set_name) {
  auto providers = providers_of(members);
  std::vector<std::string> problems;
  for (const auto& m : members) {
    for (const auto* field : {&m.conflicts, &m.breaks}) {
      for (const auto& group : field->groups()) {
        for (const auto& alt : group) {
          auto [begin, end] = providers.equal_range(alt.name);
          for (auto it = begin; it != end; ++it) {
            const Provider& p = it->second;
            if (p.member == &m || !answers(p, alt)) continue;
            std::string holder =
                p.real ? fmt::format("{} {}", p.member->name, p.member->version)
                       : fmt::format("{} {} (which provides {})", p.member->name, p.member->version, alt.name);
            problems.push_back(fmt::format("{} {} {} {}, and {} holds {}", m.name, m.version,
                                           field == &m.conflicts ? "conflicts with" : "breaks", alternative_text(alt),
                                           set_name, holder));
          }
        }
      }
    }
  }
  return problems;
}

}  // namespace sheaf::deb
