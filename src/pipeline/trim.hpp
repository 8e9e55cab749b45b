// `sheaf trim`: an image traced while its workloads run, and composed again
// from what they used (image/trim.hpp; docs/formats/trim.md).
//
//   1. the image is named and its composition read (image/update.hpp): a
//      trim composes the same set as the image, so it needs the recipe the
//      image recorded; a trimmed image is refused;
//   2. each workload runs under sheaf run's machinery with the root served
//      through the tracing filesystem (run/trace_fs.hpp), with a time limit;
//      a server workload's readiness check and probes run on the host while
//      it runs, and then it is stopped. A workload that exits non-zero is
//      refused unless failure is allowed: a trim of a failing run keeps too
//      little;
//   3. compose_image composes the set again, trimmed to the union of the
//      paths the workloads used, and records the profile beside the image.
//
// Tracing needs root (it mounts an overlay and a FUSE filesystem), as sheaf
// run does.
#pragma once

#include <string>
#include <vector>

#include "image/compose.hpp"
#include "pipeline/build.hpp"
#include "pipeline/session.hpp"
#include "run/trace_fs.hpp"
#include "spec/spec.hpp"

namespace sheaf::pipeline {

struct TrimOptions {
  std::string image;           // a digest, NAME[:TAG] or an OCI layout path
  spec::TrimSpec trim;         // the workloads and the keep globs
  bool allow_failure = false;  // every workload may exit non-zero
  std::string tag;             // NAME[:TAG]; "": IMAGE's name with the tag TAG-trimmed, when IMAGE is a tag
  Outputs outputs;
  std::string runtime;  // runc, crun, or "" to pick
  unsigned jobs = 0;
};

struct WorkloadRun {
  std::string name;
  int exit_code = 0;
  std::size_t paths = 0;  // paths it used
};

struct TrimResult {
  std::string source;  // the traced image's digest
  std::vector<WorkloadRun> runs;
  TrimSummary summary;
  image::ComposeResult composed;
  Tag tag;
};

TrimResult trim(Session& session, const TrimOptions& options);

// Trims the stored image `manifest` with `trim` and tags the result `tag`:
// steps 1 to 3 above, for `trim` and for `sheaf build` of a spec with [trim].
TrimResult trim_image(Session& session, const std::string& manifest, const spec::TrimSpec& trim, bool allow_failure,
                      const Tag& tag, const std::string& runtime, unsigned threads);

// Runs one workload traced over `manifest`. Refuses (an Error) a run that
// timed out, and a non-zero exit unless `allow_failure`.
struct TracedRun {
  int exit_code = 0;
  run::AccessTrace trace;
};
TracedRun trace_workload(Session& session, const std::string& manifest, const spec::Workload& workload,
                         bool allow_failure, const std::string& runtime);

// `sheaf trim --check IMAGE`: runs `workload` on a trimmed image, traced,
// and lists the paths it looked for that the image it was trimmed from
// holds: what the trim removed and the workload wanted.
struct TrimCheck {
  std::string image;  // the trimmed image's digest
  int exit_code = 0;  // the workload's
  std::vector<std::string> removed;
};
TrimCheck check_trim(Session& session, const std::string& image, const spec::Workload& workload,
                     const std::string& runtime);

}  // namespace sheaf::pipeline
