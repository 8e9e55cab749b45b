#include "pipeline/registry_sources.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "base/error.hpp"
#include "base/parallel.hpp"
#include "base/text.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/registry_common.hpp"
#include "registry/reference.hpp"

namespace sheaf::pipeline {

namespace {

registry::Reference by_digest(const registry::Reference& ref, const Digest& manifest) {
  return registry::Reference{ref.host, ref.repository, std::nullopt, manifest};
}

std::string moved_tag_note(const registry::Reference& ref, const std::optional<Digest>& now,
                           const repo::LockedPackage& locked) {
  if (now && *now == locked.manifest) return "";
  if (now) {
    return fmt::format("{} now points at {}, but the lock keeps {} ({} {}); 'sheaf lock --update {}' moves it",
                       ref.str(), now->str(), locked.manifest.str(), locked.name, locked.version, locked.name);
  }
  return fmt::format("{} is gone from the registry; the lock keeps {} ({} {})", ref.str(), locked.manifest.str(),
                     locked.name, locked.version);
}

// A note when the tag an entry names points elsewhere than the lock, or "".
std::string moved_tag(registry::Registry& registry, const registry::Reference& ref, const repo::LockedPackage& locked) {
  if (ref.digest) return "";
  try {
    auto now = registry.get_manifest(ref.repository, ref.manifest_reference());
    return moved_tag_note(ref, now ? std::optional<Digest>(now->digest) : std::nullopt, locked);
  } catch (const Error&) {
    return "";  // only a note was at stake
  }
}

}  // namespace

repo::RegistryResolver registry_resolver(Session& session) {
  return [&session](const std::vector<std::string>& references,
                    const std::map<std::string, repo::LockedPackage>& keep) {
    store::LocalStore& store = session.store();
    std::vector<repo::RegistryPackage> out(references.size());
    std::vector<registry::Reference> refs;
    std::vector<std::size_t> remote;  // entries the registry must answer
    for (std::size_t i = 0; i < references.size(); ++i) {
      refs.push_back(registry::parse_reference(references[i]));
      out[i].reference = references[i];
      auto kept = keep.find(references[i]);
      if (kept == keep.end()) {
        remote.push_back(i);
        continue;
      }
      // A locked entry stays at its digest; the store answers when it can.
      const repo::LockedPackage& locked = kept->second;
      out[i].manifest = locked.manifest;
      out[i].id = locked.id;
      auto document = store.index().package(locked.id.str()) ? store.read_blob(locked.id) : std::nullopt;
      if (!document) {
        remote.push_back(i);
        continue;
      }
      out[i].package = package_candidate(
          pkg::Package::from_document(*document, fmt::format("{} (package {})", references[i], locked.id.str())));
    }
    std::map<std::string, std::unique_ptr<RegistryPool>> pools;
    for (std::size_t i : remote) {
      auto& pool = pools[refs[i].host];
      if (!pool) pool = std::make_unique<RegistryPool>(refs[i].host, session.registry_options());
    }
    std::vector<std::string> notes(references.size());
    parallel_for(remote.size(), 4, [&](std::size_t k) {
      const std::size_t i = remote[k];
      const registry::Reference& ref = refs[i];
      repo::RegistryPackage& r = out[i];
      RegistryPool& pool = *pools.at(ref.host);
      auto registry = pool.take();
      auto kept = keep.find(references[i]);
      if (kept != keep.end()) {
        const repo::LockedPackage& locked = kept->second;
        RegistryPackageInfo info = with_context(fmt::format("while reading the locked {}", references[i]), [&] {
          return inspect_package(*registry, by_digest(ref, locked.manifest));
        });
        if (Digest::of(info.document) != locked.id) {
          fail("{} at the locked {} carries the package {}, but the lock names {}", references[i],
               locked.manifest.str(), Digest::of(info.document).str(), locked.id.str());
        }
        r.package = package_candidate(info.package);
        notes[i] = moved_tag(*registry, ref, locked);
      } else {
        RegistryPackageInfo info =
            with_context(fmt::format("while reading {}", references[i]), [&] { return inspect_package(*registry, ref); });
        r.manifest = info.manifest;
        r.id = Digest::of(info.document);
        r.package = package_candidate(info.package);
        if (ref.digest && *ref.digest != r.manifest) {
          fail("{} names {}, but the registry answered with {}", references[i], ref.digest->str(), r.manifest.str());
        }
      }
      pool.give_back(std::move(registry));
    });
    for (const auto& note : notes) {
      if (!note.empty()) session.reporter().note(note);
    }
    return out;
  };
}

std::size_t fetch_registry_packages(Session& session, const repo::Lockfile& lock) {
  store::LocalStore& store = session.store();
  std::vector<const repo::LockedPackage*> missing;
  std::vector<PackagePullOptions> pulls;
  for (const auto& locked : lock.packages) {
    if (!locked.from_registry()) continue;
    if (store.index().package(locked.id.str()) && !store.index().partial_filter(locked.id.str())) continue;
    registry::Reference ref = registry::parse_reference(locked.registry);
    PackagePullOptions options{by_digest(ref, locked.manifest).str(), session.registry_options(), locked.id.str()};
    options.origin = locked.registry;
    options.context = fmt::format("while fetching {} {} from {}", locked.name, locked.version, locked.registry);
    // Has the tag moved since the lock? Read with the pull, on its connection.
    if (!ref.digest) options.watch_tag = ref.manifest_reference();
    missing.push_back(&locked);
    pulls.push_back(std::move(options));
  }
  if (missing.empty()) return 0;
  std::vector<PackagePullResult> pulled = pull_packages(session, pulls, 4);
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < missing.size(); ++i) {
    const repo::LockedPackage& locked = *missing[i];
    if (pulled[i].name != locked.name || pulled[i].version != locked.version) {
      fail("{} at {} is {} {}, but the lock names {} {}", locked.registry, locked.manifest.str(), pulled[i].name,
           pulled[i].version, locked.name, locked.version);
    }
    bytes += pulled[i].bytes_downloaded;
  }
  session.reporter().note(fmt::format("pulled {} registry packages ({})", missing.size(), human_bytes(bytes)));
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (!pulls[i].watch_tag) continue;
    std::string note = moved_tag_note(registry::parse_reference(missing[i]->registry), pulled[i].tag_now, *missing[i]);
    if (!note.empty()) session.reporter().note(note);
  }
  return missing.size();
}

}  // namespace sheaf::pipeline
