#include "run/emulation.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "base/error.hpp"
#include "base/host.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"

namespace sheaf::run {

namespace fs = std::filesystem;

std::string qemu_arch(std::string_view debian_arch) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"amd64", "x86_64"},    {"arm64", "aarch64"},     {"armhf", "arm"},       {"armel", "arm"},  {"i386", "i386"},
      {"ppc64el", "ppc64le"}, {"mips64el", "mips64el"}, {"riscv64", "riscv64"}, {"s390x", "s390x"}};
  for (const auto& [debian, qemu] : kNames) {
    if (debian == debian_arch) return std::string(qemu);
  }
  return std::string(debian_arch);
}

std::optional<BinfmtEntry> parse_binfmt_entry(std::string_view text) {
  BinfmtEntry entry;
  bool any = false;
  for (auto line : split_lines(text)) {
    if (line == "enabled" || line == "disabled") {
      entry.enabled = line == "enabled";
      any = true;
    } else if (line.starts_with("interpreter ")) {
      entry.interpreter = std::string(line.substr(12));
    } else if (line.starts_with("flags: ")) {
      entry.flags = std::string(line.substr(7));
    } else if (line.starts_with("flags:")) {
      entry.flags = std::string(line.substr(6));
    }
  }
  if (!any || entry.interpreter.empty()) return std::nullopt;
  return entry;
}

Emulation plan_emulation(std::string_view debian_arch, std::string_view binfmt_dir, std::string_view bin_dir) {
  Emulation out;
  if (debian_arch == host_debian_arch()) return out;
  const std::string qemu = qemu_arch(debian_arch);
  std::error_code ec;
  fs::path entry_path = fs::path(binfmt_dir) / ("qemu-" + qemu);
  if (fs::exists(entry_path, ec)) {
    std::string text;
    try {
      text = read_file(entry_path.string());
    } catch (const Error&) {
    }
    if (auto entry = parse_binfmt_entry(text); entry && entry->enabled) {
      out.kind = Emulation::Kind::binfmt;
      out.interpreter = entry->interpreter;
      // Without F the kernel opens the interpreter at each exec, by its
      // path as the container sees it.
      out.bind = entry->flags.find('F') == std::string::npos;
      out.destination = entry->interpreter;
      return out;
    }
  }
  for (const std::string& name : {"qemu-" + qemu + "-static", "qemu-" + qemu}) {
    fs::path candidate = fs::path(bin_dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      out.kind = Emulation::Kind::first_process;
      out.interpreter = candidate.string();
      out.bind = true;
      out.destination = std::string(kEmulatorDir) + "/" + name;
      return out;
    }
  }
  fail(
      "the image is for {}, and this host ({}) runs {} programs only through qemu-user: install it "
      "(apt-get install qemu-user-static), which gives {}/qemu-{}-static; sheaf uses a binfmt_misc handler when "
      "the host has one registered, and never registers one itself",
      debian_arch, host_debian_arch(), debian_arch, bin_dir, qemu);
}

}  // namespace sheaf::run
