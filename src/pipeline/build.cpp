#include "pipeline/build.hpp"

#include <fmt/format.h>

#include <map>

#include "base/error.hpp"
#include "base/host.hpp"
#include "base/text.hpp"
#include "image/export.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/lock.hpp"
#include "pipeline/package_trust.hpp"
#include "pipeline/recipe.hpp"
#include "pipeline/registry_sources.hpp"
#include "pipeline/trim.hpp"
#include "sbom/attach.hpp"
#include "sbom/documents.hpp"
#include "sbom/inventory.hpp"

namespace sheaf::pipeline {

namespace {

Tag tag_for(const spec::Spec& spec, const std::string& option) {
  Tag tag;
  if (!option.empty()) {
    std::tie(tag.name, tag.tag) = image::parse_tag(option);
  } else if (!spec.image.name.empty()) {
    tag.name = image::parse_tag(spec.image.name).first;
  }
  return tag;
}

// Where the image came from: the spec, the lock's digest and the
// [source.debian] request. Its "mirror" is the spec's; without one, packages
// come from the host's apt sources, resolved again whenever they are
// fetched. Nothing here depends on whether this build fetched, so rebuilds
// record the same sources.
image::ImageSources sources_of(const spec::Spec& spec, const repo::LockSet* lock) {
  auto absolute = std::filesystem::absolute(spec.path).lexically_normal();
  image::ImageSources sources;
  sources.spec = absolute.string();
  if (lock) {
    sources.lock = image::RecordedLock{std::filesystem::absolute(repo::lock_path_for(spec)).lexically_normal().string(),
                                       Digest::of(lock->render()).hex()};
    sources.debian = spec.debian;
  }
  return sources;
}

// The spec's [[recipes]], each built unless the store has the output of its
// inputs (pipeline/recipe.hpp): the path as written -> the package id.
std::map<std::string, std::string> build_recipes(Session& session, const spec::Spec& spec, const repo::Lockfile& lock,
                                                 const BuildOptions& options) {
  std::map<std::string, std::string> out;
  for (const auto& ref : spec.recipes) {
    const repo::LockedPackage* locked = lock.find_recipe(ref.path_as_written);
    if (!locked) fail("internal: the recipe {} is not in the lock", quote(ref.path_as_written));
    RecipeBuildOptions recipe_options{.locked = options.locked, .allow_unsigned = options.allow_unsigned,
                                      .rebuild = false, .jobs = options.jobs};
    RecipeBuildResult built = with_context(
        fmt::format("while building the recipe {} ({})", quote(ref.path_as_written), spec.where(ref.position)),
        [&] { return build_recipe(session, spec::Recipe::load(ref.path), recipe_options); });
    if (built.name != locked->name || built.version != locked->version) {
      fail("the recipe {} built {} {}, but the lock has {} {}; run 'sheaf lock'", quote(ref.path_as_written),
           built.name, built.version, locked->name, locked->version);
    }
    out[ref.path_as_written] = built.package_id;
  }
  return out;
}

// What one image's composition starts from: its spec (one architecture's),
// its section of the lock and the store's packages for it.
struct ImagePlan {
  const spec::Spec* spec = nullptr;
  const repo::LockSet* lock = nullptr;      // the whole lock, for the recorded sources
  const repo::Lockfile* section = nullptr;  // this architecture's packages
  std::map<std::string, std::string> recipe_outputs;
};

image::ComposeRequest compose_request(Session& session, const ImagePlan& plan, const BuildOptions& options) {
  image::ComposeRequest request;
  request.threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  request.arch = plan.spec->debian ? plan.spec->debian->arch : host_debian_arch();
  if (plan.section) {
    request.debian_packages = locked_package_ids(session.store(), *plan.section, plan.recipe_outputs);
    if (!plan.section->suites.empty()) request.os = image::os_release_for_suite(plan.section->suites.front());
  }
  request.sources = sources_of(*plan.spec, plan.lock);
  if (plan.section) {
    // Which source answered for each locked package.
    for (std::size_t i = 0; i < plan.section->packages.size(); ++i) {
      const repo::LockedPackage& p = plan.section->packages[i];
      request.sources.packages[request.debian_packages[i]] = p.from_registry() ? p.registry
                                                             : p.from_recipe() ? "recipe " + p.recipe
                                                                               : "debian " + p.suite;
    }
  }
  request.source_date_epoch = options.source_date_epoch;
  Reporter& reporter = session.reporter();
  request.warn = [&reporter](const std::string& w) { reporter.warning(w); };
  request.note = [&reporter](const std::string& n) { reporter.note(n); };
  request.suggest = [&reporter](const image::Suggestion& s) { reporter.suggestion(s); };
  request.on_layer = [&reporter](std::size_t done, std::size_t total) {
    reporter.progress({Progress::Stage::layers, done, total, 0, 0});
  };
  return request;
}

// An index: each architecture's image, composed from its section of the
// lock, then the index of them, which the tag names. Packages the sections
// share (Architecture: all) are the same packages, so their layers are the
// same blobs in every image.
BuildResult build_index(Session& session, const spec::Spec& spec, const repo::LockSet& lock,
                        const std::map<std::string, std::string>& recipe_outputs, const BuildOptions& options,
                        BuildResult result) {
  std::vector<image::IndexImage> images;
  for (const auto& section : lock.arches) {
    spec::Spec one = spec.for_arch(section.arch);
    ImagePlan plan{&one, &lock, &section, recipe_outputs};
    image::ComposeRequest request = compose_request(session, plan, options);
    image::ComposeResult composed = with_context(fmt::format("while composing the image for {}", section.arch), [&] {
      ProgressScope scope(session.reporter());
      return image::compose_image(session.store(), one, request);
    });
    session.reporter().note(
        fmt::format("{}: {}", oci::platform_of_debian_arch(section.arch).str(), composed.manifest.str()));
    images.push_back({composed.manifest, section.arch});
    result.platforms.push_back(std::move(composed));
  }
  result.index = image::record_index(session.store(), images, result.tag.name, result.tag.tag);
  write_outputs(session, result.index->digest, result.tag, options.outputs);
  return result;
}

}  // namespace

BuildResult build(Session& session, const spec::Spec& spec, const BuildOptions& options) {
  if (options.outputs.sbom && options.outputs.layout.empty()) {
    fail_usage("--sbom attaches the SBOMs to the OCI layout; give -o DIR too");
  }
  if (spec.debian && spec.debian->index && !options.outputs.docker_archive.empty()) {
    fail_usage(
        "{} builds an image index, and a docker-archive holds one platform's image: write -o or "
        "--oci-archive, or export one platform with 'sheaf image export --platform'",
        spec.path.string());
  }
  BuildResult result;
  result.tag = tag_for(spec, options.tag);
  unsigned threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  std::optional<repo::LockSet> lock;
  if (!spec.debian && !spec.recipes.empty()) {
    fail("{} names recipes ({}) but has no [source.debian]: their outputs are resolved with the Debian packages they "
         "depend on",
         quote(spec.path.string()), spec.where(spec.recipes.front().position));
  }
  std::map<std::string, std::string> recipe_outputs;
  if (spec.debian) {
    lock = ensure_lock(session, spec, options.locked, options.allow_unsigned);
    // Every architecture's packages in one fetch: a shared package once.
    repo::Lockfile all = lock->merged();
    fetch_missing(session, all, *spec.debian, threads);
    fetch_registry_packages(session, all);
    check_package_policy(session, all, options.package_policy);
    recipe_outputs = build_recipes(session, spec, all, options);
    if (lock->index) return build_index(session, spec, *lock, recipe_outputs, options, std::move(result));
  }
  ImagePlan plan{&spec, lock ? &*lock : nullptr, lock ? &lock->arches.front() : nullptr, recipe_outputs};
  image::ComposeRequest request = compose_request(session, plan, options);
  // With [trim], the composed image is the one traced; the tag goes to the
  // trimmed image.
  if (!spec.trim) {
    request.tag_name = result.tag.name;
    request.tag = result.tag.tag;
  }
  {
    ProgressScope scope(session.reporter());
    result.composed = image::compose_image(session.store(), spec, request);
  }
  if (spec.trim) {
    result.untrimmed = result.composed.manifest.str();
    TrimResult trimmed = with_context(fmt::format("while trimming the image of {} ([trim])", spec.path.string()), [&] {
      return trim_image(session, *result.untrimmed, *spec.trim, false, result.tag, options.runtime, request.threads);
    });
    result.composed = std::move(trimmed.composed);
    result.trim = trimmed.summary;
  }
  write_outputs(session, result.composed.manifest, result.tag, options.outputs);
  return result;
}

std::optional<Tag> tag_named_by(store::Index& index, const std::string& ref, const std::string& digest) {
  if (ref.starts_with("sha256:") || ref.find('/') != std::string::npos) return std::nullopt;
  try {
    auto [name, tag] = image::parse_tag(ref);
    if (index.tagged_image(name, tag) == digest) return Tag{name, tag};
  } catch (const Error&) {
  }
  return std::nullopt;
}

void write_outputs(Session& session, const Digest& manifest, const Tag& tag, const Outputs& outputs) {
  store::LocalStore& store = session.store();
  Reporter& reporter = session.reporter();
  std::string ref_name = tag.name.empty() ? "" : tag.tag;
  if (!outputs.layout.empty()) {
    auto stats = image::write_oci_layout(store, manifest, outputs.layout, ref_name);
    reporter.note(fmt::format("wrote the OCI layout {}{} ({} copied)", outputs.layout.string(),
                              ref_name.empty() ? "" : ":" + ref_name, human_bytes(stats.bytes_copied)));
    if (outputs.sbom) {
      auto record = store.index().image(manifest.str());
      if (!record) fail("the image {} is not in the store", manifest.str());
      // An index's SBOMs are its images': each refers to its own image.
      std::vector<store::ImageRecord> images;
      if (record->is_index()) {
        for (auto& p : image::index_platforms(store.index(), *record)) images.push_back(std::move(p.record));
      } else {
        images.push_back(*record);
      }
      for (const auto& one : images) {
        sbom::Inventory inventory = sbom::load_inventory(store, one);
        auto digest = Digest::parse(one.digest);
        if (!digest) fail("internal: the image digest {} is malformed", one.digest);
        oci::Descriptor image{std::string(oci::kMediaTypeManifest), *digest, one.size, {}, std::nullopt, ""};
        sbom::attach_sboms(outputs.layout, image, one.created,
                           {{std::string(sbom::kMediaTypeSpdx), sbom::render_spdx(inventory)},
                            {std::string(sbom::kMediaTypeCycloneDx), sbom::render_cyclonedx(inventory)}});
      }
      reporter.note(
          fmt::format("attached the SPDX and CycloneDX SBOMs to {}{}", outputs.layout.string(),
                      images.size() > 1 ? fmt::format(" (one pair per platform, {} images)", images.size()) : ""));
    }
  }
  if (!outputs.oci_archive.empty()) {
    image::write_oci_archive(store, manifest, outputs.oci_archive, ref_name);
    reporter.note(fmt::format("wrote the oci-archive {}", outputs.oci_archive.string()));
  }
  if (!outputs.docker_archive.empty()) {
    image::write_docker_archive(store, manifest, outputs.docker_archive, tag.str());
    reporter.note(fmt::format("wrote the docker-archive {}", outputs.docker_archive.string()));
  }
}

}  // namespace sheaf::pipeline
