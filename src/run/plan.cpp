#include "run/plan.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "base/error.hpp"
#include "base/text.hpp"

namespace sheaf::run {

namespace fs = std::filesystem;

namespace {

std::optional<std::uint32_t> as_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos || text.size() > 10) {
    return std::nullopt;
  }
  std::uint64_t value = std::stoull(std::string(text));
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> fields;
  std::string current;
  for (char c : line) {
    if (c == ':') {
      fields.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  fields.push_back(current);
  return fields;
}

std::uint32_t id_field(const std::string& text, std::string_view file, std::size_t line) {
  auto id = as_number(text);
  if (!id) fail("the image's {} line {} has {} where a number belongs", file, line, quote(text));
  return *id;
}

}  // namespace

Identity resolve_user(std::string_view spec, std::string_view passwd, std::string_view group) {
  Identity id;
  if (spec.empty()) {
    id.home = "/root";
    return id;
  }
  std::string user(spec.substr(0, spec.find(':')));
  std::string wanted_group =
      spec.find(':') == std::string_view::npos ? "" : std::string(spec.substr(spec.find(':') + 1));
  bool found = false;
  std::size_t number = 0;
  for (auto line : split_lines(passwd)) {
    ++number;
    auto fields = fields_of(line);
    if (fields.size() < 7) continue;
    if (fields[0] == user || fields[2] == user) {
      id.uid = id_field(fields[2], "/etc/passwd", number);
      id.gid = id_field(fields[3], "/etc/passwd", number);
      id.home = fields[5];
      found = true;
      break;
    }
  }
  if (!found) {
    auto uid = as_number(user);
    if (!uid) fail("user {} is not in the image's /etc/passwd", quote(user));
    id.uid = *uid;
    id.gid = *uid;
  }
  if (wanted_group.empty()) return id;
  if (auto gid = as_number(wanted_group)) {
    id.gid = *gid;
    return id;
  }
  number = 0;
  for (auto line : split_lines(group)) {
    ++number;
    auto fields = fields_of(line);
    if (fields.size() < 3 || fields[0] != wanted_group) continue;
    id.gid = id_field(fields[2], "/etc/group", number);
    return id;
  }
  fail("group {} is not in the image's /etc/group", quote(wanted_group));
}

std::vector<std::string> container_args(const oci::RuntimeConfig& image, const std::optional<std::string>& entrypoint,
                                        const std::optional<std::vector<std::string>>& cmd) {
  std::vector<std::string> args;
  if (entrypoint) {
    args.push_back(*entrypoint);
  } else {
    args = image.entrypoint;
  }
  const std::vector<std::string>& tail = cmd ? *cmd : image.cmd;
  args.insert(args.end(), tail.begin(), tail.end());
  if (args.empty()) fail("the image has no entrypoint or cmd; give a command after --");
  return args;
}

std::vector<std::string> container_env(const std::vector<std::string>& image_env,
                                       const std::vector<std::string>& requested, const std::string& home,
                                       const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::map<std::string, std::string> env;
  for (const auto& e : image_env) {
    auto eq = e.find('=');
    env[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  env.emplace("HOME", home);
  env.emplace("HOSTNAME", std::string(kHostname));
  for (const auto& e : requested) {
    auto eq = e.find('=');
    if (eq == std::string::npos) {
      if (auto value = lookup(e)) env[e] = *value;
    } else {
      env[e.substr(0, eq)] = e.substr(eq + 1);
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

Mount parse_volume(const std::string& text) {
  std::vector<std::string> parts = fields_of(text);
  if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw")) {
    fail_usage("-v {}: expected SRC:DST or SRC:DST:ro", quote(text));
  }
  fs::path source = fs::absolute(parts[0]);
  std::error_code ec;
  if (!fs::exists(source, ec)) fail_usage("-v {}: {} does not exist", quote(text), quote(source.string()));
  if (parts[1].empty() || parts[1].front() != '/') fail_usage("-v {}: the destination must be absolute", quote(text));
  return {parts[1], "bind", source.string(), {"rbind", parts.size() == 3 && parts[2] == "ro" ? "ro" : "rw"}};
}

bool under_volume(const std::string& program, const std::vector<Mount>& volumes) {
  for (const auto& v : volumes) {
    if (program == v.destination || program.starts_with(v.destination + "/")) return true;
  }
  return false;
}

std::string hosts_file() {
  return fmt::format("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{}\n", kHostname);
}

}  // namespace sheaf::run
