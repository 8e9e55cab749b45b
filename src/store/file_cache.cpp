#include "store/file_cache.hpp"

#include <nlohmann/json.hpp>

#include "base/base64.hpp"
#include "base/canonical_json.hpp"

namespace sheaf::store {

namespace {

std::string encode_xattrs(const std::vector<fileset::Xattr>& xattrs) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& x : xattrs) object[x.name] = base64_encode(x.value);
  return canonical_json(object);
}

// nullopt for anything unexpected: a damaged row is a miss, never an error.
std::optional<std::vector<fileset::Xattr>> decode_xattrs(const std::string& text) {
  auto object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return std::nullopt;
  std::vector<fileset::Xattr> xattrs;
  for (const auto& [name, value] : object.items()) {
    if (!value.is_string()) return std::nullopt;
    auto bytes = base64_decode(value.get<std::string>());
    if (!bytes) return std::nullopt;
    xattrs.push_back({name, std::move(*bytes)});
  }
  return xattrs;
}

}  // namespace

FileCache::FileCache(LocalStore& store, std::uint64_t dev) : store_(store), dev_(dev) {
  for (auto& row : store_.index().file_cache_rows(dev)) rows_.emplace(row.identity.ino, std::move(row));
}

std::optional<fileset::CachedContent> FileCache::find(const fileset::FileIdentity& identity) {
  if (identity.dev != dev_) return std::nullopt;
  auto it = rows_.find(identity.ino);
  if (it == rows_.end() || !(it->second.identity == identity)) return std::nullopt;
  auto digest = Digest::parse(it->second.digest);
  if (!digest || !store_.has_object(*digest)) return std::nullopt;
  auto xattrs = decode_xattrs(it->second.xattrs);
  if (!xattrs) return std::nullopt;
  return fileset::CachedContent{{*digest, identity.size}, std::move(*xattrs)};
}

void FileCache::remember(const fileset::FileIdentity& id, const fileset::CachedContent& content) {
  FileCacheRow row{id, content.content.digest.str(), encode_xattrs(content.xattrs)};
  std::lock_guard guard(mutex_);
  remembered_.push_back(std::move(row));
}

void FileCache::save(Index::Transaction& transaction) const {
  std::lock_guard guard(mutex_);
  for (const auto& row : remembered_) transaction.put_file_cache(row);
}

}  // namespace sheaf::store
