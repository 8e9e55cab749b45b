// Naming an image on the command line.
//
//   sha256:<hex>       a manifest digest, in full or as a unique prefix of at
//   <hex>              least 12 hex digits
//   NAME[:TAG]         a tag the store records (TAG defaults to "latest")
//   PATH[:REF]         an OCI layout directory; with several images in it,
//                      REF picks one by its org.opencontainers.image.ref.name
//
// A path is recognised by containing a '/' or naming an existing directory.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "store/index.hpp"

namespace sheaf::image {

inline constexpr std::size_t kMinDigestPrefix = 12;

// Splits "name:tag" (tag "latest" when absent). Throws a usage Error when the
// name or tag is malformed: names are lower-case [a-z0-9._/-] components as
// OCI references spell them, tags [A-Za-z0-9_.-]{1,128}.
std::pair<std::string, std::string> parse_tag(std::string_view text);

// Throws an Error naming what was tried when nothing matches or a prefix is
// ambiguous.
store::ImageRecord resolve_image(store::Index& index, std::string_view ref);

}  // namespace sheaf::image
