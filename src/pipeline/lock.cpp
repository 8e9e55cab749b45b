#include "pipeline/lock.hpp"

#include <fmt/format.h>

#include <ctime>

#include "base/error.hpp"
#include "pipeline/recipe.hpp"
#include "pipeline/registry_sources.hpp"

namespace sheaf::pipeline {

namespace {

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

}  // namespace

repo::LockOutcome lock(Session& session, const spec::Spec& spec, const LockOptions& options) {
  Reporter& reporter = session.reporter();
  repo::LockRequest request{
      .update_all = options.update_all,
      .update = options.update,
      .allow_unsigned = options.allow_unsigned,
      .now = now(),
      .note = [&reporter](const std::string& n) { reporter.note(n); },
      .registry = registry_resolver(session),
      .recipe_output = recipe_output_resolver(session, {.locked = false, .allow_unsigned = options.allow_unsigned})};
  return repo::lock_spec(spec, session.store(), session.network(), request);
}

LockCheck check_lock(const spec::Spec& spec) {
  LockCheck check;
  check.path = repo::lock_path_for(spec);
  std::error_code ec;
  check.exists = std::filesystem::exists(check.path, ec);
  if (check.exists) check.problems = repo::lock_problems(repo::LockSet::load(check.path), spec);
  return check;
}

repo::LockSet ensure_lock(Session& session, const spec::Spec& spec, bool locked, bool allow_unsigned) {
  LockCheck check = check_lock(spec);
  if (check.exists && check.problems.empty()) return repo::LockSet::load(check.path);
  if (locked && check.exists) {
    fail("{} no longer satisfies {}, and --locked forbids changing it:\n  - {}", quote(check.path.string()),
         quote(spec.path.string()), fmt::join(check.problems, "\n  - "));
  }
  if (locked) fail("{} does not exist, and --locked forbids creating it; run 'sheaf lock'", quote(check.path.string()));
  Reporter& reporter = session.reporter();
  repo::LockRequest request{
      .allow_unsigned = allow_unsigned,
      .now = now(),
      .warn = [&reporter](const std::string& w) { reporter.warning(w); },
      .note = [&reporter](const std::string& n) { reporter.note(n); },
      .registry = registry_resolver(session),
      .recipe_output = recipe_output_resolver(session, {.locked = locked, .allow_unsigned = allow_unsigned})};
  auto outcome = repo::lock_spec(spec, session.store(), session.network(), request);
  for (const auto& change : outcome.changes) reporter.note(describe(change));
  reporter.note(fmt::format("{} {} ({})", check.exists ? "updated" : "created", check.path.string(),
                            count_packages(outcome.lock)));
  return outcome.lock;
}

std::string describe(const repo::LockChange& change) {
  std::string where = change.arch.empty() ? "" : " (" + change.arch + ")";
  if (change.old_version.empty()) return fmt::format("+ {} {}{}", change.name, change.new_version, where);
  if (change.new_version.empty()) return fmt::format("- {} {}{}", change.name, change.old_version, where);
  return fmt::format("~ {} {} -> {}{}", change.name, change.old_version, change.new_version, where);
}

std::string count_packages(const repo::LockSet& lock) {
  if (!lock.index) return fmt::format("{} packages", lock.arches.front().packages.size());
  std::vector<std::string> counts;
  for (const auto& l : lock.arches) counts.push_back(fmt::format("{} for {}", l.packages.size(), l.arch));
  return fmt::format("packages: {}", fmt::join(counts, ", "));
}

}  // namespace sheaf::pipeline
