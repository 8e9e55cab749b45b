#include "sbom/documents.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/digest.hpp"
#include "pkg/purl.hpp"
#include "sbom/licenses.hpp"

namespace sheaf::sbom {

namespace {

using nlohmann::json;

constexpr std::string_view kTool = "sheaf-" SHEAF_VERSION;

std::string spdx_id_part(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    out += ok ? c : '-';
  }
  return out;
}

std::string hex_of(const std::string& digest) {
  return digest.substr(digest.find(':') + 1);
}

std::string package_spdx_id(const Component& c) {
  return "SPDXRef-Package-" + spdx_id_part(c.name) + "-" + hex_of(c.id).substr(0, 12);
}

constexpr std::string_view kOsName = "debian";  // what trivy and grype call the distribution

// "Name <mail>" -> SPDX's "Organization: Name (mail)".
std::string spdx_supplier(const std::string& maintainer) {
  if (maintainer.empty()) return "NOASSERTION";
  std::string name = maintainer, mail;
  if (auto lt = maintainer.find('<'); lt != std::string::npos) {
    name = maintainer.substr(0, lt);
    auto gt = maintainer.find('>', lt);
    mail = maintainer.substr(lt + 1, gt == std::string::npos ? std::string::npos : gt - lt - 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
  }
  return mail.empty() ? "Organization: " + name : "Organization: " + name + " (" + mail + ")";
}

std::string image_purl(const Inventory& inv) {
  std::string name = inv.name.starts_with("sha256:") ? "image" : inv.name.substr(0, inv.name.find(':'));
  if (auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  return "pkg:oci/" + pkg::purl_encode(name) + "@" + pkg::purl_encode(inv.digest) +
         "?arch=" + pkg::purl_encode(inv.arch);
}

}  // namespace

std::string uuid_urn(std::string_view seed) {
  std::string h = Digest::of(seed).hex();
  h[12] = '5';                                                        // version 5
  h[16] = "89ab"[std::stoi(std::string(1, h[16]), nullptr, 16) & 3];  // variant 10xx
  return fmt::format("urn:uuid:{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4),
                     h.substr(20, 12));
}

std::string render_spdx(const Inventory& inv) {
  json packages = json::array(), relationships = json::array();
  std::map<std::string, std::string> refs;
  json image = {
      {"SPDXID", "SPDXRef-Image"},
      {"name", inv.name},
      {"versionInfo", inv.digest},
      {"downloadLocation", "NOASSERTION"},
      {"filesAnalyzed", false},
      {"licenseConcluded", "NOASSERTION"},
      {"licenseDeclared", "NOASSERTION"},
      {"copyrightText", "NOASSERTION"},
      {"primaryPackagePurpose", "CONTAINER"},
      {"checksums", {{{"algorithm", "SHA256"}, {"checksumValue", hex_of(inv.digest)}}}},
      {"externalRefs",
       {{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", image_purl(inv)}}}}};
  std::vector<std::string> image_notes;
  if (!inv.drop_paths.empty()) image_notes.push_back("drop_paths removed: " + json(inv.drop_paths).dump());
  if (inv.trimmed_from) {
    image_notes.push_back(fmt::format(
        "trimmed by sheaf to the files its workloads used, traced on {}; left out, nothing of them used: {}",
        *inv.trimmed_from, inv.trimmed_out.empty() ? "none" : fmt::format("{}", fmt::join(inv.trimmed_out, ", "))));
  }
  if (!image_notes.empty()) image["comment"] = fmt::format("{}", fmt::join(image_notes, "\n"));
  packages.push_back(image);
  relationships.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"},
                           {"relationshipType", "DESCRIBES"},
                           {"relatedSpdxElement", "SPDXRef-Image"}});
  std::string os_id;
  if (inv.os) {
    os_id = "SPDXRef-OperatingSystem-" + spdx_id_part(std::string(kOsName) + "-" + inv.os->release());
    packages.push_back({{"SPDXID", os_id},
                        {"name", kOsName},
                        {"versionInfo", inv.os->release()},
                        {"downloadLocation", "NOASSERTION"},
                        {"filesAnalyzed", false},
                        {"licenseConcluded", "NOASSERTION"},
                        {"licenseDeclared", "NOASSERTION"},
                        {"copyrightText", "NOASSERTION"},
                        {"primaryPackagePurpose", "OPERATING_SYSTEM"}});
    relationships.push_back(
        {{"spdxElementId", "SPDXRef-Image"}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", os_id}});
  }
  for (const auto& c : inv.components) {
    SpdxLicense license = to_spdx(c.license);
    refs.insert(license.refs.begin(), license.refs.end());
    bool debian = c.kind == Component::Kind::debian;
    json p = {{"SPDXID", package_spdx_id(c)},
              {"name", c.name},
              {"versionInfo", c.version},
              {"supplier", spdx_supplier(c.supplier)},
              {"downloadLocation", "NOASSERTION"},
              {"filesAnalyzed", false},
              {"licenseConcluded", "NOASSERTION"},
              {"licenseDeclared", license.expression},
              {"copyrightText", "NOASSERTION"},
              {"primaryPackagePurpose", debian ? "LIBRARY" : "FILE"},
              {"checksums", {{{"algorithm", "SHA256"}, {"checksumValue", hex_of(c.layer)}}}},
              {"externalRefs",
               {{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", c.purl}}}}};
    if (debian) p["sourceInfo"] = "built package from: " + c.source_name + " " + c.source_version;
    if (c.kind == Component::Kind::recipe) {
      std::string sources;
      for (const auto& [path, digest] : c.sources) sources += fmt::format("; source {} ({})", path, digest);
      p["sourceInfo"] = fmt::format("built by sheaf from the recipe {}{}", c.recipe, sources);
    }
    if (!c.homepage.empty()) p["homepage"] = c.homepage;
    if (!c.description.empty()) p["summary"] = c.description.substr(0, c.description.find('\n'));
    std::vector<std::string> notes;
    if (c.dropped > 0) notes.push_back(fmt::format("drop_paths removed {} entries from this package", c.dropped));
    if (c.trimmed) {
      notes.push_back(fmt::format("trimmed: {} of its {} entries kept, what the image's workloads used",
                                  c.trimmed->first, c.trimmed->second));
    }
    if (!c.effects.empty()) {
      notes.push_back(
          "What the packages' maintainer scripts would have done, derived by sheaf without running them:\n" +
          fmt::format("{}", fmt::join(c.effects, "\n")));
    }
    if (!notes.empty()) p["comment"] = fmt::format("{}", fmt::join(notes, "\n"));
    packages.push_back(std::move(p));
    std::string parent = debian && !os_id.empty() ? os_id : "SPDXRef-Image";
    relationships.push_back(
        {{"spdxElementId", parent}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", package_spdx_id(c)}});
    for (std::size_t d : c.depends) {
      relationships.push_back({{"spdxElementId", package_spdx_id(c)},
                               {"relationshipType", "DEPENDS_ON"},
                               {"relatedSpdxElement", package_spdx_id(inv.components[d])}});
    }
  }
  json doc = {{"spdxVersion", "SPDX-2.3"},
              {"dataLicense", "CC0-1.0"},
              {"SPDXID", "SPDXRef-DOCUMENT"},
              {"name", inv.name},
              {"documentNamespace", uuid_urn("spdx " + inv.digest)},
              {"creationInfo", {{"created", inv.created}, {"creators", {"Tool: " + std::string(kTool)}}}},
              {"documentDescribes", {"SPDXRef-Image"}},
              {"packages", packages},
              {"relationships", relationships}};
  if (!refs.empty()) {
    json extracted = json::array();
    for (const auto& [ref, debian] : refs) {
      extracted.push_back({{"licenseId", ref},
                           {"name", debian},
                           {"extractedText", "The license Debian's copyright files call \"" + debian +
                                                 "\"; see usr/share/doc/<package>/copyright in the package."}});
    }
    doc["hasExtractedLicensingInfos"] = extracted;
  }
  return doc.dump(2) + "\n";
}

std::string render_cyclonedx(const Inventory& inv) {
  json components = json::array(), dependencies = json::array();
  std::string image_ref = image_purl(inv);
  json image = {
      {"type", "container"}, {"bom-ref", image_ref}, {"name", inv.name}, {"version", inv.digest}, {"purl", image_ref}};
  json metadata = {
      {"timestamp", inv.created},
      {"tools", {{"components", {{{"type", "application"}, {"name", "sheaf"}, {"version", SHEAF_VERSION}}}}}},
      {"component", image}};
  json metadata_props = json::array();
  for (const auto& glob : inv.drop_paths) metadata_props.push_back({{"name", "sheaf:drop_path"}, {"value", glob}});
  if (inv.trimmed_from) {
    metadata_props.push_back({{"name", "sheaf:trimmed-from"}, {"value", *inv.trimmed_from}});
    for (const auto& out : inv.trimmed_out) metadata_props.push_back({{"name", "sheaf:trim-left-out"}, {"value", out}});
  }
  if (!metadata_props.empty()) metadata["properties"] = metadata_props;
  std::string os_ref;
  json image_children = json::array(), os_children = json::array();
  if (inv.os) {
    os_ref = "os:" + std::string(kOsName) + "-" + inv.os->release();
    components.push_back(
        {{"type", "operating-system"}, {"bom-ref", os_ref}, {"name", kOsName}, {"version", inv.os->release()}});
    image_children.push_back(os_ref);
  }
  for (const auto& c : inv.components) {
    bool debian = c.kind == Component::Kind::debian;
    json comp = {{"type", debian ? "library" : "file"},
                 {"bom-ref", c.purl},
                 {"name", c.name},
                 {"version", c.version},
                 {"purl", c.purl},
                 {"hashes", {{{"alg", "SHA-256"}, {"content", hex_of(c.layer)}}}}};
    SpdxLicense license = to_spdx(c.license);
    if (license.expression != "NOASSERTION") comp["licenses"] = {{{"expression", license.expression}}};
    if (!c.supplier.empty()) comp["supplier"] = {{"name", c.supplier}};
    if (!c.description.empty()) comp["description"] = c.description.substr(0, c.description.find('\n'));
    json props = {{{"name", "sheaf:package:id"}, {"value", c.id}}};
    if (debian) {
      props.push_back({{"name", "aquasecurity:trivy:PkgType"}, {"value", "debian"}});
      props.push_back({{"name", "aquasecurity:trivy:SrcName"}, {"value", c.source_name}});
      props.push_back({{"name", "aquasecurity:trivy:SrcVersion"}, {"value", c.source_version}});
      props.push_back({{"name", "syft:metadata:source"}, {"value", c.source_name}});
      props.push_back({{"name", "syft:metadata:sourceVersion"}, {"value", c.source_version}});
    }
    if (c.kind == Component::Kind::recipe) {
      props.push_back({{"name", "sheaf:recipe"}, {"value", c.recipe}});
      for (const auto& [path, digest] : c.sources) {
        props.push_back({{"name", "sheaf:source"}, {"value", fmt::format("{} {}", path, digest)}});
      }
    }
    if (c.dropped > 0) props.push_back({{"name", "sheaf:dropped"}, {"value", std::to_string(c.dropped)}});
    if (c.trimmed) {
      props.push_back(
          {{"name", "sheaf:trimmed"}, {"value", fmt::format("{} of {} entries", c.trimmed->first, c.trimmed->second)}});
    }
    for (const auto& effect : c.effects) props.push_back({{"name", "sheaf:effect"}, {"value", effect}});
    comp["properties"] = props;
    components.push_back(std::move(comp));
    (debian && !os_ref.empty() ? os_children : image_children).push_back(c.purl);
    json depends = json::array();
    for (std::size_t d : c.depends) depends.push_back(inv.components[d].purl);
    dependencies.push_back({{"ref", c.purl}, {"dependsOn", depends}});
  }
  dependencies.push_back({{"ref", image_ref}, {"dependsOn", image_children}});
  if (!os_ref.empty()) dependencies.push_back({{"ref", os_ref}, {"dependsOn", os_children}});
  json doc = {{"bomFormat", "CycloneDX"},
              {"specVersion", "1.5"},
              {"serialNumber", uuid_urn("cyclonedx " + inv.digest)},
              {"version", 1},
              {"metadata", metadata},
              {"components", components},
              {"dependencies", dependencies}};
  return doc.dump(2) + "\n";
}

}  // namespace sheaf::sbom
