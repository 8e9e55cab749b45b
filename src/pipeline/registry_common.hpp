// What the registry operations share (push and pull of images and of
// packages, and the fetch of a spec's registry packages): a pool of
// registry clients (one per worker thread, each with its own connection and
// tokens), blob uploads and downloads, and the OCI platform of a Debian
// architecture.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "oci/documents.hpp"
#include "pipeline/session.hpp"
#include "pkg/package.hpp"
#include "registry/client.hpp"
#include "registry/reference.hpp"
#include "repo/resolver.hpp"
#include "store/local_store.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pipeline {

class RegistryPool {
 public:
  RegistryPool(std::string host, registry::Options options) : host_(std::move(host)), options_(std::move(options)) {}

  // A client that no other thread uses until it is given back. Clients
  // that are not given back (their request failed) are dropped. A new
  // client starts from what the last one given back had learnt (scheme,
  // challenge, tokens), so that workers do not each ask again.
  std::unique_ptr<registry::Registry> take() {
    std::optional<registry::Discovery> learnt;
    {
      std::lock_guard guard(mutex_);
      if (!free_.empty()) {
        auto client = std::move(free_.back());
        free_.pop_back();
        return client;
      }
      learnt = learnt_;
    }
    auto client = std::make_unique<registry::Registry>(host_, options_);
    if (learnt) client->resume(*learnt);
    return client;
  }
  void give_back(std::unique_ptr<registry::Registry> client) {
    std::lock_guard guard(mutex_);
    learnt_ = client->discovery();
    free_.push_back(std::move(client));
  }

 private:
  std::string host_;
  registry::Options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<registry::Registry>> free_;
  std::optional<registry::Discovery> learnt_;
};

// One blob a registry must hold: from the store, or made for the push.
struct UploadBlob {
  Digest digest;
  std::uint64_t size = 0;
  std::optional<std::string> bytes;  // held in memory (documents made for the push)
  std::string what;                  // for messages: "the layer of libc6", "the config"
};

struct UploadOutcome {
  std::uint64_t present = 0;   // the registry had them
  std::uint64_t mounted = 0;   // mounted from another repository
  std::uint64_t uploaded = 0;  // sent
  std::uint64_t bytes_uploaded = 0;
};

// Makes `ref`'s repository hold every blob, `threads` at a time: a HEAD
// first; then a cross-repository mount where the store knows the registry
// holds the blob elsewhere; else an upload. Then records in the store's
// index that the repository holds them (and forgets mounts that failed).
// Blobs must be distinct. The caller holds the store's lock.
UploadOutcome upload_blobs(Session& session, RegistryPool& pool, const registry::Reference& ref,
                           const std::vector<UploadBlob>& blobs, unsigned threads);

// An artifact manifest whose subject is some manifest of the repository.
struct Referrer {
  std::string manifest;
  std::string artifact_type;
};

// Puts each referrer by digest into `ref`'s repository. Where the registry
// does not index them itself (no OCI-Subject in its answers, as with
// distribution 2.8), lists them in the fallback index under the tag
// sha256-<hex> of `subject`, after dropping the listed referrers whose
// artifact type is in `replaced_types` and which are not among these.
// Returns whether the registry indexed them itself.
bool put_referrers(registry::Registry& registry, const registry::Reference& ref, const Digest& subject,
                   const std::vector<Referrer>& referrers, const std::set<std::string>& replaced_types);

// The referrers of `subject` with `artifact_type`: through the referrers
// API when the registry has it, else from the fallback index. Sorted by
// digest. `label` names the subject in errors.
std::vector<oci::Descriptor> find_referrers(registry::Registry& registry, const registry::Reference& ref,
                                            const Digest& subject, std::string_view artifact_type,
                                            const std::string& label);

// Downloads the blob `descriptor` of `repository` into a file staged in
// `batch` (its digest and size checked while it streams; a dropped
// connection resumes). The caller keeps the file with keep_blob_file once it
// has checked the contents.
store::WriteBatch::BlobFile download_blob(registry::Registry& registry, store::WriteBatch& batch,
                                          std::string_view repository, const oci::Descriptor& descriptor,
                                          const std::string& where,
                                          const std::function<void(std::uint64_t)>& on_progress = nullptr);

// A package as the resolver takes it: its name, version, arch and relations.
repo::RegistryCandidate package_candidate(const pkg::Package& package);

}  // namespace sheaf::pipeline
