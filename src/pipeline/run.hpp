// `sheaf run` and `sheaf image export`: an image named as the user names it
// (image/image_ref.hpp), run or flattened (run/container.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "oci/documents.hpp"
#include "pipeline/session.hpp"
#include "pipeline/trust.hpp"
#include "run/container.hpp"

namespace sheaf::pipeline {

// Runs `image` to its end with `request` (whose manifest is set here) and
// returns the container's exit status (run/container.hpp). The trust policy
// must accept the image first (pipeline/trust.hpp, require_trusted). An
// index runs its image for `platform`, else the host's
// (image/image_index.hpp); an image of another architecture runs through
// qemu-user (run/emulation.hpp).
int run(Session& session, const std::string& image, run::RunRequest request, const TrustOptions& trust = {},
        const std::optional<oci::Platform>& platform = std::nullopt);

struct Exported {
  std::string digest;
  std::uint64_t files = 0;
};
// Writes the image's flattened root to `dir` (absent or empty); an index's
// image for `platform`, else the host's.
Exported export_rootfs(Session& session, const std::string& image, const std::filesystem::path& dir,
                       const std::optional<oci::Platform>& platform = std::nullopt);

}  // namespace sheaf::pipeline
