#include "pipeline/run.hpp"

#include "image/image_index.hpp"
#include "image/image_ref.hpp"

namespace sheaf::pipeline {

int run(Session& session, const std::string& image, run::RunRequest request, const TrustOptions& trust,
        const std::optional<oci::Platform>& platform) {
  store::ImageRecord named = image::resolve_image(session.store().index(), image);
  // The policy judges what the user named (an index is signed as one).
  require_trusted(session, image, *Digest::parse(named.digest), trust);
  store::ImageRecord record = image::select_image(session.store(), named, platform, image);
  request.manifest = *Digest::parse(record.digest);
  return run::run_container(session.store(), request);
}

Exported export_rootfs(Session& session, const std::string& image, const std::filesystem::path& dir,
                       const std::optional<oci::Platform>& platform) {
  store::ImageRecord named = image::resolve_image(session.store().index(), image);
  store::ImageRecord record = image::select_image(session.store(), named, platform, image);
  return {record.digest, run::export_rootfs(session.store(), *Digest::parse(record.digest), dir)};
}

}  // namespace sheaf::pipeline
