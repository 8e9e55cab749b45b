#include "pipeline/registry_common.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <map>

#include "base/error.hpp"
#include "base/parallel.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::pipeline {

oci::Platform oci_platform(const std::string& debian_arch) {
  static const std::map<std::string, std::pair<std::string, std::string>> kNames = {
      {"amd64", {"amd64", ""}},     {"arm64", {"arm64", "v8"}},   {"armhf", {"arm", "v7"}},
      {"armel", {"arm", "v5"}},     {"i386", {"386", ""}},        {"ppc64el", {"ppc64le", ""}},
      {"mips64el", {"mips64le", ""}}, {"s390x", {"s390x", ""}},   {"riscv64", {"riscv64", ""}}};
  auto it = kNames.find(debian_arch);
  oci::Platform platform;
  platform.architecture = it == kNames.end() ? debian_arch : it->second.first;
  platform.variant = it == kNames.end() ? "" : it->second.second;
  return platform;
}

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

}  // namespace sheaf::pipeline
