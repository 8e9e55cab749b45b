#include "base/host.hpp"

#include <sys/utsname.h>

#include <string_view>
#include <thread>
#include <utility>

#include "base/process.hpp"

namespace sheaf {

namespace {

std::string arch_from_uname() {
  struct utsname name {};
  if (::uname(&name) != 0) return "unknown";
  static constexpr std::pair<std::string_view, std::string_view> table[] = {
      {"x86_64", "amd64"}, {"aarch64", "arm64"},   {"i686", "i386"},   {"i386", "i386"},
      {"armv7l", "armhf"}, {"ppc64le", "ppc64el"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
  };
  for (auto [machine, arch] : table) {
    if (machine == name.machine) return std::string(arch);
  }
  return name.machine;
}

std::string detect_arch() {
  if (auto result = run_capture({"dpkg", "--print-architecture"}); result && result->exit_code == 0) {
    std::string arch = result->out;
    while (!arch.empty() && (arch.back() == '\n' || arch.back() == ' ')) arch.pop_back();
    if (!arch.empty()) return arch;
  }
  return arch_from_uname();
}

}  // namespace

const std::string& host_debian_arch() {
  static const std::string arch = detect_arch();
  return arch;
}

unsigned hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace sheaf
