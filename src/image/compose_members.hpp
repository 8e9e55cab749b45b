// The members a composition is made of, as compose.cpp's Composer holds
// them, and the ones a build makes itself from the spec's [[files]]. Private
// to the image module: compose.hpp is the interface.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "fileset/manifest.hpp"
#include "pkg/package.hpp"
#include "spec/spec.hpp"
#include "store/index.hpp"
#include "store/write_batch.hpp"

namespace sheaf::image::detail {

inline constexpr std::string_view kAssemblyName = "sheaf-assembly";

// `debian`: a locked package, from Debian's suites or a registry.
enum class Kind { debian, files, assembly };

struct Member {
  Kind kind = Kind::debian;
  bool stored = false;  // read from the store, not made by this build
  store::PackageRecord record;
  pkg::Package package;
  pkg::PackageMetadata metadata;
  fileset::Manifest manifest;  // after drop_paths
  std::uint64_t dropped = 0;
  std::string origin;     // canonical JSON, for members this build adds to the store
  bool from_deb = false;  // a Debian .deb (directly or through a registry): its purl is a deb one
  std::string label() const { return record.name + " " + record.version; }
};

// Finishes a package this build makes (a [[files]] one or the assembly):
// stages its manifest and document, and fills its record.
void finish_local_member(Member& m, store::WriteBatch& batch);

// A [[files]] entry read into the batch as a package of its own: the FileSet
// read from `src`, moved under `dest`, owned as the entry says. Without an
// `arch`, an ELF file of another machine than `arch` is a warning.
Member read_local_files(const spec::Spec& spec, const spec::LocalFiles& files, const std::string& arch,
                        store::WriteBatch& batch, unsigned threads,
                        const std::function<void(const std::string&)>& warn);

}  // namespace sheaf::image::detail
