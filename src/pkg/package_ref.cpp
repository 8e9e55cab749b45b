#include "pkg/package_ref.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/error.hpp"
#include "deb/version.hpp"

namespace sheaf::pkg {

namespace {

bool is_hex(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string list_candidates(const std::vector<store::PackageRecord>& records) {
  std::string out;
  for (const auto& r : records) out += fmt::format("\n    {} {} {}  {}", r.name, r.version, r.arch, r.id);
  return out;
}

ResolvedPackage by_id_prefix(store::Index& index, std::string_view hex, std::string_view ref) {
  if (hex.size() < kMinIdPrefix || hex.size() > 64 || !is_hex(hex)) {
    fail_usage("{} is not a package id: give sha256: and at least {} lowercase hex digits", quote(ref), kMinIdPrefix);
  }
  auto matches = index.packages_with_id_prefix(hex);
  if (matches.empty()) fail("no package in the store has an id starting with {}", quote(ref));
  if (matches.size() > 1) {
    fail("{} matches {} packages; give more digits:{}", quote(ref), matches.size(), list_candidates(matches));
  }
  return {matches.front(), ""};
}

// Orders by Debian version; records whose version does not parse sort first.
bool version_less(const store::PackageRecord& a, const store::PackageRecord& b) {
  auto va = deb::Version::try_parse(a.version);
  auto vb = deb::Version::try_parse(b.version);
  if (!va || !vb) return !va && vb;
  return *va < *vb;
}

}  // namespace

ResolvedPackage resolve_package(store::Index& index, std::string_view ref) {
  if (ref.empty()) fail_usage("a package reference is empty");
  if (ref.starts_with("sha256:")) return by_id_prefix(index, ref.substr(7), ref);

  std::string_view name = ref;
  std::optional<std::string_view> version;
  std::optional<std::string_view> arch;
  if (auto at = name.find('@'); at != std::string_view::npos) {
    version = name.substr(at + 1);
    name = name.substr(0, at);
  }
  if (auto colon = name.find(':'); colon != std::string_view::npos) {
    arch = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  auto candidates = index.packages_named(name);
  if (candidates.empty() && !version && !arch && is_hex(ref) && ref.size() >= kMinIdPrefix) {
    return by_id_prefix(index, ref, ref);
  }
  if (candidates.empty()) fail("no package named {} in the store", quote(name));
  if (arch) {
    std::erase_if(candidates, [&](const store::PackageRecord& r) { return r.arch != *arch; });
    if (candidates.empty()) fail("no package {} for architecture {} in the store", quote(name), quote(*arch));
  }

  if (version) {
    deb::Version wanted = [&] {
      try {
        return deb::Version::parse(*version);
      } catch (const ParseError& e) {
        throw Error(e.what(), ErrorKind::usage);
      }
    }();
    std::erase_if(candidates, [&](const store::PackageRecord& r) {
      auto v = deb::Version::try_parse(r.version);
      return !v || !(*v == wanted);
    });
    if (candidates.empty()) {
      std::vector<std::string> known;
      for (const auto& r : index.packages_named(name)) known.push_back(r.version);
      fail("no version {} of {} in the store (it has {})", quote(*version), quote(name), fmt::join(known, ", "));
    }
    if (candidates.size() > 1) {
      fail("{} matches {} packages; name one by id:{}", quote(ref), candidates.size(), list_candidates(candidates));
    }
    return {candidates.front(), ""};
  }

  std::stable_sort(candidates.begin(), candidates.end(), version_less);
  const auto& best = candidates.back();
  std::vector<store::PackageRecord> tied;
  for (const auto& r : candidates) {
    if (!version_less(r, best) && !version_less(best, r)) tied.push_back(r);
  }
  if (tied.size() > 1) {
    fail("{} matches {} packages at version {}; add :ARCH or name one by id:{}", quote(ref), tied.size(), best.version,
         list_candidates(tied));
  }
  ResolvedPackage resolved{best, ""};
  if (candidates.size() > 1) {
    resolved.note = fmt::format("{}: using the highest version, {} (of {} in the store)", best.name, best.version,
                                candidates.size());
  }
  return resolved;
}

}  // namespace sheaf::pkg
