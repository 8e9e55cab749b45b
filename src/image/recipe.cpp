#include "image/recipe.hpp"

#include "image/sources.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace sheaf::image {

namespace {

using nlohmann::json;

const char* type_name(spec::PathEntry::Type type) {
  switch (type) {
    case spec::PathEntry::Type::dir:
      return "dir";
    case spec::PathEntry::Type::symlink:
      return "symlink";
    case spec::PathEntry::Type::file:
      return "file";
  }
  return "dir";
}

spec::PathEntry::Type parse_type(const std::string& text) {
  if (text == "dir") return spec::PathEntry::Type::dir;
  if (text == "symlink") return spec::PathEntry::Type::symlink;
  if (text == "file") return spec::PathEntry::Type::file;
  fail("unknown path type {}", quote(text));
}

json pairs(const std::vector<std::pair<std::string, std::string>>& list) {
  json out = json::array();
  for (const auto& [k, v] : list) out.push_back({k, v});
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_pairs(const json& list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : list) out.emplace_back(p.at(0).get<std::string>(), p.at(1).get<std::string>());
  return out;
}

}  // namespace

json recipe_json(const spec::Spec& spec, const std::optional<OsRelease>& os, const std::string& arch,
                 const std::vector<std::string>& files) {
  const auto& i = spec.image;
  json include = json::array();
  for (const auto& pin : spec.packages.include) include.push_back(pin.str());
  json users = json::array(), groups = json::array(), paths = json::array();
  for (const auto& u : spec.users) {
    users.push_back({{"name", u.name}, {"uid", u.uid}, {"gid", u.gid}, {"home", u.home}, {"shell", u.shell}});
  }
  for (const auto& g : spec.groups) groups.push_back({{"name", g.name}, {"gid", g.gid}});
  for (const auto& p : spec.paths) {
    paths.push_back({{"path", p.path},
                     {"type", type_name(p.type)},
                     {"mode", p.mode},
                     {"uid", p.uid},
                     {"gid", p.gid},
                     {"target", p.target},
                     {"content", p.content}});
  }
  json doc = {{"arch", arch},
              {"image",
               {{"entrypoint", i.entrypoint},
                {"cmd", i.cmd},
                {"env", pairs(i.env)},
                {"user", i.user},
                {"workdir", i.workdir},
                {"ports", i.ports},
                {"labels", pairs(i.labels)},
                {"stop_signal", i.stop_signal}}},
              {"packages",
               {{"include", include},
                {"exclude", spec.packages.exclude},
                {"recommends", spec.packages.recommends},
                {"drop_paths", spec.packages.drop_paths}}},
              {"users", users},
              {"groups", groups},
              {"paths", paths},
              {"files", files}};
  doc["os"] = os ? json{{"codename", os->codename}, {"version_id", os->version_id}} : json(nullptr);
  // Only when chosen, so that recipes recorded before [alternatives] existed
  // stay what a build of the same spec records.
  if (!spec.alternatives.empty()) {
    json choices = json::array();
    for (const auto& a : spec.alternatives) choices.push_back({a.name, a.path});
    doc["alternatives"] = choices;
  }
  return doc;
}

std::optional<Recipe> recorded_recipe(const store::ImageRecord& record) {
  RecordedSources recorded = read_sources(record, record.digest);
  if (!recorded.recipe) return std::nullopt;
  return parse_recipe(*recorded.recipe, record.digest);
}

Recipe parse_recipe(const json& doc, const std::string& label) {
  Recipe r;
  try {
    r.spec.path = label;
    r.arch = doc.at("arch").get<std::string>();
    if (!doc.at("os").is_null()) {
      r.os =
          OsRelease{doc.at("os").at("codename").get<std::string>(), doc.at("os").at("version_id").get<std::string>()};
    }
    const json& i = doc.at("image");
    auto& image = r.spec.image;
    image.entrypoint = i.at("entrypoint").get<std::vector<std::string>>();
    image.cmd = i.at("cmd").get<std::vector<std::string>>();
    image.env = parse_pairs(i.at("env"));
    image.user = i.at("user").get<std::string>();
    image.workdir = i.at("workdir").get<std::string>();
    image.ports = i.at("ports").get<std::vector<std::string>>();
    image.labels = parse_pairs(i.at("labels"));
    image.stop_signal = i.at("stop_signal").get<std::string>();
    const json& p = doc.at("packages");
    for (const auto& text : p.at("include")) {
      auto written = text.get<std::string>();
      spec::PackagePin pin;
      auto eq = written.find('=');
      pin.name = written.substr(0, eq);
      if (eq != std::string::npos) pin.version = written.substr(eq + 1);
      r.spec.packages.include.push_back(std::move(pin));
    }
    r.spec.packages.exclude = p.at("exclude").get<std::vector<std::string>>();
    r.spec.packages.recommends = p.at("recommends").get<bool>();
    r.spec.packages.drop_paths = p.at("drop_paths").get<std::vector<std::string>>();
    for (const auto& u : doc.at("users")) {
      r.spec.users.push_back({u.at("name").get<std::string>(),
                              u.at("uid").get<std::uint32_t>(),
                              u.at("gid").get<std::uint32_t>(),
                              u.at("home").get<std::string>(),
                              u.at("shell").get<std::string>(),
                              {}});
    }
    for (const auto& g : doc.at("groups")) {
      r.spec.groups.push_back({g.at("name").get<std::string>(), g.at("gid").get<std::uint32_t>(), {}});
    }
    for (const auto& e : doc.at("paths")) {
      spec::PathEntry entry;
      entry.path = e.at("path").get<std::string>();
      entry.type = parse_type(e.at("type").get<std::string>());
      entry.mode = e.at("mode").get<std::uint32_t>();
      entry.uid = e.at("uid").get<std::uint32_t>();
      entry.gid = e.at("gid").get<std::uint32_t>();
      entry.target = e.at("target").get<std::string>();
      entry.content = e.at("content").get<std::string>();
      r.spec.paths.push_back(std::move(entry));
    }
    r.files = doc.at("files").get<std::vector<std::string>>();
    if (auto a = doc.find("alternatives"); a != doc.end()) {
      for (const auto& [name, path] : parse_pairs(*a)) r.spec.alternatives.push_back({name, path, {}});
    }
  } catch (const json::exception& e) {
    fail("the recipe recorded for {} is not one sheaf can read: {}", label, e.what());
  }
  return r;
}

}  // namespace sheaf::image
