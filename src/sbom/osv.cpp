#include "sbom/osv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "deb/version.hpp"

namespace sheaf::sbom {

namespace {

using nlohmann::json;

// The ecosystems OSV defines (osv-schema, ecosystems list), by the part
// before any ':'. A name outside it is most likely a typo.
bool known_ecosystem(std::string_view name) {
  static const char* kKnown[] = {
      "AlmaLinux", "Alpine",  "Android",        "Bioconductor", "Bitnami",  "Chainguard", "CRAN",      "crates.io",
      "Debian",    "GHC",     "GitHub Actions", "Go",           "Hackage",  "Hex",        "Linux",     "Mageia",
      "Maven",     "npm",     "NuGet",          "openSUSE",     "OSS-Fuzz", "Packagist",  "Photon OS", "Pub",
      "PyPI",      "Red Hat", "Rocky Linux",    "RubyGems",     "SUSE",     "SwiftURL",   "Ubuntu",    "Wolfi",
      "GIT",       "Echo",    "MinimOS",        "openEuler"};
  std::string_view base = name.substr(0, name.find(':'));
  return std::any_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return base == k; });
}

int compare(const std::string& a, const std::string& b) {
  auto x = deb::Version::try_parse(a), y = deb::Version::try_parse(b);
  auto c = *x <=> *y;
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

OsvRecord parse_osv(std::string_view text, const std::string& ecosystem, const std::string& file,
                    std::vector<std::string>& problems, bool& other_ecosystem) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    fail("not JSON: {}", e.what());
  }
  if (!doc.is_object()) fail("not an OSV record (a JSON object)");
  OsvRecord r;
  r.file = file;
  r.id = string_field(doc, "id");
  if (r.id.empty()) fail("no \"id\"");
  if (doc.contains("affected") && !doc["affected"].is_array()) fail("{}: \"affected\" is not an array", r.id);
  if (auto a = doc.find("aliases"); a != doc.end() && a->is_array()) {
    for (const auto& alias : *a) {
      if (alias.is_string()) r.aliases.push_back(alias);
    }
  }
  r.summary = string_field(doc, "summary");
  if (auto d = doc.find("database_specific"); d != doc.end() && d->is_object())
    r.severity = string_field(*d, "severity");
  if (r.severity.empty()) {
    if (auto s = doc.find("severity"); s != doc.end() && s->is_array() && !s->empty()) {
      r.severity = string_field((*s)[0], "score");
    }
  }
  other_ecosystem = true;
  for (const auto& entry : doc.value("affected", json::array())) {
    if (!entry.is_object() || !entry.contains("package") || !entry["package"].is_object()) {
      fail("{}: an \"affected\" entry has no \"package\"", r.id);
    }
    const json& package = entry["package"];
    std::string eco = string_field(package, "ecosystem");
    if (!known_ecosystem(eco)) {
      problems.push_back(fmt::format("{}: {}: unknown ecosystem {}", file, r.id, quote(eco)));
      continue;
    }
    if (eco != ecosystem) continue;
    other_ecosystem = false;
    OsvAffected a;
    a.package = string_field(package, "name");
    if (a.package.empty()) fail("{}: a {} entry has no package name", r.id, eco);
    if (auto e = entry.find("ecosystem_specific"); e != entry.end() && e->is_object()) {
      a.severity = string_field(*e, "urgency");
    }
    bool bad = false;
    auto check = [&](const std::string& version) {
      if (version == "0" || deb::Version::try_parse(version)) return true;
      problems.push_back(fmt::format("{}: {}: {} is not a Debian version; the entry for {} is skipped", file, r.id,
                                     quote(version), a.package));
      bad = true;
      return false;
    };
    for (const auto& v : entry.value("versions", json::array())) {
      if (v.is_string() && check(v)) a.versions.push_back(v);
    }
    for (const auto& range : entry.value("ranges", json::array())) {
      if (string_field(range, "type") != "ECOSYSTEM") continue;
      std::vector<OsvEvent> events;
      for (const auto& event : range.value("events", json::array())) {
        static const std::pair<const char*, OsvEvent::Kind> kKinds[] = {
            {"introduced", OsvEvent::Kind::introduced},
            {"fixed", OsvEvent::Kind::fixed},
            {"last_affected", OsvEvent::Kind::last_affected},
            {"limit", OsvEvent::Kind::limit}};
        for (const auto& [key, kind] : kKinds) {
          std::string v = string_field(event, key);
          if (!v.empty() && check(v)) events.push_back({kind, v});
        }
      }
      a.ranges.push_back(std::move(events));
    }
    if (!bad) r.affected.push_back(std::move(a));
  }
  return r;
}

OsvSet read_osv_dir(const std::filesystem::path& dir, const std::string& ecosystem) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail("{} is not a directory of OSV records", quote(dir.string()));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  OsvSet set;
  set.files = files.size();
  for (const auto& file : files) {
    try {
      bool other = false;
      OsvRecord r = parse_osv(read_file(file.string()), ecosystem, file.string(), set.problems, other);
      if (other) {
        ++set.skipped;
      } else {
        set.records.push_back(std::move(r));
      }
    } catch (const Error& e) {
      set.problems.push_back(fmt::format("{}: {}", file.string(), e.what()));
    }
  }
  return set;
}

OsvVerdict evaluate(const OsvAffected& affected, const std::string& version) {
  OsvVerdict verdict;
  if (!deb::Version::try_parse(version)) return verdict;
  for (const auto& v : affected.versions) {
    if (v != "0" && compare(version, v) == 0) verdict.affected = true;
  }
  for (const auto& range : affected.ranges) {
    // Walk the events in version order ("0" first): the installed version
    // is affected when the last event at or below it opened a range.
    std::vector<OsvEvent> events = range;
    std::stable_sort(events.begin(), events.end(), [](const OsvEvent& a, const OsvEvent& b) {
      if (a.version == "0" || b.version == "0") return a.version == "0" && b.version != "0";
      return compare(a.version, b.version) < 0;
    });
    bool in = false;
    for (const auto& e : events) {
      bool at_or_below = e.version == "0" || compare(e.version, version) <= 0;
      switch (e.kind) {
        case OsvEvent::Kind::introduced:
          if (at_or_below) in = true;
          break;
        case OsvEvent::Kind::fixed:
        case OsvEvent::Kind::limit:
          if (at_or_below) in = false;
          break;
        case OsvEvent::Kind::last_affected:
          if (e.version != "0" && compare(e.version, version) < 0) in = false;
          break;
      }
    }
    if (in) verdict.affected = true;
    if (in && !verdict.fixed) {
      for (const auto& e : events) {
        if (e.kind == OsvEvent::Kind::fixed && compare(e.version, version) > 0) {
          verdict.fixed = e.version;
          break;
        }
      }
    }
  }
  return verdict;
}

}  // namespace sheaf::sbom
