// Naming an image in a registry: docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX],
// as skopeo spells its docker transport (docs/formats/reference.md has the
// full grammar). The prefix keeps remote references apart from local names
// and layout paths; the host is always given, so no registry is implied.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/digest.hpp"

namespace sheaf::registry {

inline constexpr std::string_view kTransport = "docker://";

struct Reference {
  std::string host;        // "127.0.0.1:5000", "registry.test": lower case, with the port when given
  std::string repository;  // "team/app"
  std::optional<std::string> tag;
  std::optional<Digest> digest;

  // The tag or digest as a manifest URL names it: the digest when there is
  // one, else the tag ("latest" when neither was given).
  std::string manifest_reference() const;
  // docker://HOST/REPO:TAG or docker://HOST/REPO@sha256:HEX.
  std::string str() const;
  // HOST/REPO, without the transport, tag or digest.
  std::string name() const;
};

// Parses a reference. Throws a usage Error naming the part that is wrong.
// A reference with neither tag nor digest gets the tag "latest"; one with
// both is refused (which one was meant?).
Reference parse_reference(std::string_view text);

// True when `text` starts with docker://, so it is meant as a remote
// reference (and parse errors should say so).
bool is_remote(std::string_view text);

// The local image name a pulled reference is tagged with: the host with
// ':' spelled '_' (host names never hold '_', so this is one-to-one), then
// the repository: docker://127.0.0.1:5000/team/app:1.0 -> name
// "127.0.0.1_5000/team/app", tag "1.0". A reference by digest gets the tag
// "sha256-<hex>".
struct LocalName {
  std::string name;
  std::string tag;
};
LocalName local_name(const Reference& reference);

// Whether the host is this machine: "localhost", 127.0.0.0/8 or [::1].
// Plain HTTP is allowed to such a registry without --tls-verify=false.
bool is_loopback(std::string_view host);

}  // namespace sheaf::registry
