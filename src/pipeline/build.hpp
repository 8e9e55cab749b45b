// `sheaf build`: lock (or keep the lock), fetch what the store lacks,
// compose, and write the image out where asked. A spec whose arch is a list
// gives an image index: one image per architecture, under one tag.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "image/compose.hpp"
#include "image/image_index.hpp"
#include "pipeline/session.hpp"
#include "spec/spec.hpp"

namespace sheaf::pipeline {

// Where an image is written besides the store.
struct Outputs {
  std::filesystem::path layout;  // an OCI layout directory to write or add to
  bool sbom = false;             // attach SPDX and CycloneDX SBOMs to `layout`
  std::filesystem::path oci_archive;
  std::filesystem::path docker_archive;
};

struct BuildOptions {
  std::string tag;                                // NAME[:TAG]; "" for the spec's [image] name, tag latest
  bool locked = false;                            // fail instead of creating or changing the lock
  bool allow_unsigned = false;                    // when locking: accept unsigned repositories
  unsigned jobs = 0;                              // threads; 0 for one per core
  std::optional<std::int64_t> source_date_epoch;  // the image's "created"
  // The package policy registry packages must pass, instead of the host's
  // (sign/package_policy.hpp).
  std::optional<std::filesystem::path> package_policy;
  Outputs outputs;
  std::string runtime;  // for [trim]'s workloads: runc, crun, or "" to pick
};

struct Tag {
  std::string name;  // "" for an untagged image
  std::string tag = "latest";
  // "name:tag", or "" when untagged.
  std::string str() const { return name.empty() ? "" : name + ":" + tag; }
};

// What a trim kept, for people.
struct TrimSummary {
  std::size_t packages_before = 0, packages_after = 0;
  std::uint64_t entries_before = 0, entries_after = 0;
  std::uint64_t bytes_before = 0, bytes_after = 0;  // file content, uncompressed
};

struct BuildResult {
  image::ComposeResult composed;  // with [trim], the trimmed image; unset for an index
  Tag tag;
  // With [trim]: the image that was traced, and what the trim kept.
  std::optional<std::string> untrimmed;
  std::optional<TrimSummary> trim;
  // For an image index ([source.debian] arch a list): the index the tag
  // names, and each architecture's image, in the spec's order.
  std::optional<image::IndexResult> index;
  std::vector<image::ComposeResult> platforms;
};

BuildResult build(Session& session, const spec::Spec& spec, const BuildOptions& options);

// The tag `ref` names when it is NAME[:TAG] and that tag points at `digest`.
std::optional<Tag> tag_named_by(store::Index& index, const std::string& ref, const std::string& digest);

// Writes a stored image to the outputs asked for, noting each. `tag` names it
// in a layout's ref and a docker-archive's RepoTags.
void write_outputs(Session& session, const Digest& manifest, const Tag& tag, const Outputs& outputs);

}  // namespace sheaf::pipeline
