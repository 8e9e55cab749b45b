// The operations a user asks for (lock, fetch, build, update, run, export),
// as a library: what `src/cli` calls, and what a test or a server calls
// instead of the command line. Each operation is one function over a
// Session and a typed options struct; the sequencing (lock, then fetch,
// then compose, then write out) lives here, not in the commands.
//
// A Session owns the store handle, the network settings (read from the
// host's apt configuration on first use, so that an operation that needs no
// network never reads it) and the Reporter that warnings, notes,
// suggestions and progress go to. The command line's Reporter prints them
// and draws progress bars; a library caller passes its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "image/effects.hpp"
#include "registry/client.hpp"
#include "repo/network.hpp"
#include "store/local_store.hpp"

namespace sheaf::pipeline {

struct Progress {
  enum class Stage { fetching, layers, uploading, downloading };
  Stage stage = Stage::fetching;
  std::uint64_t done = 0;  // files fetched, layers made, blobs pushed or pulled
  std::uint64_t total = 0;
  std::uint64_t bytes_done = 0;  // not for layers
  std::uint64_t bytes_total = 0;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  // Something the user should act on or know; the build goes on.
  virtual void warning(const std::string& text) = 0;
  // What happened: a lock written, packages fetched, an output written.
  virtual void note(const std::string& text) = 0;
  // A package the image lacks that Debian's Essential set would have given.
  virtual void suggestion(const image::Suggestion& suggestion) = 0;
  // Called as a long step advances (from any thread, one call at a time),
  // and progress_end() once it ends, also when it fails.
  virtual void progress(const Progress&) {}
  virtual void progress_end() {}
};

// A Reporter that keeps everything, for library callers and tests. Read the
// lists once the operation has returned.
class CollectingReporter : public Reporter {
 public:
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
  std::vector<image::Suggestion> suggestions;
  void warning(const std::string& text) override {
    std::lock_guard guard(mutex_);
    warnings.push_back(text);
  }
  void note(const std::string& text) override {
    std::lock_guard guard(mutex_);
    notes.push_back(text);
  }
  void suggestion(const image::Suggestion& s) override {
    std::lock_guard guard(mutex_);
    suggestions.push_back(s);
  }

 private:
  std::mutex mutex_;  // a fetch's workers report from their own threads
};

class Session {
 public:
  Session(std::unique_ptr<store::LocalStore> store, Reporter& reporter);
  // Opens the store with `open` when an operation first needs it, so that
  // an operation that fails on its input first (a missing lock, a bad
  // option) creates no store.
  Session(std::function<std::unique_ptr<store::LocalStore>()> open, Reporter& reporter);

  store::LocalStore& store();
  Reporter& reporter() { return reporter_; }

  // The network as the host's apt configuration has it, read on first use.
  const repo::NetworkSettings& network();
  // Use these settings instead of the host's (a test's mirror, a server's).
  void use_network(repo::NetworkSettings network);

  // How registries are reached for a spec's registry packages (credentials,
  // certificates, timeouts); the defaults read podman's files.
  const registry::Options& registry_options() const { return registry_options_; }
  void use_registry_options(registry::Options options) { registry_options_ = std::move(options); }

 private:
  std::function<std::unique_ptr<store::LocalStore>()> open_;
  std::unique_ptr<store::LocalStore> store_;
  Reporter& reporter_;
  std::optional<repo::NetworkSettings> network_;
  registry::Options registry_options_;
};

// Calls reporter.progress_end() when a step with progress ends, however it ends.
class ProgressScope {
 public:
  explicit ProgressScope(Reporter& reporter) : reporter_(reporter) {}
  ~ProgressScope() { reporter_.progress_end(); }
  ProgressScope(const ProgressScope&) = delete;
  ProgressScope& operator=(const ProgressScope&) = delete;

 private:
  Reporter& reporter_;
};

// SOURCE_DATE_EPOCH, when set: what `created` is for build and update.
// Throws a usage Error when it is not a number of seconds.
std::optional<std::int64_t> source_date_epoch_from_environment();

}  // namespace sheaf::pipeline
