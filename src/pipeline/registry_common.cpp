#include "pipeline/registry_common.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>

#include "base/error.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::pipeline {

namespace {

UniqueFd memory_file(const std::string& bytes) {
  UniqueFd fd(::memfd_create("sheaf-blob", MFD_CLOEXEC));
  if (!fd) fail_errno(errno, "cannot create a memory file");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(errno, "cannot write a memory file");
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

}  // namespace

bool put_referrers(registry::Registry& registry, const registry::Reference& ref, const Digest& subject,
                   const std::vector<Referrer>& referrers, const std::set<std::string>& replaced_types) {
  bool indexed = true;
  for (const auto& referrer : referrers) {
    auto put = registry.put_manifest(ref.repository, Digest::of(referrer.manifest).str(), oci::kMediaTypeManifest,
                                     referrer.manifest);
    indexed = indexed && put.subject_indexed;
  }
  if (indexed) return true;
  // No referrers API: list them in the index under the fallback tag.
  const std::string tag = registry::referrers_tag(subject);
  oci::ImageIndex index;
  if (auto existing = registry.get_manifest(ref.repository, tag)) {
    index = oci::parse_index(existing->bytes, ref.name() + ":" + tag);
  }
  std::set<Digest> ours;
  for (const auto& referrer : referrers) ours.insert(Digest::of(referrer.manifest));
  bool changed = std::erase_if(index.manifests, [&](const oci::Descriptor& d) {
                   return replaced_types.count(d.artifact_type) && !ours.count(d.digest);
                 }) > 0;
  for (const auto& referrer : referrers) {
    Digest digest = Digest::of(referrer.manifest);
    bool known = std::any_of(index.manifests.begin(), index.manifests.end(),
                             [&](const oci::Descriptor& d) { return d.digest == digest; });
    if (known) continue;
    oci::ImageManifest parsed = oci::parse_manifest(referrer.manifest, digest.str());
    index.manifests.push_back({std::string(oci::kMediaTypeManifest), digest, referrer.manifest.size(),
                               parsed.annotations, std::nullopt, referrer.artifact_type});
    changed = true;
  }
  if (changed) registry.put_manifest(ref.repository, tag, oci::kMediaTypeIndex, oci::render(index));
  return false;
}

std::vector<oci::Descriptor> find_referrers(registry::Registry& registry, const registry::Reference& ref,
                                            const Digest& subject, std::string_view artifact_type,
                                            const std::string& label) {
  std::optional<std::string> listing = registry.referrers(ref.repository, subject, artifact_type);
  if (!listing) {
    auto fallback = registry.get_manifest(ref.repository, registry::referrers_tag(subject));
    if (!fallback) return {};
    listing = std::move(fallback->bytes);
  }
  oci::ImageIndex index = oci::parse_index(*listing, label + " (its referrers)");
  std::vector<oci::Descriptor> out;
  for (const auto& d : index.manifests) {
    if (d.artifact_type == artifact_type) out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const oci::Descriptor& a, const oci::Descriptor& b) { return a.digest < b.digest; });
  return out;
}

UploadOutcome upload_blobs(Session& session, RegistryPool& pool, const registry::Reference& ref,
                           const std::vector<UploadBlob>& blobs, unsigned threads) {
  store::LocalStore& store = session.store();
  {
    // One client finds the scheme and the challenge first; the workers start from it.
    auto first = pool.take();
    (void)first->base_url();
    pool.give_back(std::move(first));
  }
  // Where the store knows each blob to be, for mounts.
  std::vector<std::vector<std::string>> mount_from(blobs.size());
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    for (auto& repository : store.index().registry_repositories_with(ref.host, blobs[i].digest.str())) {
      if (repository != ref.repository) mount_from[i].push_back(std::move(repository));
    }
  }
  std::uint64_t bytes_total = 0;
  for (const auto& b : blobs) bytes_total += b.size;
  std::atomic<std::uint64_t> done{0}, bytes_done{0}, present{0}, mounted{0}, uploaded{0}, bytes_uploaded{0};
  std::mutex progress_mutex, stale_mutex;
  std::vector<std::pair<std::string, std::string>> stale;  // (repository, blob) a mount found missing
  auto report = [&] {
    std::lock_guard guard(progress_mutex);
    session.reporter().progress(
        {Progress::Stage::uploading, done.load(), blobs.size(), bytes_done.load(), bytes_total});
  };
  {
    ProgressScope scope(session.reporter());
    parallel_for(blobs.size(), threads ? threads : 4, [&](std::size_t i) {
      const UploadBlob& blob = blobs[i];
      auto registry = pool.take();
      try {
        if (registry->blob_size(ref.repository, blob.digest)) {
          ++present;
        } else {
          std::optional<std::string> upload_session;
          bool was_mounted = false;
          for (const auto& from : mount_from[i]) {
            upload_session = registry->mount_blob(ref.repository, blob.digest, from);
            if (!upload_session) {
              was_mounted = true;
              break;
            }
            std::lock_guard guard(stale_mutex);
            stale.emplace_back(from, blob.digest.str());  // the store's knowledge was out of date
          }
          if (was_mounted) {
            ++mounted;
          } else {
            UniqueFd fd = blob.bytes ? memory_file(*blob.bytes)
                                     : UniqueFd(::open(store.blob_path(blob.digest).c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd) fail_errno(errno, fmt::format("cannot read {} ({}) from the store", blob.what, blob.digest.str()));
            registry->upload_blob(
                ref.repository, blob.digest, fd.get(), blob.size,
                [&](std::uint64_t n) {
                  bytes_done += n;
                  bytes_uploaded += n;
                  report();
                },
                std::move(upload_session));
            ++uploaded;
          }
        }
      } catch (Error& e) {
        e.add_context(fmt::format("pushing {} ({})", blob.what, blob.digest.str()));
        throw;
      }
      pool.give_back(std::move(registry));
      ++done;
      report();
    });
  }
  store.index().write([&](store::Index::Transaction& t) {
    for (const auto& [repository, blob] : stale) t.remove_registry_blob(ref.host, repository, blob);
    for (const auto& blob : blobs) t.add_registry_blob(ref.host, ref.repository, blob.digest.str());
  });
  return {present, mounted, uploaded, bytes_uploaded};
}

store::WriteBatch::BlobFile download_blob(registry::Registry& registry, store::WriteBatch& batch,
                                          std::string_view repository, const oci::Descriptor& descriptor,
                                          const std::string& where,
                                          const std::function<void(std::uint64_t)>& on_progress) {
  store::WriteBatch::BlobFile file = batch.create_blob_file();
  const int fd = file.fd.get();
  std::uint64_t written = 0;
  registry.get_blob(
      repository, descriptor.digest, descriptor.size,
      [&](std::string_view chunk) {
        if (::pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(written)) !=
            static_cast<ssize_t>(chunk.size())) {
          fail_errno(errno, "cannot write " + where + " to the store");
        }
        written += chunk.size();
      },
      [&] {
        written = 0;
        if (::ftruncate(fd, 0) != 0) fail_errno(errno, "cannot write " + where + " to the store");
      },
      on_progress);
  return file;
}

repo::RegistryCandidate package_candidate(const pkg::Package& p) {
  return {p.name,           p.version,         p.arch,        p.pre_depends.str(), p.depends.str(),
          p.provides.str(), p.conflicts.str(), p.breaks.str()};
}

}  // namespace sheaf::pipeline
