#include "pipeline/run.hpp"

#include "image/image_ref.hpp"

namespace sheaf::pipeline {

int run(Session& session, const std::string& image, run::RunRequest request, const TrustOptions& trust) {
  store::ImageRecord record = image::resolve_image(session.store().index(), image);
  request.manifest = *Digest::parse(record.digest);
  require_trusted(session, image, request.manifest, trust);
  return run::run_container(session.store(), request);
}

Exported export_rootfs(Session& session, const std::string& image, const std::filesystem::path& dir) {
  store::ImageRecord record = image::resolve_image(session.store().index(), image);
  return {record.digest, run::export_rootfs(session.store(), *Digest::parse(record.digest), dir)};
}

}  // namespace sheaf::pipeline
