#include "pipeline/trim.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include "base/error.hpp"
#include "base/host.hpp"
#include "base/process.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "image/sources.hpp"
#include "image/stored_image.hpp"
#include "image/update.hpp"
#include "pipeline/trust.hpp"
#include "run/container.hpp"

namespace sheaf::pipeline {

namespace {

using std::chrono::steady_clock;

constexpr auto kReadyInterval = std::chrono::milliseconds(250);
constexpr auto kStopGrace = std::chrono::seconds(10);

// Runs a readiness check or probe on the host; its output goes to stderr
// (a readiness check's is discarded: it fails until the server is up).
int run_on_host(const std::vector<std::string>& argv, bool quiet, const std::string& workload) {
  auto pid = spawn(
      argv,
      {.stdin_null = true, .stdout_fd = quiet ? -1 : STDERR_FILENO, .discard_stdout = quiet, .discard_stderr = quiet});
  if (!pid)
    fail("workload {}: cannot run {} on the host: not installed or not executable", quote(workload),
         quote(argv.front()));
  int status = wait_for(*pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A server workload, beside the container: wait until `ready` succeeds,
// run each probe, stop the server. Throws when the server never becomes
// ready or a probe fails (after stopping it).
void serve(const spec::Workload& w, const run::ContainerHandle& container, const std::string& stop_signal) {
  auto deadline = steady_clock::now() + std::chrono::seconds(w.ready_timeout);
  int last = 0;
  for (;;) {
    if (container.ended()) {
      fail("workload {}: the server ended before {} succeeded", quote(w.name),
           quote(fmt::format("{}", fmt::join(w.ready, " "))));
    }
    last = run_on_host(w.ready, true, w.name);
    if (last == 0) break;
    if (steady_clock::now() > deadline) {
      container.signal("SIGKILL");
      fail("workload {}: {} did not succeed within {} s (ready_timeout); it last exited with {}", quote(w.name),
           quote(fmt::format("{}", fmt::join(w.ready, " "))), w.ready_timeout, last);
    }
    std::this_thread::sleep_for(kReadyInterval);
  }
  std::optional<std::string> failed;
  for (const auto& probe : w.probes) {
    int code = run_on_host(probe, false, w.name);
    if (code != 0) {
      failed = fmt::format("workload {}: the probe {} exited with {}", quote(w.name),
                           quote(fmt::format("{}", fmt::join(probe, " "))), code);
      break;
    }
  }
  container.signal(stop_signal);
  auto grace = steady_clock::now() + kStopGrace;
  while (!container.ended() && steady_clock::now() < grace) std::this_thread::sleep_for(kReadyInterval);
  if (!container.ended()) container.signal("SIGKILL");
  if (failed) fail("{}", *failed);
}

std::optional<std::int64_t> seconds_of(const std::string& rfc3339) {
  std::tm tm{};
  const char* end = ::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string label_of(const std::string& ref, const std::string& digest) {
  return ref == digest ? digest : fmt::format("{} ({})", ref, digest);
}

// Composes `composition` again as `record` was composed: the same members,
// recipe, sources and creation time, so the same bytes.
image::ComposeRequest recompose_request(const image::StoredComposition& composition, const store::ImageRecord& record,
                                        Reporter& reporter, unsigned threads) {
  image::ComposeRequest request;
  for (const auto& p : composition.debian) request.debian_packages.push_back(p.id);
  request.files_packages = composition.recipe.files;
  request.arch = composition.recipe.arch;
  request.os = composition.recipe.os;
  request.source_date_epoch = seconds_of(record.created);
  request.sources = composition.sources;
  request.sources.trim.reset();
  request.keep_recorded_sources = true;
  request.threads = threads;
  request.warn = [&reporter](const std::string& text) { reporter.warning(text); };
  request.note = [&reporter](const std::string& text) { reporter.note(text); };
  return request;
}

void require_root() {
  if (::geteuid() != 0) {
    fail(
        "tracing a workload needs root, as sheaf run does: it mounts an overlay and a FUSE filesystem and hands the "
        "root to runc or crun");
  }
}

}  // namespace

TracedRun trace_workload(Session& session, const std::string& manifest, const spec::Workload& w, bool allow_failure,
                         const std::string& runtime) {
  store::LocalStore& store = session.store();
  Digest digest = *Digest::parse(manifest);
  run::RunRequest request;
  request.manifest = digest;
  request.env = w.env;
  request.user = w.user;
  request.workdir = w.workdir;
  request.entrypoint = w.entrypoint;
  request.cmd = w.args;
  request.network = w.uses_host_network() ? run::Network::host : run::Network::none;
  request.runtime = runtime;
  TracedRun out;
  run::RunControl control;
  control.trace = &out.trace;
  control.time_limit = std::chrono::seconds(w.timeout);
  control.stdout_fd = STDERR_FILENO;  // stdout is for sheaf's own answer
  if (w.server()) {
    std::string stop = w.stop_signal;
    if (stop.empty()) stop = image::load_image(store, digest).config.config.stop_signal;
    if (stop.empty()) stop = "SIGTERM";
    control.alongside = [&w, stop](const run::ContainerHandle& c) { serve(w, c, stop); };
  }
  session.reporter().note(fmt::format("tracing workload {}", quote(w.name)));
  run::RunOutcome outcome = run::run_container(store, request, control);
  out.exit_code = outcome.exit_code;
  if (outcome.timed_out) {
    fail(
        "workload {} did not finish within its timeout of {} s, and was killed; raise timeout in the workload, or "
        "give a server workload ready, probes and a stop_signal",
        quote(w.name), w.timeout);
  }
  if (out.exit_code == run::kExitNotFound || out.exit_code == run::kExitCannotExecute) {
    fail("workload {} could not start its command (exit {})", quote(w.name), out.exit_code);
  }
  // A server stopped by its stop signal has done its part; its exit status
  // is the signal's business.
  if (!w.server() && out.exit_code != 0 && !allow_failure && !w.allow_failure) {
    fail(
        "workload {} exited with {}; a trim of a failing run keeps too little of the image (pass --allow-failure, "
        "or allow_failure = true in the workload, if it fails on purpose)",
        quote(w.name), out.exit_code);
  }
  return out;
}

TrimResult trim_image(Session& session, const std::string& manifest, const spec::TrimSpec& trim, bool allow_failure,
                      const Tag& tag, const std::string& runtime, unsigned threads) {
  require_root();
  if (trim.workloads.empty()) fail_usage("nothing to trace: give a command after --, or --workloads FILE");
  store::LocalStore& store = session.store();
  Reporter& reporter = session.reporter();
  auto record = store.index().image(manifest);
  if (!record) fail("the image {} is not in the store", manifest);
  // 1. The composition the trim composes again.
  image::StoredComposition composition = image::load_composition(store, *record, manifest);
  if (composition.sources.trim) {
    fail("{} is a trimmed image already (traced on {}); trim that image instead", manifest,
         composition.sources.trim->source);
  }
  require_trusted(session, manifest, *Digest::parse(manifest), {});
  // 2. The workloads, one after another.
  TrimResult result;
  result.source = manifest;
  result.tag = tag;
  image::TrimInput input{manifest, trim.workloads, trim.keep, {}};
  for (const auto& w : trim.workloads) {
    TracedRun traced = with_context(fmt::format("while tracing workload {}", quote(w.name)),
                                    [&] { return trace_workload(session, manifest, w, allow_failure, runtime); });
    result.runs.push_back({w.name, traced.exit_code, traced.trace.found.size()});
    input.used.insert(traced.trace.found.begin(), traced.trace.found.end());
  }
  // 3. The same set, composed again and trimmed.
  image::ComposeRequest request = recompose_request(composition, *record, reporter, threads);
  request.tag_name = tag.name;
  request.tag = tag.tag;
  request.trim = std::move(input);
  result.composed = image::compose_image(store, composition.recipe.spec, request);
  TrimSummary& summary = result.summary;
  auto add = [&](const std::string& id, std::uint64_t& entries, std::uint64_t& bytes) {
    if (auto row = store.index().package(id)) {
      entries += row->entries;
      bytes += row->size;
    }
  };
  const image::TrimProfile& profile = *result.composed.trim;
  for (const auto& p : profile.packages) {
    add(p.from, summary.entries_before, summary.bytes_before);
    add(p.id, summary.entries_after, summary.bytes_after);
  }
  for (const auto& d : profile.dropped) add(d.id, summary.entries_before, summary.bytes_before);
  summary.packages_before = profile.packages.size() + profile.dropped.size();
  summary.packages_after = profile.packages.size();
  return result;
}

TrimResult trim(Session& session, const TrimOptions& options) {
  require_root();
  // Of an index, the host's image: the workloads run on the host.
  store::ImageRecord record = image::select_image(
      session.store(), image::resolve_image(session.store().index(), options.image), std::nullopt, options.image);
  Tag tag;
  if (!options.tag.empty()) {
    std::tie(tag.name, tag.tag) = image::parse_tag(options.tag);
  } else if (auto named = tag_named_by(session.store().index(), options.image, record.digest)) {
    tag = {named->name, named->tag + "-trimmed"};
  }
  unsigned threads = options.jobs == 0 ? hardware_threads() : options.jobs;
  TrimResult result = with_context(fmt::format("while trimming {}", label_of(options.image, record.digest)), [&] {
    return trim_image(session, record.digest, options.trim, options.allow_failure, tag, options.runtime, threads);
  });
  write_outputs(session, result.composed.manifest, result.tag, options.outputs);
  return result;
}

TrimCheck check_trim(Session& session, const std::string& image, const spec::Workload& workload,
                     const std::string& runtime) {
  require_root();
  store::LocalStore& store = session.store();
  store::ImageRecord record =
      image::select_image(store, image::resolve_image(store.index(), image), std::nullopt, image);
  image::StoredComposition composition = image::load_composition(store, record, image);
  if (!composition.sources.trim) fail("{} is not a trimmed image: --check runs a workload against one", image);
  require_trusted(session, image, *Digest::parse(record.digest), {});
  // The workload runs on the image the trim came from, composed again from
  // the members the profile names (the same bytes, so usually found in the
  // store as it is): what it uses there and the trimmed image lacks is what
  // the trim removed and it wants. (Run on the trimmed image itself, a
  // program that decides from a directory listing, as Python's importer
  // does, would never look for what is not listed.)
  image::ComposeRequest request = recompose_request(composition, record, session.reporter(), hardware_threads());
  request.keep_recorded_sources = false;
  request.sources.updated_from.reset();
  image::ComposeResult untrimmed = image::compose_image(store, composition.recipe.spec, request);
  TracedRun traced = trace_workload(session, untrimmed.manifest.str(), workload, true, runtime);
  std::set<std::string> held;
  fileset::Manifest root = image::image_root(store, image::load_image(store, *Digest::parse(record.digest)));
  for (const auto& e : root.entries()) held.insert("/" + e.path);
  TrimCheck check{record.digest, traced.exit_code, {}};
  for (const auto& path : traced.trace.found) {
    if (path != "/" && !held.count(path)) check.removed.push_back(path);
  }
  return check;
}

}  // namespace sheaf::pipeline
