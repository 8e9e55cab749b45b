#include "oci/documents.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/canonical_json.hpp"
#include "base/error.hpp"

namespace sheaf::oci {

namespace {

using nlohmann::json;

json descriptor_json(const Descriptor& d) {
  json out = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) out["annotations"] = d.annotations;
  if (d.platform) {
    out["platform"] = {{"architecture", d.platform->architecture}, {"os", d.platform->os}};
    if (!d.platform->variant.empty()) out["platform"]["variant"] = d.platform->variant;
  }
  if (!d.artifact_type.empty()) out["artifactType"] = d.artifact_type;
  return out;
}

// Reads one document's JSON, turning every failure into a ParseError.
template <typename Body>
auto parse_document(std::string_view bytes, std::string_view where, Body body) {
  try {
    return body(json::parse(bytes));
  } catch (const json::exception& e) {
    throw ParseError(std::string(where), fmt::format("not a valid OCI document: {}", e.what()));
  }
}

Digest digest_field(const json& j, std::string_view where) {
  auto digest = Digest::parse(j.at("digest").get<std::string>());
  if (!digest) throw ParseError(std::string(where), "a descriptor's digest is not sha256:<64 hex digits>");
  return *digest;
}

Descriptor parse_descriptor(const json& j, std::string_view where) {
  Descriptor d;
  d.media_type = j.at("mediaType").get<std::string>();
  d.digest = digest_field(j, where);
  d.size = j.at("size").get<std::uint64_t>();
  if (auto a = j.find("annotations"); a != j.end()) d.annotations = a->get<std::map<std::string, std::string>>();
  if (auto p = j.find("platform"); p != j.end()) {
    d.platform = Platform{p->at("architecture").get<std::string>(), p->at("os").get<std::string>(),
                          p->value("variant", "")};
  }
  if (auto a = j.find("artifactType"); a != j.end()) d.artifact_type = a->get<std::string>();
  return d;
}

std::vector<std::string> strings_or_empty(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->get<std::vector<std::string>>();
}

std::string string_or_empty(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->get<std::string>();
}

}  // namespace

std::string render(const ImageConfig& c) {
  json runtime = json::object();
  const RuntimeConfig& r = c.config;
  if (!r.entrypoint.empty()) runtime["Entrypoint"] = r.entrypoint;
  if (!r.cmd.empty()) runtime["Cmd"] = r.cmd;
  if (!r.env.empty()) runtime["Env"] = r.env;
  if (!r.user.empty()) runtime["User"] = r.user;
  if (!r.working_dir.empty()) runtime["WorkingDir"] = r.working_dir;
  if (!r.exposed_ports.empty()) {
    json ports = json::object();
    for (const auto& p : r.exposed_ports) ports[p] = json::object();
    runtime["ExposedPorts"] = ports;
  }
  if (!r.labels.empty()) runtime["Labels"] = r.labels;
  if (!r.stop_signal.empty()) runtime["StopSignal"] = r.stop_signal;
  json diff_ids = json::array();
  for (const auto& d : c.diff_ids) diff_ids.push_back(d.str());
  json history = json::array();
  for (const auto& h : c.history) history.push_back({{"created", c.created}, {"created_by", h}});
  json doc = {{"architecture", c.platform.architecture},
              {"os", c.platform.os},
              {"created", c.created},
              {"config", runtime},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
              {"history", history}};
  return canonical_json(doc);
}

std::string render(const ImageManifest& m) {
  json layers = json::array();
  for (const auto& l : m.layers) layers.push_back(descriptor_json(l));
  json doc = {{"schemaVersion", 2},
              {"mediaType", kMediaTypeManifest},
              {"config", descriptor_json(m.config)},
              {"layers", layers}};
  if (!m.annotations.empty()) doc["annotations"] = m.annotations;
  if (!m.artifact_type.empty()) doc["artifactType"] = m.artifact_type;
  if (m.subject) doc["subject"] = descriptor_json(*m.subject);
  return canonical_json(doc);
}

std::string render(const ImageIndex& index) {
  json manifests = json::array();
  for (const auto& d : index.manifests) manifests.push_back(descriptor_json(d));
  return canonical_json({{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", manifests}});
}

ImageConfig parse_config(std::string_view bytes, std::string_view where) {
  return parse_document(bytes, where, [&](const json& j) {
    ImageConfig c;
    c.platform.architecture = j.at("architecture").get<std::string>();
    c.platform.os = j.at("os").get<std::string>();
    c.created = string_or_empty(j, "created");
    if (auto r = j.find("config"); r != j.end() && r->is_object()) {
      c.config.entrypoint = strings_or_empty(*r, "Entrypoint");
      c.config.cmd = strings_or_empty(*r, "Cmd");
      c.config.env = strings_or_empty(*r, "Env");
      c.config.user = string_or_empty(*r, "User");
      c.config.working_dir = string_or_empty(*r, "WorkingDir");
      c.config.stop_signal = string_or_empty(*r, "StopSignal");
      if (auto p = r->find("ExposedPorts"); p != r->end() && p->is_object()) {
        for (const auto& [port, value] : p->items()) c.config.exposed_ports.push_back(port);
      }
      if (auto l = r->find("Labels"); l != r->end() && l->is_object()) {
        c.config.labels = l->get<std::map<std::string, std::string>>();
      }
    }
    for (const auto& d : j.at("rootfs").at("diff_ids")) {
      auto digest = Digest::parse(d.get<std::string>());
      if (!digest) throw ParseError(std::string(where), "a diff_id is not sha256:<64 hex digits>");
      c.diff_ids.push_back(*digest);
    }
    if (auto h = j.find("history"); h != j.end() && h->is_array()) {
      for (const auto& entry : *h) c.history.push_back(string_or_empty(entry, "created_by"));
    }
    return c;
  });
}

ImageManifest parse_manifest(std::string_view bytes, std::string_view where) {
  return parse_document(bytes, where, [&](const json& j) {
    if (j.at("schemaVersion").get<int>() != 2) throw ParseError(std::string(where), "schemaVersion is not 2");
    ImageManifest m;
    m.config = parse_descriptor(j.at("config"), where);
    for (const auto& l : j.at("layers")) m.layers.push_back(parse_descriptor(l, where));
    if (auto a = j.find("annotations"); a != j.end()) m.annotations = a->get<std::map<std::string, std::string>>();
    if (auto a = j.find("artifactType"); a != j.end()) m.artifact_type = a->get<std::string>();
    if (auto s = j.find("subject"); s != j.end()) m.subject = parse_descriptor(*s, where);
    return m;
  });
}

ImageIndex parse_index(std::string_view bytes, std::string_view where) {
  return parse_document(bytes, where, [&](const json& j) {
    if (j.at("schemaVersion").get<int>() != 2) throw ParseError(std::string(where), "schemaVersion is not 2");
    ImageIndex index;
    for (const auto& m : j.at("manifests")) index.manifests.push_back(parse_descriptor(m, where));
    return index;
  });
}

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

namespace {

struct ArchNames {
  std::string_view debian, oci, variant;
};
constexpr ArchNames kArchNames[] = {{"amd64", "amd64", ""},       {"arm64", "arm64", "v8"}, {"armhf", "arm", "v7"},
                                    {"armel", "arm", "v5"},       {"i386", "386", ""},      {"ppc64el", "ppc64le", ""},
                                    {"mips64el", "mips64le", ""}, {"s390x", "s390x", ""},   {"riscv64", "riscv64", ""}};

}  // namespace

Platform platform_of_debian_arch(std::string_view debian_arch) {
  Platform platform;
  platform.architecture = std::string(debian_arch);
  for (const auto& names : kArchNames) {
    if (names.debian == debian_arch) {
      platform.architecture = std::string(names.oci);
      platform.variant = std::string(names.variant);
    }
  }
  return platform;
}

Platform parse_platform(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  auto word = [](const std::string& w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
  };
  bool ok = parts.size() <= 3 && std::all_of(parts.begin(), parts.end(), word);
  if (!ok) {
    fail_usage("{} is not a platform: give OS/ARCH[/VARIANT] or ARCH, such as linux/arm64, linux/arm/v7 or arm64",
               quote(text));
  }
  if (parts.size() > 1 && parts[0] != "linux") {
    fail_usage("{}: sheaf builds linux images only (give linux/ARCH[/VARIANT])", quote(text));
  }
  Platform platform;
  if (parts.size() > 1) parts.erase(parts.begin());
  const std::string variant = parts.size() == 2 ? parts[1] : "";
  // A Debian name ("armhf") stands for its OCI platform.
  for (const auto& names : kArchNames) {
    if (names.debian == parts[0] && names.debian != names.oci) {
      platform = platform_of_debian_arch(parts[0]);
      if (!variant.empty()) platform.variant = variant;
      return platform;
    }
  }
  platform.architecture = parts[0];
  platform.variant = variant;
  return platform;
}

bool platform_matches(const Platform& offered, const Platform& wanted) {
  return offered.os == wanted.os && offered.architecture == wanted.architecture &&
         (offered.variant.empty() || wanted.variant.empty() || offered.variant == wanted.variant);
}

std::string rfc3339_utc(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) throw Error(fmt::format("{} is not a representable time", seconds));
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

}  // namespace sheaf::oci
