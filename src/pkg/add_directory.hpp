// `sheaf pkg add`: a directory becomes a package in the store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fileset/manifest.hpp"
#include "pkg/package.hpp"
#include "store/local_store.hpp"

namespace sheaf::pkg {

struct AddDirectoryRequest {
  std::filesystem::path dir;
  std::string name;
  std::string version;
  std::string arch;
  // Relation fields in Debian syntax; "" when absent.
  std::string depends;
  std::string pre_depends;
  std::string provides;
  std::string conflicts;
  std::string breaks;
  PackageMetadata metadata;
  // Record every entry as owned by this uid:gid instead of its owner on disk.
  std::optional<std::pair<std::uint32_t, std::uint32_t>> owner;
  unsigned threads = 1;
  bool rehash = false;  // read every file, even those the store's file cache knows unchanged
  // Applied to the manifest as read, before it is stored (owners, checks);
  // throws to refuse it.
  std::function<fileset::Manifest(const fileset::Manifest&)> transform = nullptr;
  // The origin recorded (canonical JSON); "" for {"type":"directory","path":DIR}.
  std::string origin;
  std::function<void(std::string_view path, std::uint64_t size)> on_file = nullptr;
};

struct AddResult {
  Package package;
  Digest id;
  PackageMetadata metadata;
  std::uint64_t entries = 0;
  std::uint64_t size = 0;
  bool inserted = false;          // false when the store already had this package
  std::uint64_t new_objects = 0;  // file contents the store did not have
  std::uint64_t new_bytes = 0;
  std::uint64_t cached_files = 0;  // files known unchanged, not read again
};

// Builds the package's identity fields from the request, validating the name,
// version, arch and relations. Throws a usage Error. add_directory() calls it
// first; callers may call it earlier to fail before touching the store.
Package make_package(const AddDirectoryRequest& request);

// Validates the request, reads the tree into the store in one write batch and
// records the package with its origin (by default {"type":"directory",
// "path":<dir as given>}).
// On any error nothing becomes visible in the store.
AddResult add_directory(store::LocalStore& store, const AddDirectoryRequest& request);

}  // namespace sheaf::pkg
