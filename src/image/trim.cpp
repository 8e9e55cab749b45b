#include "image/trim.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "base/error.hpp"
#include "image/glob.hpp"
#include "image/layers.hpp"

namespace sheaf::image {

using fileset::EntryType;
using nlohmann::json;

namespace {

// A keep glob covers a path when it matches the path or a directory above
// it, as drop_paths globs do.
bool covered(const std::vector<std::string>& keep, std::string_view path) {
  return dropped_by(keep, path);
}

std::string status_stanza(const std::string& name) {
  return "var/lib/dpkg/status.d/" + name;
}

json workload_json(const spec::Workload& w) {
  json doc = {{"name", w.name},
              {"env", w.env},
              {"timeout", w.timeout},
              {"allow_failure", w.allow_failure},
              {"network", w.uses_host_network() ? "host" : "none"}};
  if (w.entrypoint) doc["entrypoint"] = *w.entrypoint;
  if (w.args) doc["args"] = *w.args;
  if (w.user) doc["user"] = *w.user;
  if (w.workdir) doc["workdir"] = *w.workdir;
  if (w.server()) {
    doc["ready"] = w.ready;
    doc["probes"] = w.probes;
    doc["ready_timeout"] = w.ready_timeout;
    if (!w.stop_signal.empty()) doc["stop_signal"] = w.stop_signal;
  }
  return doc;
}

spec::Workload parse_workload(const json& doc) {
  spec::Workload w;
  w.name = doc.at("name").get<std::string>();
  w.env = doc.at("env").get<std::vector<std::string>>();
  w.timeout = doc.at("timeout").get<std::uint32_t>();
  w.allow_failure = doc.at("allow_failure").get<bool>();
  w.host_network = doc.at("network").get<std::string>() == "host";
  if (doc.contains("entrypoint")) w.entrypoint = doc["entrypoint"].get<std::string>();
  if (doc.contains("args")) w.args = doc["args"].get<std::vector<std::string>>();
  if (doc.contains("user")) w.user = doc["user"].get<std::string>();
  if (doc.contains("workdir")) w.workdir = doc["workdir"].get<std::string>();
  if (doc.contains("ready")) {
    w.ready = doc["ready"].get<std::vector<std::string>>();
    w.probes = doc.at("probes").get<std::vector<std::vector<std::string>>>();
    w.ready_timeout = doc.at("ready_timeout").get<std::uint32_t>();
    if (doc.contains("stop_signal")) w.stop_signal = doc["stop_signal"].get<std::string>();
  }
  return w;
}

}  // namespace

std::set<std::string> TrimProfile::used() const {
  std::set<std::string> out;
  for (const auto& p : packages) out.insert(p.used.begin(), p.used.end());
  return out;
}

std::vector<std::string> TrimProfile::untrimmed_ids() const {
  std::vector<std::string> ids;
  for (const auto& p : packages) ids.push_back(p.from);
  for (const auto& d : dropped) ids.push_back(d.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

json trim_profile_json(const TrimProfile& profile) {
  json workloads = json::array();
  for (const auto& w : profile.workloads) workloads.push_back(workload_json(w));
  json packages = json::array();
  for (const auto& p : profile.packages) {
    packages.push_back({{"name", p.name},
                        {"version", p.version},
                        {"from", p.from},
                        {"id", p.id},
                        {"entries", p.entries},
                        {"kept", p.kept},
                        {"used", p.used}});
  }
  json dropped = json::array();
  for (const auto& d : profile.dropped) dropped.push_back({{"name", d.name}, {"version", d.version}, {"id", d.id}});
  return {{"source", profile.source}, {"closure_checked", false}, {"keep", profile.keep},
          {"workloads", workloads},   {"packages", packages},     {"dropped", dropped}};
}

TrimProfile parse_trim_profile(const json& doc, const std::string& label) {
  TrimProfile profile;
  try {
    profile.source = doc.at("source").get<std::string>();
    profile.keep = doc.at("keep").get<std::vector<std::string>>();
    for (const auto& w : doc.at("workloads")) profile.workloads.push_back(parse_workload(w));
    for (const auto& p : doc.at("packages")) {
      profile.packages.push_back({p.at("name").get<std::string>(), p.at("version").get<std::string>(),
                                  p.at("from").get<std::string>(), p.at("id").get<std::string>(),
                                  p.at("entries").get<std::uint64_t>(), p.at("kept").get<std::uint64_t>(),
                                  p.at("used").get<std::vector<std::string>>()});
    }
    for (const auto& d : doc.at("dropped")) {
      profile.dropped.push_back(
          {d.at("name").get<std::string>(), d.at("version").get<std::string>(), d.at("id").get<std::string>()});
    }
  } catch (const json::exception& e) {
    fail("the trim profile recorded for {} is not one sheaf can read: {}", label, e.what());
  }
  return profile;
}

std::vector<MemberTrim> trim_members(const std::vector<const fileset::Manifest*>& manifests,
                                     const std::vector<std::string>& names, const std::set<std::string>& used,
                                     const std::vector<std::string>& keep) {
  const std::size_t n = manifests.size();
  std::set<std::string, std::less<>> relative;
  for (const auto& p : used) {
    if (p.size() > 1 && p.front() == '/') relative.insert(p.substr(1));
  }
  std::vector<MemberTrim> out(n);
  std::vector<std::set<std::string>> kept(n);
  // Used directories, and which members hold each.
  std::map<std::string, std::vector<std::size_t>> dirs;
  // 1. Files and links the workloads used, and whatever a keep glob covers.
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& e : manifests[i]->entries()) {
      bool in_use = relative.count(e.path) > 0;
      if (covered(keep, e.path)) {
        kept[i].insert(e.path);
        out[i].used = true;
      }
      if (!in_use) continue;
      if (e.type == EntryType::dir) {
        dirs[e.path].push_back(i);
        continue;
      }
      kept[i].insert(e.path);
      out[i].used = true;
    }
  }
  // 2. A used directory that no used member holds makes its first holder
  // used (members come in a fixed order: Debian ones by name first).
  for (const auto& [dir, holders] : dirs) {
    bool held = std::any_of(holders.begin(), holders.end(), [&](std::size_t h) { return out[h].used; });
    if (!held) out[holders.front()].used = true;
  }
  for (const auto& [dir, holders] : dirs) {
    for (std::size_t h : holders) {
      if (out[h].used) kept[h].insert(dir);
    }
  }
  // 3. What stays: the kept entries, the status stanza, the directories above.
  for (std::size_t i = 0; i < n; ++i) {
    if (!out[i].used) continue;
    for (const auto& path : kept[i]) {
      if (relative.count(path)) out[i].paths.push_back("/" + path);
    }
    std::set<std::string_view> holds;
    for (const auto& e : manifests[i]->entries()) holds.insert(e.path);
    if (holds.count(status_stanza(names[i]))) kept[i].insert(status_stanza(names[i]));
    std::vector<std::string> parents;
    for (const auto& path : kept[i]) {
      for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1)) {
        std::string parent = path.substr(0, slash);
        if (holds.count(parent)) parents.push_back(parent);
      }
    }
    kept[i].insert(parents.begin(), parents.end());
    const auto& keep_i = kept[i];
    out[i].manifest =
        filter_fileset(*manifests[i], [&](const fileset::Entry& e) { return keep_i.count(e.path) > 0; }).manifest;
  }
  return out;
}

std::vector<LostPaths> lost_paths(const TrimProfile& before, const TrimProfile& after) {
  std::set<std::string> still = after.used();
  std::vector<LostPaths> out;
  for (const auto& p : before.packages) {
    LostPaths lost{p.name, p.version, {}};
    for (const auto& path : p.used) {
      if (!still.count(path)) lost.paths.push_back(path);
    }
    if (!lost.paths.empty()) out.push_back(std::move(lost));
  }
  return out;
}

std::vector<std::string> unmatched_keeps(const std::vector<const fileset::Manifest*>& manifests,
                                         const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& glob : keep) {
    std::vector<std::string> one{glob};
    bool matched = std::any_of(manifests.begin(), manifests.end(), [&](const fileset::Manifest* m) {
      return std::any_of(m->entries().begin(), m->entries().end(),
                         [&](const fileset::Entry& e) { return covered(one, e.path); });
    });
    if (!matched) out.push_back(glob);
  }
  return out;
}

}  // namespace sheaf::image
