#include "spec/trim.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.hpp"
#include "spec/image_sections.hpp"
#include "spec/toml_reader.hpp"

namespace sheaf::spec {

namespace {

constexpr std::uint64_t kMaxSeconds = 24 * 3600;

std::vector<std::string> argv_of(const TomlReader& reader, const toml::node& node, std::string_view name) {
  auto argv = reader.as_strings(node, name);
  if (argv.empty() || argv.front().empty()) reader.fail_at(node.source(), fmt::format("{} names no program", name));
  return argv;
}

Workload read_workload(const TomlReader& reader, const toml::table& table, std::size_t number) {
  reader.check_keys(table, "[workload]",
                    {"name", "entrypoint", "args", "env", "user", "workdir", "timeout", "allow_failure", "network",
                     "ready", "probes", "stop_signal", "ready_timeout"});
  Workload w;
  w.position = position_of(table.source());
  w.name = fmt::format("workload {}", number);
  if (const auto* node = table.get("name")) {
    w.name = reader.as_string(*node, "name");
    if (w.name.empty()) reader.fail_at(node->source(), "name must not be empty");
  }
  if (const auto* node = table.get("entrypoint")) {
    w.entrypoint = reader.as_string(*node, "entrypoint");
    if (w.entrypoint->empty()) reader.fail_at(node->source(), "entrypoint must not be empty");
  }
  if (const auto* node = table.get("args")) w.args = reader.as_strings(*node, "args");
  if (const auto* node = table.get("env")) {
    w.env = reader.as_strings(*node, "env", [&](const std::string& v, const toml::source_region& where) {
      if (v.find('=') == std::string::npos || v.front() == '=') {
        reader.fail_at(where, fmt::format("env entry {} must be KEY=VALUE", quote(v)));
      }
    });
  }
  if (const auto* node = table.get("user")) w.user = reader.as_string(*node, "user");
  if (const auto* node = table.get("workdir")) {
    w.workdir = reader.as_string(*node, "workdir");
    if (!w.workdir->starts_with('/')) reader.fail_at(node->source(), "workdir must be an absolute path");
  }
  if (const auto* node = table.get("timeout")) {
    w.timeout = static_cast<std::uint32_t>(reader.as_uint(*node, "timeout (seconds)", kMaxSeconds));
    if (w.timeout == 0) reader.fail_at(node->source(), "timeout must be at least 1 second");
  }
  if (const auto* node = table.get("allow_failure")) w.allow_failure = reader.as_bool(*node, "allow_failure");
  if (const auto* node = table.get("network")) {
    std::string network = reader.as_string(*node, "network");
    if (network != "host" && network != "none") {
      reader.fail_at(node->source(), fmt::format("network must be \"host\" or \"none\", not {}", quote(network)));
    }
    w.host_network = network == "host";
  }
  if (const auto* node = table.get("ready")) w.ready = argv_of(reader, *node, "ready");
  if (const auto* node = table.get("probes")) {
    const auto* array = node->as_array();
    if (!array) reader.fail_at(node->source(), "probes must be a list of commands (lists of strings)");
    for (const auto& probe : *array) w.probes.push_back(argv_of(reader, probe, "each probe"));
  }
  if (const auto* node = table.get("stop_signal")) {
    w.stop_signal = reader.as_string(*node, "stop_signal");
    if (!is_signal_spelling(w.stop_signal)) {
      reader.fail_at(node->source(), fmt::format("stop_signal {} must be a signal such as \"SIGTERM\" or \"15\"",
                                                 quote(w.stop_signal)));
    }
  }
  if (const auto* node = table.get("ready_timeout")) {
    w.ready_timeout = static_cast<std::uint32_t>(reader.as_uint(*node, "ready_timeout (seconds)", kMaxSeconds));
  }
  if (!w.server()) {
    for (const char* key : {"probes", "stop_signal", "ready_timeout"}) {
      if (const auto* node = table.get(key)) {
        reader.fail_at(node->source(), fmt::format("{} is for a server workload, which needs ready", key));
      }
    }
  }
  return w;
}

}  // namespace

bool is_signal_spelling(std::string_view signal) {
  bool named = signal.size() > 3 && signal.starts_with("SIG") &&
               signal.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+", 3) == std::string_view::npos;
  bool numbered =
      !signal.empty() && signal.size() <= 2 && signal.find_first_not_of("0123456789") == std::string_view::npos;
  return named || numbered;
}

namespace detail {

TrimSpec read_trim(const TomlReader& reader, const toml::table& table, std::string_view table_name) {
  reader.check_keys(table, table_name, {"keep", "workload"});
  TrimSpec trim;
  if (const auto* node = table.get("keep")) {
    trim.keep = reader.as_strings(*node, "keep");
    const auto& array = *node->as_array();
    for (std::size_t i = 0; i < trim.keep.size(); ++i) {
      trim.keep[i] = path_glob(reader, trim.keep[i], array[i].source(), "keep");
    }
  }
  const toml::node* workloads = table.get("workload");
  if (!workloads) {
    reader.fail_at(table.source(), fmt::format("{} has no [[{}workload]]: nothing to trace",
                                               table_name.empty() ? "the file" : fmt::format("[{}]", table_name),
                                               table_name.empty() ? "" : std::string(table_name) + "."));
  }
  std::set<std::string> names;
  for (const auto& element : reader.as_tables(*workloads, "workload")) {
    Workload w = read_workload(reader, *element.as_table(), trim.workloads.size() + 1);
    if (!names.insert(w.name).second) {
      reader.fail_at(element.source(), fmt::format("two workloads are named {}", quote(w.name)));
    }
    trim.workloads.push_back(std::move(w));
  }
  return trim;
}

}  // namespace detail

TrimSpec parse_trim_spec(std::string_view text, const std::filesystem::path& path) {
  TomlReader reader(path);
  toml::table root = parse_toml(text, path);
  return detail::read_trim(reader, root, "");
}

TrimSpec load_trim_spec(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the workloads file {}: {}", quote(path.string()), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trim_spec(text.str(), path);
}

}  // namespace sheaf::spec
