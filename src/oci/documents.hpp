// OCI image documents: descriptors, the image config, the image manifest and
// the image index (OCI image spec 1.1). Every document is written as
// canonical JSON (docs/formats/canonical-json.md), so its bytes, and so its
// digest, are a function of its content alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/digest.hpp"

namespace sheaf::oci {

inline constexpr std::string_view kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
// The empty config of an artifact manifest: the two bytes "{}".
inline constexpr std::string_view kMediaTypeEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kAnnotationCreated = "org.opencontainers.image.created";

struct Platform {
  std::string architecture;  // "amd64"
  std::string os = "linux";
  std::string variant;  // "v7" for arm; written only when set (index entries)
  friend bool operator==(const Platform&, const Platform&) = default;

  // "linux/arm64/v8", "linux/amd64".
  std::string str() const;
};

// The OCI platform (GOARCH names) of a Debian architecture: amd64 -> amd64,
// arm64 -> arm64 (variant v8), armhf -> arm v7, armel -> arm v5, i386 ->
// 386, ppc64el -> ppc64le, mips64el -> mips64le; others keep their name.
Platform platform_of_debian_arch(std::string_view debian_arch);

// Parses what --platform takes: "OS/ARCH[/VARIANT]" or "ARCH[/VARIANT]"
// (os linux), in OCI names ("linux/arm64") or Debian's ("arm64",
// "armhf"). Throws a usage Error naming the text when it is malformed.
Platform parse_platform(std::string_view text);

// Whether an image for `offered` answers a request for `wanted`: the same
// os and architecture, and the same variant when both name one.
bool platform_matches(const Platform& offered, const Platform& wanted);

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;  // "" for an image; set for an artifact (OCI 1.1), such as an SBOM
  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

// The runtime part of the config ("config" in the spec). Empty fields are
// left out of the document.
struct RuntimeConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string user;
  std::string working_dir;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  friend bool operator==(const RuntimeConfig&, const RuntimeConfig&) = default;
};

struct ImageConfig {
  Platform platform;
  std::string created;  // RFC 3339, UTC: "2024-06-01T12:00:00Z"
  RuntimeConfig config;
  std::vector<Digest> diff_ids;
  // One history entry per layer, in layer order ("created_by").
  std::vector<std::string> history;
  friend bool operator==(const ImageConfig&, const ImageConfig&) = default;
};

struct ImageManifest {
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  // OCI 1.1 artifacts (referrers): what the artifact is, and the manifest it
  // refers to. Both absent for an image.
  std::string artifact_type;
  std::optional<Descriptor> subject;
  friend bool operator==(const ImageManifest&, const ImageManifest&) = default;
};

struct ImageIndex {
  std::vector<Descriptor> manifests;
  friend bool operator==(const ImageIndex&, const ImageIndex&) = default;
};

std::string render(const ImageConfig& config);
std::string render(const ImageManifest& manifest);
std::string render(const ImageIndex& index);

// Parsers for documents sheaf reads back (its own, or a layout's index.json
// written by another tool). Unknown fields are ignored, as the spec asks.
// Throw ParseError naming `where`.
ImageConfig parse_config(std::string_view bytes, std::string_view where);
ImageManifest parse_manifest(std::string_view bytes, std::string_view where);
ImageIndex parse_index(std::string_view bytes, std::string_view where);

// Seconds since the epoch as RFC 3339 UTC ("1970-01-01T00:00:01Z").
std::string rfc3339_utc(std::int64_t seconds);

}  // namespace sheaf::oci
