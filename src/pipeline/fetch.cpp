#include "pipeline/fetch.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/error.hpp"
#include "base/text.hpp"
#include "pipeline/lock.hpp"
#include "pipeline/registry_sources.hpp"
#include "pkg/import_deb.hpp"

namespace sheaf::pipeline {

namespace {

repo::FetchReport fetch_with_progress(Session& session, const repo::Lockfile& lock, const spec::DebianSource& debian,
                                      unsigned jobs) {
  Reporter& reporter = session.reporter();
  const repo::NetworkSettings& network = session.network();
  repo::FetchOptions options{.jobs = jobs, .note = [&reporter](const std::string& n) { reporter.note(n); }};
  options.on_progress = [&reporter](const repo::FetchProgress& p) {
    reporter.progress({Progress::Stage::fetching, p.files_done, p.files_total, p.bytes_done, p.bytes_total});
  };
  ProgressScope scope(reporter);
  return repo::fetch_locked(session.store(), lock, repo::plan_suites(debian, network.apt), network, options);
}

}  // namespace

FetchOutcome fetch(Session& session, const spec::Spec& spec, const FetchOptions& options) {
  if (options.jobs == 0) fail_usage("--jobs must be at least 1");
  LockCheck check = check_lock(spec);
  if (!check.exists) fail("{} does not exist; run 'sheaf lock' first", quote(check.path.string()));
  if (!check.problems.empty()) {
    fail("{} no longer satisfies {}; run 'sheaf lock':\n  - {}", quote(check.path.string()), quote(spec.path.string()),
         fmt::join(check.problems, "\n  - "));
  }
  // An index's sections are fetched as one set: a package they share once.
  auto lock = repo::LockSet::load(check.path).merged();
  FetchOutcome outcome{.locked = lock.packages.size()};
  if (repo::missing_packages(session.store(), lock).empty()) {
    // Nothing to do for Debian: no apt configuration, no network.
    outcome.report.present = static_cast<std::size_t>(std::count_if(
        lock.packages.begin(), lock.packages.end(), [](const repo::LockedPackage& p) { return p.from_debian(); }));
  } else {
    outcome.report = fetch_with_progress(session, lock, *spec.debian, options.jobs);
  }
  outcome.registry_pulled = fetch_registry_packages(session, lock);
  outcome.registry_present = static_cast<std::size_t>(std::count_if(
                                 lock.packages.begin(), lock.packages.end(),
                                 [](const repo::LockedPackage& p) { return p.from_registry(); })) -
                             outcome.registry_pulled;
  return outcome;
}

void fetch_missing(Session& session, const repo::Lockfile& lock, const spec::DebianSource& debian, unsigned jobs) {
  if (repo::missing_packages(session.store(), lock).empty()) return;
  // At least four transfers at once; more on a machine with more cores,
  // since each worker also decompresses the .deb it fetched.
  repo::FetchReport report = fetch_with_progress(session, lock, debian, std::max(4u, jobs));
  session.reporter().note(
      fmt::format("fetched {} packages ({}){}", report.downloaded, human_bytes(report.bytes), shared_summary(report)));
}

std::vector<std::string> locked_package_ids(store::LocalStore& store, const repo::Lockfile& lock,
                                            const std::map<std::string, std::string>& recipe_outputs) {
  std::vector<std::string> ids;
  for (const auto& p : lock.packages) {
    if (p.from_recipe()) {
      auto built = recipe_outputs.find(p.recipe);
      if (built == recipe_outputs.end()) {
        fail("{} {} is the output of the recipe {}, which only `sheaf build` of the spec builds", p.name, p.version,
             quote(p.recipe));
      }
      ids.push_back(built->second);
      continue;
    }
    if (p.from_registry()) {
      if (!store.index().package(p.id.str())) {
        fail("{} {} ({}) is locked but not in the store after fetching", p.name, p.version, p.registry);
      }
      ids.push_back(p.id.str());
      continue;
    }
    auto records = store.index().packages_with_origin(pkg::deb_origin(p.sha256, p.size));
    const store::PackageRecord* match = nullptr;
    for (const auto& r : records) {
      if (r.name == p.name) match = &r;
    }
    if (!match) fail("{} {} is locked but not in the store after fetching", p.name, p.version);
    ids.push_back(match->id);
  }
  return ids;
}

std::string shared_summary(const repo::FetchReport& report) {
  std::string out;
  if (report.shared > 0) {
    out += fmt::format("; {} more came from other sheaf processes fetching at the same time", report.shared);
  }
  if (report.taken_over > 0) {
    out += fmt::format("; {} of the downloads were finished from where a sheaf process that died left them",
                       report.taken_over);
  }
  return out;
}

}  // namespace sheaf::pipeline
