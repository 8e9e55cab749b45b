#include "oci/layout.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::oci {

namespace fs = std::filesystem;

namespace {

std::string layout_marker() {
  return canonical_json({{"imageLayoutVersion", std::string(kLayoutVersion)}});
}

}  // namespace

std::uint64_t link_or_copy(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return 0;
  if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
    fail_errno(errno, fmt::format("cannot link {} to {}", quote(from.string()), quote(to.string())));
  }
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) fail_errno(errno, "cannot open " + quote(from.string()));
  fs::path tmp = to.parent_path() / fmt::format(".{}.{}.tmp", to.filename().string(), random_hex(6));
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!out) fail_errno(errno, "cannot create " + quote(tmp.string()));
  std::uint64_t copied = 0;
  try {
    if (::ioctl(out.get(), FICLONE, in.get()) != 0) {
      struct stat st {};
      if (::fstat(in.get(), &st) != 0) fail_errno(errno, "cannot stat " + quote(from.string()));
      auto left = static_cast<std::uint64_t>(st.st_size);
      while (left > 0) {
        ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, left, 0);
        if (n < 0) fail_errno(errno, "cannot copy " + quote(from.string()));
        if (n == 0) fail("{} became shorter while it was copied", quote(from.string()));
        left -= static_cast<std::uint64_t>(n);
        copied += static_cast<std::uint64_t>(n);
      }
    }
    if (::fsync(out.get()) != 0) fail_errno(errno, "cannot write " + quote(tmp.string()));
    if (::rename(tmp.c_str(), to.c_str()) != 0) fail_errno(errno, "cannot write " + quote(to.string()));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  return copied;
}

bool Layout::is_layout(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "oci-layout", ec);
}

Layout Layout::open(const fs::path& dir) {
  if (!is_layout(dir)) fail("{} is not an OCI image layout (it has no oci-layout file)", quote(dir.string()));
  std::string marker = read_file((dir / "oci-layout").string());
  try {
    auto j = nlohmann::json::parse(marker);
    if (j.at("imageLayoutVersion").get<std::string>() != kLayoutVersion) {
      fail("{} is an OCI layout of version {}, and sheaf writes only {}", quote(dir.string()),
           j.at("imageLayoutVersion").dump(), kLayoutVersion);
    }
  } catch (const nlohmann::json::exception&) {
    fail("{}: malformed oci-layout file", quote(dir.string()));
  }
  return Layout(dir);
}

Layout Layout::open_or_create(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    fail("{} exists and is not a directory; -o needs a directory for an OCI layout", quote(dir.string()));
  }
  if (fs::is_directory(dir, ec)) {
    std::vector<std::string> strangers;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (name != "oci-layout" && name != "index.json" && name != "blobs") strangers.push_back(name);
    }
    if (!strangers.empty()) {
      std::sort(strangers.begin(), strangers.end());
      fail("{} holds {} besides an OCI layout; choose an empty or new directory, or an existing layout",
           quote(dir.string()), quote(strangers.front()));
    }
    if (is_layout(dir)) {
      Layout layout = open(dir);
      fs::create_directories(dir / "blobs" / "sha256");
      return layout;
    }
    if (!fs::is_empty(dir)) {
      fail("{} holds an index.json or blobs/ but no oci-layout file; it is not a layout sheaf will add to",
           quote(dir.string()));
    }
  }
  fs::create_directories(dir / "blobs" / "sha256");
  Layout layout(dir);
  write_file_atomically(dir / "oci-layout", layout_marker(), 0644);
  layout.write_index({});
  return layout;
}

fs::path Layout::blob_path(const Digest& digest) const {
  return dir_ / "blobs" / "sha256" / digest.hex();
}

bool Layout::has_blob(const Digest& digest) const {
  std::error_code ec;
  return fs::exists(blob_path(digest), ec);
}

std::uint64_t Layout::put_blob(const Digest& digest, const fs::path& source) {
  if (has_blob(digest)) return 0;
  return link_or_copy(source, blob_path(digest));
}

void Layout::put_blob_bytes(const Digest& digest, std::string_view bytes) {
  if (has_blob(digest)) return;
  write_file_atomically(blob_path(digest), bytes, 0444);
}

ImageIndex Layout::read_index() const {
  fs::path path = dir_ / "index.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  return parse_index(read_file(path.string()), path.string());
}

void Layout::add_manifest(const Descriptor& manifest) {
  ImageIndex index = read_index();
  auto ref = manifest.annotations.find(std::string(kAnnotationRefName));
  bool replaced = false;
  for (auto& existing : index.manifests) {
    auto other = existing.annotations.find(std::string(kAnnotationRefName));
    bool same = ref != manifest.annotations.end()
                    ? other != existing.annotations.end() && other->second == ref->second
                    : other == existing.annotations.end() && existing.digest == manifest.digest;
    if (same && !replaced) {
      existing = manifest;
      replaced = true;
    }
  }
  if (!replaced) index.manifests.push_back(manifest);
  write_index(index);
}

void Layout::write_index(const ImageIndex& index) {
  write_file_atomically(dir_ / "index.json", render(index), 0644);
}

}  // namespace sheaf::oci
