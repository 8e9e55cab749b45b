#include "run/emulation.hpp"

#include <gtest/gtest.h>

#include "base/host.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::run {
namespace {

using testing::error_message_of;

// A foreign architecture on either host these tests run on.
std::string foreign_arch() {
  return host_debian_arch() == "arm64" ? "amd64" : "arm64";
}

TEST(Emulation, QemuNamesTheDebianArchitectures) {
  EXPECT_EQ(qemu_arch("arm64"), "aarch64");
  EXPECT_EQ(qemu_arch("armhf"), "arm");
  EXPECT_EQ(qemu_arch("amd64"), "x86_64");
  EXPECT_EQ(qemu_arch("ppc64el"), "ppc64le");
  EXPECT_EQ(qemu_arch("s390x"), "s390x");
}

TEST(Emulation, ReadsBinfmtEntries) {
  auto entry = parse_binfmt_entry(
      "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\n"
      "magic 7f454c460201010000000000000000000200b700\n");
  ASSERT_TRUE(entry);
  EXPECT_TRUE(entry->enabled);
  EXPECT_EQ(entry->interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
  EXPECT_EQ(entry->flags, "POCF");
  auto disabled = parse_binfmt_entry("disabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: \n");
  ASSERT_TRUE(disabled);
  EXPECT_FALSE(disabled->enabled);
  EXPECT_FALSE(parse_binfmt_entry("not an entry"));
  EXPECT_FALSE(parse_binfmt_entry(""));
}

TEST(Emulation, TheHostsOwnArchitectureRunsNatively) {
  EXPECT_EQ(plan_emulation(host_debian_arch(), "/nonexistent", "/nonexistent").kind, Emulation::Kind::native);
}

TEST(Emulation, PrefersARegisteredHandlerAndBindsItsInterpreterWithoutF) {
  testing::TempDir binfmt, bin;
  const std::string qemu = qemu_arch(foreign_arch());
  testing::write_file(bin / ("qemu-" + qemu + "-static"), "#!/bin/sh\n", 0755);
  // F: the kernel holds the interpreter open; nothing to bind.
  testing::write_file(binfmt / ("qemu-" + qemu), "enabled\ninterpreter /usr/libexec/qemu-binfmt/x-P\nflags: POCF\n");
  Emulation fixed = plan_emulation(foreign_arch(), binfmt.path().string(), bin.path().string());
  EXPECT_EQ(fixed.kind, Emulation::Kind::binfmt);
  EXPECT_FALSE(fixed.bind);
  // Without F, the kernel opens it by path inside the container.
  testing::write_file(binfmt / ("qemu-" + qemu), "enabled\ninterpreter /usr/bin/qemu-x-static\nflags: OC\n");
  Emulation by_path = plan_emulation(foreign_arch(), binfmt.path().string(), bin.path().string());
  EXPECT_EQ(by_path.kind, Emulation::Kind::binfmt);
  EXPECT_TRUE(by_path.bind);
  EXPECT_EQ(by_path.destination, "/usr/bin/qemu-x-static");
  // A disabled handler does not count: the emulator runs as the first process.
  testing::write_file(binfmt / ("qemu-" + qemu), "disabled\ninterpreter /usr/bin/qemu-x-static\nflags: F\n");
  Emulation first = plan_emulation(foreign_arch(), binfmt.path().string(), bin.path().string());
  EXPECT_EQ(first.kind, Emulation::Kind::first_process);
  EXPECT_EQ(first.interpreter, (bin / ("qemu-" + qemu + "-static")).string());
  EXPECT_EQ(first.destination, std::string(kEmulatorDir) + "/qemu-" + qemu + "-static");
}

TEST(Emulation, WithoutQemuItSaysWhatToInstall) {
  testing::TempDir binfmt, bin;
  std::string message =
      error_message_of([&] { plan_emulation(foreign_arch(), binfmt.path().string(), bin.path().string()); });
  EXPECT_NE(message.find("the image is for " + foreign_arch()), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install qemu-user-static"), std::string::npos) << message;
  EXPECT_NE(message.find("never registers one itself"), std::string::npos) << message;
}

}  // namespace
}  // namespace sheaf::run
