#include "spec/image_sections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/error.hpp"
#include "deb/relation.hpp"
#include "spec/toml_reader.hpp"
#include "spec/trim.hpp"

namespace sheaf::spec::detail {

namespace {

// An absolute image path: "/" followed by components that are neither empty,
// "." nor "..". A trailing '/' is dropped.
std::string image_path(const TomlReader& reader, const toml::node& node, std::string_view name) {
  std::string path = reader.as_string(node, name);
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  bool ok = path.starts_with('/') && path.find('\0') == std::string::npos;
  for (std::size_t at = 1; ok && at < path.size();) {
    std::size_t end = path.find('/', at);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + at, end - at);
    ok = !part.empty() && part != "." && part != "..";
    at = end + 1;
  }
  if (!ok || path.size() < 2) {
    reader.fail_at(node.source(),
                   fmt::format("{} {} must be an absolute path inside the image, such as \"/app\"", name, quote(path)));
  }
  return path;
}

// A mode: a string of octal digits ("0755") or a TOML octal integer (0o755).
// A decimal integer is refused: 755 would silently mean 0o1363.
std::uint32_t file_mode(const TomlReader& reader, const toml::node& node) {
  std::uint64_t mode = 0;
  if (const auto* text = node.as_string()) {
    const std::string& s = text->get();
    bool ok = !s.empty() && s.size() <= 5 && s.find_first_not_of("01234567") == std::string::npos;
    if (ok) mode = std::stoul(s, nullptr, 8);
    if (!ok || mode > 07777)
      reader.fail_at(node.source(), fmt::format("mode {} must be octal, such as \"0644\"", quote(s)));
  } else if (const auto* number = node.as_integer()) {
    if (!(number->flags() & toml::value_flags::format_as_octal)) {
      reader.fail_at(node.source(), "mode must be octal: write \"0644\" or 0o644, not a decimal number");
    }
    mode = reader.as_uint(node, "mode", 07777);
  } else {
    reader.fail_at(node.source(),
                   fmt::format("mode must be an octal string such as \"0644\", not {}", TomlReader::type_name(node)));
  }
  return static_cast<std::uint32_t>(mode);
}

std::uint32_t id_of(const TomlReader& reader, const toml::node& node, std::string_view name) {
  return static_cast<std::uint32_t>(reader.as_uint(node, name, 0xfffffffe));  // (uid_t)-1 means "unchanged"
}

std::vector<std::pair<std::string, std::string>> string_table(const TomlReader& reader, const toml::node& node,
                                                              std::string_view name, bool env) {
  const auto& table = reader.as_table(node, name);
  std::vector<std::pair<std::string, std::string>> out;
  for (auto&& [key, value] : table) {
    std::string k(key.str());
    if (k.empty() || (env && k.find('=') != std::string::npos)) {
      reader.fail_at(key.source(),
                     fmt::format("{} is not a valid {} name", quote(k), env ? "environment variable" : "label"));
    }
    out.emplace_back(k, reader.as_string(value, fmt::format("{}.{}", name, k)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

ImageConfig read_image(const TomlReader& reader, const toml::table& table) {
  reader.check_keys(table, "image",
                    {"name", "entrypoint", "cmd", "env", "user", "workdir", "ports", "labels", "stop_signal"});
  ImageConfig image;
  if (const auto* node = table.get("name")) {
    image.name = reader.as_string(*node, "name");
    // An OCI reference name: lowercase path components of [a-z0-9._-], separated by '/'.
    bool ok = !image.name.empty() && image.name.size() <= 255 && image.name.front() != '/' &&
              image.name.back() != '/' && image.name.find("//") == std::string::npos &&
              std::all_of(image.name.begin(), image.name.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
              });
    if (!ok) {
      reader.fail_at(node->source(),
                     fmt::format("image name {} must be lowercase letters, digits, '.', '_', '-' and '/', "
                                 "such as \"hello-python\" (a tag goes in --tag NAME:TAG)",
                                 quote(image.name)));
    }
  }
  if (const auto* node = table.get("entrypoint")) {
    image.entrypoint = reader.as_strings(*node, "entrypoint");
    image.entrypoint_position = position_of(node->source());
  }
  if (const auto* node = table.get("cmd")) image.cmd = reader.as_strings(*node, "cmd");
  if (const auto* node = table.get("env")) image.env = string_table(reader, *node, "env", true);
  if (const auto* node = table.get("user")) {
    image.user = reader.as_string(*node, "user");
    if (image.user.empty() || image.user.find_first_of(" \t\n") != std::string::npos) {
      reader.fail_at(node->source(), "user must be a user name, or UID[:GID]");
    }
  }
  if (const auto* node = table.get("workdir")) image.workdir = image_path(reader, *node, "workdir");
  if (const auto* node = table.get("ports")) {
    const auto* array = node->as_array();
    if (!array) reader.fail_at(node->source(), "ports must be a list, such as [\"80/tcp\", 443]");
    for (const auto& element : *array) {
      std::string port;
      if (element.is_integer()) {
        port = std::to_string(reader.as_uint(element, "a port", 65535)) + "/tcp";
      } else {
        port = reader.as_string(element, "each entry of ports");
        auto slash = port.find('/');
        std::string number = port.substr(0, slash);
        std::string protocol = slash == std::string::npos ? "tcp" : port.substr(slash + 1);
        bool ok = !number.empty() && number.size() <= 5 &&
                  number.find_first_not_of("0123456789") == std::string::npos && std::stoul(number) <= 65535 &&
                  (protocol == "tcp" || protocol == "udp" || protocol == "sctp");
        if (!ok)
          reader.fail_at(element.source(),
                         fmt::format("{} is not a port such as \"80\", \"80/tcp\" or \"53/udp\"", quote(port)));
        port = std::to_string(std::stoul(number)) + "/" + protocol;
      }
      image.ports.push_back(port);
    }
    std::sort(image.ports.begin(), image.ports.end());
    image.ports.erase(std::unique(image.ports.begin(), image.ports.end()), image.ports.end());
  }
  if (const auto* node = table.get("labels")) image.labels = string_table(reader, *node, "labels", false);
  if (const auto* node = table.get("stop_signal")) {
    image.stop_signal = reader.as_string(*node, "stop_signal");
    if (!is_signal_spelling(image.stop_signal)) {
      reader.fail_at(node->source(), fmt::format("stop_signal {} must be a signal such as \"SIGTERM\" or \"15\"",
                                                 quote(image.stop_signal)));
    }
  }
  return image;
}

std::string path_glob(const TomlReader& reader, std::string glob, const toml::source_region& where,
                      std::string_view what) {
  if (glob.starts_with('/')) glob.erase(0, glob.find_first_not_of('/'));
  bool ok = !glob.empty() && glob.find('\0') == std::string::npos;
  for (std::size_t at = 0; ok && at < glob.size();) {
    std::size_t end = glob.find('/', at);
    if (end == std::string::npos) end = glob.size();
    std::string_view part(glob.data() + at, end - at);
    ok = !part.empty() && part != "." && part != "..";
    at = end + 1;
  }
  if (!ok) reader.fail_at(where, fmt::format("{} {} must be a path glob such as \"usr/share/doc/**\"", what, quote(glob)));
  return glob;
}

std::vector<std::string> read_drop_paths(const TomlReader& reader, const toml::node& node) {
  return reader.as_strings(node, "drop_paths", [&](std::string& glob, const toml::source_region& where) {
    glob = path_glob(reader, glob, where, "drop_paths entry");
  });
}

std::vector<User> read_users(const TomlReader& reader, const toml::node& node) {
  std::vector<User> users;
  std::map<std::string, Position> names;
  std::map<std::uint32_t, std::string> uids;
  for (const auto& element : reader.as_tables(node, "users")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[users]", {"name", "uid", "gid", "home", "shell"});
    User user;
    user.position = position_of(table.source());
    const auto& name_node = reader.need(table, "name", "a [[users]] entry");
    user.name = reader.as_string(name_node, "name");
    if (!is_account_name(user.name)) {
      reader.fail_at(
          name_node.source(),
          fmt::format("user name {} must start with a-z or '_' and hold only a-z, 0-9, '_' and '-'", quote(user.name)));
    }
    if (user.name == "root" || user.name == "nobody") {
      reader.fail_at(name_node.source(),
                     fmt::format("user {} is always in the image; choose another name", quote(user.name)));
    }
    if (auto [it, fresh] = names.emplace(user.name, user.position); !fresh) {
      reader.fail_at(name_node.source(),
                     fmt::format("user {} is declared twice (first at line {})", quote(user.name), it->second.line));
    }
    const auto& uid_node = reader.need(table, "uid", "a [[users]] entry");
    user.uid = id_of(reader, uid_node, "uid");
    if (user.uid == 0 || user.uid == 65534) {
      reader.fail_at(uid_node.source(),
                     fmt::format("uid {} belongs to {}; choose another", user.uid, user.uid == 0 ? "root" : "nobody"));
    }
    if (auto [it, fresh] = uids.emplace(user.uid, user.name); !fresh) {
      reader.fail_at(uid_node.source(),
                     fmt::format("uid {} of {} is already {}'s", user.uid, quote(user.name), quote(it->second)));
    }
    user.gid = table.get("gid") ? id_of(reader, *table.get("gid"), "gid") : user.uid;
    user.home = table.get("home") ? image_path(reader, *table.get("home"), "home") : "/home/" + user.name;
    user.shell = table.get("shell") ? image_path(reader, *table.get("shell"), "shell") : "/usr/sbin/nologin";
    users.push_back(std::move(user));
  }
  return users;
}

std::vector<Group> read_groups(const TomlReader& reader, const toml::node& node) {
  std::vector<Group> groups;
  std::map<std::string, unsigned> names;
  std::map<std::uint32_t, std::string> gids;
  for (const auto& element : reader.as_tables(node, "groups")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[groups]", {"name", "gid"});
    Group group;
    group.position = position_of(table.source());
    const auto& name_node = reader.need(table, "name", "a [[groups]] entry");
    group.name = reader.as_string(name_node, "name");
    if (!is_account_name(group.name)) {
      reader.fail_at(name_node.source(),
                     fmt::format("group name {} must start with a-z or '_' and hold only a-z, 0-9, '_' and '-'",
                                 quote(group.name)));
    }
    if (group.name == "root" || group.name == "nogroup") {
      reader.fail_at(name_node.source(),
                     fmt::format("group {} is always in the image; choose another name", quote(group.name)));
    }
    if (auto [it, fresh] = names.emplace(group.name, group.position.line); !fresh) {
      reader.fail_at(name_node.source(),
                     fmt::format("group {} is declared twice (first at line {})", quote(group.name), it->second));
    }
    const auto& gid_node = reader.need(table, "gid", "a [[groups]] entry");
    group.gid = id_of(reader, gid_node, "gid");
    if (group.gid == 0 || group.gid == 65534) {
      reader.fail_at(gid_node.source(), fmt::format("gid {} belongs to {}; choose another", group.gid,
                                                    group.gid == 0 ? "root" : "nogroup"));
    }
    if (auto [it, fresh] = gids.emplace(group.gid, group.name); !fresh) {
      reader.fail_at(gid_node.source(),
                     fmt::format("gid {} of {} is already {}'s", group.gid, quote(group.name), quote(it->second)));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

std::vector<LocalFiles> read_files(const TomlReader& reader, const toml::node& node,
                                   const std::filesystem::path& spec_path) {
  std::vector<LocalFiles> files;
  std::map<std::string, std::vector<std::pair<std::string, unsigned>>> dests;  // dest -> (arch, line)
  for (const auto& element : reader.as_tables(node, "files")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[files]", {"src", "dest", "mode", "uid", "gid", "arch"});
    LocalFiles entry;
    entry.position = position_of(table.source());
    const auto& src_node = reader.need(table, "src", "a [[files]] entry");
    entry.src_as_written = reader.as_string(src_node, "src");
    if (entry.src_as_written.empty()) reader.fail_at(src_node.source(), "src must name a file or directory");
    std::filesystem::path src(entry.src_as_written);
    entry.src = src.is_absolute() ? src : spec_path.parent_path() / src;
    const auto& dest_node = reader.need(table, "dest", "a [[files]] entry");
    entry.dest = image_path(reader, dest_node, "dest");
    if (const auto* arch = table.get("arch")) {
      entry.arch = reader.as_string(*arch, "arch");
      if (!deb::is_machine_arch(entry.arch)) {
        reader.fail_at(arch->source(),
                       fmt::format("{} is not a Debian architecture such as \"amd64\"", quote(entry.arch)));
      }
    }
    // One dest per image: entries for different architectures may share it.
    for (const auto& [arch, line] : dests[entry.dest]) {
      if (arch.empty() || entry.arch.empty() || arch == entry.arch) {
        reader.fail_at(dest_node.source(), fmt::format("dest {} is already the dest of the [[files]] entry at line {}",
                                                       quote(entry.dest), line));
      }
    }
    dests[entry.dest].emplace_back(entry.arch, entry.position.line);
    if (const auto* mode = table.get("mode")) entry.mode = file_mode(reader, *mode);
    if (const auto* uid = table.get("uid")) entry.uid = id_of(reader, *uid, "uid");
    if (const auto* gid = table.get("gid")) entry.gid = id_of(reader, *gid, "gid");
    files.push_back(std::move(entry));
  }
  return files;
}

std::vector<RecipeRef> read_recipes(const TomlReader& reader, const toml::node& node,
                                    const std::filesystem::path& spec_path) {
  std::vector<RecipeRef> recipes;
  std::map<std::filesystem::path, unsigned> seen;
  for (const auto& element : reader.as_tables(node, "recipes")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[recipes]", {"path"});
    RecipeRef entry;
    entry.position = position_of(table.source());
    const auto& path_node = reader.need(table, "path", "a [[recipes]] entry");
    entry.path_as_written = reader.as_string(path_node, "path");
    if (entry.path_as_written.empty()) reader.fail_at(path_node.source(), "path must name a recipe file");
    std::filesystem::path path(entry.path_as_written);
    entry.path = (path.is_absolute() ? path : spec_path.parent_path() / path).lexically_normal();
    if (auto [it, fresh] = seen.emplace(entry.path, entry.position.line); !fresh) {
      reader.fail_at(path_node.source(),
                     fmt::format("the recipe {} is already named at line {}", quote(entry.path_as_written), it->second));
    }
    recipes.push_back(std::move(entry));
  }
  return recipes;
}

std::vector<PathEntry> read_paths(const TomlReader& reader, const toml::node& node) {
  std::vector<PathEntry> paths;
  std::map<std::string, unsigned> seen;
  for (const auto& element : reader.as_tables(node, "paths")) {
    const auto& table = *element.as_table();
    reader.check_keys(table, "[paths]", {"path", "type", "mode", "uid", "gid", "target", "content"});
    PathEntry entry;
    entry.position = position_of(table.source());
    const auto& path_node = reader.need(table, "path", "a [[paths]] entry");
    entry.path = image_path(reader, path_node, "path");
    if (auto [it, fresh] = seen.emplace(entry.path, entry.position.line); !fresh) {
      reader.fail_at(path_node.source(),
                     fmt::format("path {} is already declared at line {}", quote(entry.path), it->second));
    }
    const auto& type_node = reader.need(table, "type", "a [[paths]] entry");
    std::string type = reader.as_string(type_node, "type");
    if (type == "dir") {
      entry.type = PathEntry::Type::dir;
      entry.mode = 0755;
    } else if (type == "symlink") {
      entry.type = PathEntry::Type::symlink;
    } else if (type == "file") {
      entry.type = PathEntry::Type::file;
      entry.mode = 0644;
    } else {
      reader.fail_at(type_node.source(), fmt::format("type {} must be \"dir\", \"symlink\" or \"file\"", quote(type)));
    }
    const auto* target = table.get("target");
    if (entry.type == PathEntry::Type::symlink) {
      if (!target) reader.fail_at(table.source(), fmt::format("the symlink {} needs a target", quote(entry.path)));
      entry.target = reader.as_string(*target, "target");
      if (entry.target.empty()) reader.fail_at(target->source(), "target must not be empty");
    } else if (target) {
      reader.fail_at(target->source(), "target is for type = \"symlink\" only");
    }
    if (const auto* content = table.get("content")) {
      if (entry.type != PathEntry::Type::file) reader.fail_at(content->source(), "content is for type = \"file\" only");
      entry.content = reader.as_string(*content, "content");
    }
    if (const auto* mode = table.get("mode")) {
      if (entry.type == PathEntry::Type::symlink) reader.fail_at(mode->source(), "a symlink has no mode");
      entry.mode = file_mode(reader, *mode);
    }
    if (const auto* uid = table.get("uid")) entry.uid = id_of(reader, *uid, "uid");
    if (const auto* gid = table.get("gid")) entry.gid = id_of(reader, *gid, "gid");
    paths.push_back(std::move(entry));
  }
  return paths;
}

std::vector<AlternativeChoice> read_alternatives(const TomlReader& reader, const toml::node& node) {
  const auto& table = reader.as_table(node, "[alternatives]");
  std::vector<AlternativeChoice> out;
  for (auto&& [key, value] : table) {
    std::string name(key.str());
    // update-alternatives' names: no '/' and no white space.
    bool ok = !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
      return c == '/' || c == ' ' || c == '\t' || c == '\n' || static_cast<unsigned char>(c) < 0x20;
    });
    if (!ok) reader.fail_at(key.source(), fmt::format("{} is not an alternative name such as \"java\"", quote(name)));
    out.push_back({name, image_path(reader, value, "alternatives." + name), position_of(key.source())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace sheaf::spec::detail
