#include "pipeline/registry_sources.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "base/error.hpp"
#include "pipeline/registry.hpp"
#include "registry/reference.hpp"

namespace sheaf::pipeline {

namespace {

repo::RegistryCandidate candidate_of(const pkg::Package& p) {
  return {p.name,          p.version,         p.arch,          p.pre_depends.str(),
          p.depends.str(), p.provides.str(), p.conflicts.str(), p.breaks.str()};
}

// One client per registry host, made when first needed.
class Registries {
 public:
  explicit Registries(const registry::Options& options) : options_(options) {}
  registry::Registry& at(const std::string& host) {
    auto& client = clients_[host];
    if (!client) client = std::make_unique<registry::Registry>(host, options_);
    return *client;
  }

 private:
  const registry::Options& options_;
  std::map<std::string, std::unique_ptr<registry::Registry>> clients_;
};

registry::Reference by_digest(registry::Reference ref, const Digest& manifest) {
  ref.tag.reset();
  ref.digest = manifest;
  return ref;
}

// Notes when the tag an entry names points elsewhere than the lock.
void note_moved_tag(Session& session, registry::Registry& registry, const registry::Reference& ref,
                    const repo::LockedPackage& locked) {
  if (ref.digest) return;
  try {
    auto now = registry.get_manifest(ref.repository, ref.manifest_reference());
    if (now && now->digest != locked.manifest) {
      session.reporter().note(fmt::format(
          "{} now points at {}, but the lock keeps {} ({} {}); 'sheaf lock --update {}' moves it", ref.str(),
          now->digest.str(), locked.manifest.str(), locked.name, locked.version, locked.name));
    } else if (!now) {
      session.reporter().note(fmt::format("{} is gone from the registry; the lock keeps {} ({} {})", ref.str(),
                                          locked.manifest.str(), locked.name, locked.version));
    }
  } catch (const Error&) {
    // Only a note was at stake.
  }
}

}  // namespace

repo::RegistryResolver registry_resolver(Session& session) {
  return [&session](const std::vector<std::string>& references,
                    const std::map<std::string, repo::LockedPackage>& keep) {
    Registries registries(session.registry_options());
    store::LocalStore& store = session.store();
    std::vector<repo::RegistryPackage> out;
    for (const auto& text : references) {
      registry::Reference ref = registry::parse_reference(text);
      repo::RegistryPackage r;
      r.reference = text;
      pkg::Package package;
      if (auto kept = keep.find(text); kept != keep.end()) {
        const repo::LockedPackage& locked = kept->second;
        r.manifest = locked.manifest;
        r.id = locked.id;
        if (auto document = store.index().package(locked.id.str()) ? store.read_blob(locked.id) : std::nullopt) {
          package = pkg::Package::from_document(*document, fmt::format("{} (package {})", text, locked.id.str()));
        } else {
          registry::Registry& registry = registries.at(ref.host);
          RegistryPackageInfo info = with_context(fmt::format("while reading the locked {}", text), [&] {
            return inspect_package(registry, by_digest(ref, locked.manifest));
          });
          if (Digest::of(info.document) != locked.id) {
            fail("{} at the locked {} carries the package {}, but the lock names {}", text, locked.manifest.str(),
                 Digest::of(info.document).str(), locked.id.str());
          }
          package = std::move(info.package);
          note_moved_tag(session, registry, ref, locked);
        }
      } else {
        RegistryPackageInfo info = with_context(fmt::format("while reading {}", text), [&] {
          return inspect_package(registries.at(ref.host), ref);
        });
        r.manifest = info.manifest;
        r.id = Digest::of(info.document);
        package = std::move(info.package);
        if (ref.digest && *ref.digest != r.manifest) {
          fail("{} names {}, but the registry answered with {}", text, ref.digest->str(), r.manifest.str());
        }
      }
      r.package = candidate_of(package);
      out.push_back(std::move(r));
    }
    return out;
  };
}

std::size_t fetch_registry_packages(Session& session, const repo::Lockfile& lock) {
  store::LocalStore& store = session.store();
  std::size_t pulled = 0;
  Registries registries(session.registry_options());
  for (const auto& locked : lock.packages) {
    if (!locked.from_registry()) continue;
    if (store.index().package(locked.id.str()) && !store.index().partial_filter(locked.id.str())) continue;
    registry::Reference ref = registry::parse_reference(locked.registry);
    PackagePullOptions options{by_digest(ref, locked.manifest).str(), session.registry_options(), locked.id.str()};
    options.origin = locked.registry;
    PackagePullResult result = with_context(fmt::format("while fetching {} {} from {}", locked.name, locked.version,
                                                        locked.registry),
                                            [&] { return pull_package(session, options, registries.at(ref.host)); });
    if (result.name != locked.name || result.version != locked.version) {
      fail("{} at {} is {} {}, but the lock names {} {}", locked.registry, locked.manifest.str(), result.name,
           result.version, locked.name, locked.version);
    }
    ++pulled;
    note_moved_tag(session, registries.at(ref.host), ref, locked);
  }
  if (pulled > 0) session.reporter().note(fmt::format("pulled {} registry packages", pulled));
  return pulled;
}

}  // namespace sheaf::pipeline
