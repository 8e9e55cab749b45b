#include "image/image_ref.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/annotations.hpp"
#include "oci/layout.hpp"

namespace sheaf::image {

namespace {

bool is_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return name.front() != '/' && name.back() != '/' && name.find("//") == std::string_view::npos;
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return false;
  for (char c : tag) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

store::ImageRecord by_digest_prefix(store::Index& index, std::string_view hex, std::string_view ref) {
  auto matches = index.images_with_digest_prefix(hex);
  if (matches.empty()) fail("no image in the store has a digest starting with {}", quote(ref));
  if (matches.size() > 1) {
    std::vector<std::string> names;
    for (const auto& m : matches) names.push_back(m.digest);
    fail("{} is ambiguous; it starts {} images' digests:\n  {}", quote(ref), matches.size(), fmt::join(names, "\n  "));
  }
  return matches.front();
}

store::ImageRecord from_layout(store::Index& index, const std::filesystem::path& dir, std::string_view ref_name,
                               std::string_view ref) {
  oci::Layout layout = oci::Layout::open(dir);
  auto manifests = layout.read_index().manifests;
  std::vector<oci::Descriptor> picked;
  for (const auto& d : manifests) {
    if (!d.artifact_type.empty()) continue;  // an SBOM or another artifact, not an image
    auto name = d.annotations.find(std::string(oci::kAnnotationRefName));
    if (ref_name.empty() || (name != d.annotations.end() && name->second == ref_name)) picked.push_back(d);
  }
  if (picked.empty()) {
    fail("the OCI layout {} has no image{}", quote(dir.string()),
         ref_name.empty() ? "" : fmt::format(" named {}", quote(ref_name)));
  }
  if (picked.size() > 1) {
    std::vector<std::string> names;
    for (const auto& d : picked) {
      auto name = d.annotations.find(std::string(oci::kAnnotationRefName));
      names.push_back(name == d.annotations.end() ? d.digest.str() : name->second);
    }
    fail("the OCI layout {} holds {} images; name one as {}:REF, one of: {}", quote(dir.string()), picked.size(), ref,
         fmt::join(names, ", "));
  }
  auto record = index.image(picked.front().digest.str());
  if (!record) {
    // Say whether sheaf made it at all: its layers would name their packages.
    std::string bytes = read_file(layout.blob_path(picked.front().digest).string());
    auto manifest = oci::parse_manifest(bytes, layout.blob_path(picked.front().digest).string());
    bool annotated = std::any_of(manifest.layers.begin(), manifest.layers.end(), names_packages);
    if (!annotated) {
      fail(
          "the image {} in {} was not built by sheaf: its layers carry no {} annotations, so "
          "sheaf cannot tell which packages it holds",
          picked.front().digest.str(), quote(dir.string()), kAnnotationPackagePrefix);
    }
    fail("the image {} in {} was not built by sheaf in this store, so the store knows nothing about it",
         picked.front().digest.str(), quote(dir.string()));
  }
  return *record;
}

}  // namespace

std::pair<std::string, std::string> parse_tag(std::string_view text) {
  std::string name(text), tag = "latest";
  if (auto colon = text.rfind(':');
      colon != std::string_view::npos && text.find('/', colon) == std::string_view::npos) {
    name = std::string(text.substr(0, colon));
    tag = std::string(text.substr(colon + 1));
  }
  if (!valid_name(name)) {
    fail_usage("{} is not a valid image name: use lower-case letters, digits and . _ - /", quote(name));
  }
  if (!valid_tag(tag)) fail_usage("{} is not a valid tag: use up to 128 of A-Z a-z 0-9 . _ -", quote(tag));
  return {name, tag};
}

store::ImageRecord resolve_image(store::Index& index, std::string_view ref) {
  if (ref.empty()) fail_usage("an empty image name");
  if (ref.starts_with("sha256:")) {
    std::string_view hex = ref.substr(7);
    if (!is_hex(hex) || hex.size() > 64) fail_usage("{} is not a sha256 digest", quote(ref));
    if (hex.size() < kMinDigestPrefix) {
      fail_usage("{} is too short: give at least {} hex digits of the digest", quote(ref), kMinDigestPrefix);
    }
    return by_digest_prefix(index, hex, ref);
  }
  std::error_code ec;
  // A layout path: "dir", "./dir", "dir:ref".
  std::string_view path = ref;
  std::string_view ref_name;
  if (!std::filesystem::is_directory(std::string(ref), ec)) {
    if (auto colon = ref.rfind(':'); colon != std::string_view::npos) {
      path = ref.substr(0, colon);
      ref_name = ref.substr(colon + 1);
    }
  }
  if (oci::Layout::is_layout(std::string(path))) return from_layout(index, std::string(path), ref_name, ref);
  if (is_hex(ref) && ref.size() >= kMinDigestPrefix && ref.size() <= 64) {
    auto matches = index.images_with_digest_prefix(ref);
    if (!matches.empty()) return by_digest_prefix(index, ref, ref);
  }
  if (ref.find('/') != std::string_view::npos && std::filesystem::exists(std::string(path), ec)) {
    fail("{} is not an OCI image layout (it has no oci-layout file)", quote(path));
  }
  auto [name, tag] = parse_tag(ref);
  if (auto digest = index.tagged_image(name, tag)) {
    if (auto record = index.image(*digest)) return *record;
  }
  fail("no image named {}:{} in the store", name, tag);
}

}  // namespace sheaf::image
