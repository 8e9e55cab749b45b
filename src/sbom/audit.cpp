#include "sbom/audit.hpp"

#include <algorithm>

#include "image/recipe.hpp"
#include "pkg/package.hpp"

namespace sheaf::sbom {

Auditor::Auditor(store::Index& index, const OsvSet& osv) : index_(index), osv_(osv) {
  for (const auto& record : osv_.records) {
    for (const auto& affected : record.affected)
      by_source_.emplace(affected.package, std::make_pair(&record, &affected));
  }
}

const Auditor::Package& Auditor::package(const std::string& id) {
  auto it = packages_.find(id);
  if (it != packages_.end()) return it->second;
  Package p;
  if (auto row = index_.package(id)) {
    p.name = row->name;
    p.version = row->version;
    auto metadata = pkg::PackageMetadata::from_json(row->metadata);
    p.source = metadata.source_name.empty() ? p.name : metadata.source_name;
    p.source_version = metadata.source_version.empty() ? p.version : metadata.source_version;
    p.debian = pkg::has_origin_type(index_, id, "deb");
  }
  return packages_.emplace(id, std::move(p)).first->second;
}

const std::vector<Finding>& Auditor::findings(const std::string& id) {
  auto it = findings_.find(id);
  if (it != findings_.end()) return it->second;
  std::vector<Finding> out;
  const Package& p = package(id);
  if (p.debian) {
    auto [begin, end] = by_source_.equal_range(p.source);
    for (auto m = begin; m != end; ++m) {
      const auto& [record, affected] = m->second;
      OsvVerdict verdict = evaluate(*affected, p.source_version);
      if (!verdict.affected) continue;
      out.push_back({record->id, record->aliases, p.name, p.version, p.source, p.source_version,
                     verdict.fixed.value_or(""), record->severity.empty() ? affected->severity : record->severity,
                     record->summary});
    }
  }
  return findings_.emplace(id, std::move(out)).first->second;
}

std::vector<const Finding*> Auditor::audit_image(const std::string& digest) {
  std::vector<const Finding*> out;
  for (const auto& id : index_.image_packages(digest)) {
    for (const auto& f : findings(id)) out.push_back(&f);
  }
  std::sort(out.begin(), out.end(), [](const Finding* a, const Finding* b) {
    return std::tie(a->package, a->id) < std::tie(b->package, b->id);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Finding* a, const Finding* b) { return a->package == b->package && a->id == b->id; }),
            out.end());
  return out;
}

std::string debian_ecosystem(const store::ImageRecord& record) {
  auto recipe = image::recorded_recipe(record);
  if (!recipe || !recipe->os) return "";
  return "Debian:" + recipe->os->release();
}

}  // namespace sheaf::sbom
