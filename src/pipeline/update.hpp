// `sheaf image update`: a stored image with some packages changed, resolved
// and fetched from its recorded sources where the store lacks them, composed
// again (image/update.hpp), and written out where asked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/compose.hpp"
#include "image/image_index.hpp"
#include "image/update.hpp"
#include "pipeline/build.hpp"
#include "pipeline/session.hpp"

namespace sheaf::pipeline {

struct UpdateOptions {
  std::string image;                                     // a digest, NAME[:TAG] or an OCI layout path
  std::vector<std::pair<std::string, std::string>> set;  // NAME, VERSION or package id
  std::vector<spec::PackagePin> add;
  std::vector<std::string> remove;
  std::filesystem::path from_lock;  // take every Debian package from this lock
  std::string tag;                  // NAME[:TAG]; "" moves the tag IMAGE names, if it names one
  bool allow_unsigned = false;
  unsigned jobs = 0;
  std::optional<std::int64_t> source_date_epoch;
  Outputs outputs;  // the layout only
};

struct UpdateResult {
  std::string old_digest;
  image::UpdatePlan plan;
  image::ComposeResult composed;
  Tag tag;
  // The assembly's versions when it changed ("" when it did not).
  std::string old_assembly;
  std::string new_assembly;
  // An image index: every platform's image updated, in the index's order
  // (each untagged), and the new index, which the tag names. Every image is
  // planned before any is composed: when one cannot be updated, nothing is.
  std::optional<image::IndexResult> index;
  std::vector<UpdateResult> platforms;
};

UpdateResult update(Session& session, const UpdateOptions& options);

}  // namespace sheaf::pipeline
