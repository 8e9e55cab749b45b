// sheaf audit: an image's packages against OSV advisories (sbom/osv.hpp).
//
// Debian's advisories name source packages, so each binary package is
// matched by its source package's name and checked by its source version
// (a binNMU's "+b1" is not in the advisories). Only Debian packages are
// audited; the assembly and [[files]] packages have no advisories. Answers
// are cached per package id, so auditing many images that share packages
// costs little more than auditing one.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "sbom/osv.hpp"
#include "store/index.hpp"

namespace sheaf::sbom {

struct Finding {
  std::string id;  // the advisory
  std::vector<std::string> aliases;
  std::string package;  // the binary package
  std::string installed;
  std::string source;
  std::string source_version;
  std::string fixed;     // "" when no fix is known
  std::string severity;  // "" when the record gives none
  std::string summary;
};

class Auditor {
 public:
  // `index` and `osv` must outlive the Auditor.
  Auditor(store::Index& index, const OsvSet& osv);

  // The findings for one stored image, sorted by package, then advisory id.
  // They point into the Auditor, which shares them between images.
  std::vector<const Finding*> audit_image(const std::string& digest);

 private:
  struct Package {
    bool debian = false;
    std::string name, version, source, source_version;
  };
  const Package& package(const std::string& id);
  const std::vector<Finding>& findings(const std::string& id);

  store::Index& index_;
  const OsvSet& osv_;
  std::multimap<std::string, std::pair<const OsvRecord*, const OsvAffected*>> by_source_;
  std::unordered_map<std::string, Package> packages_;
  std::unordered_map<std::string, std::vector<Finding>> findings_;
};

// "Debian:12" for an image whose recipe records Debian 12; "" when the
// image records no release.
std::string debian_ecosystem(const store::ImageRecord& record);

}  // namespace sheaf::sbom
