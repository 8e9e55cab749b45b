// Running an image built for another architecture than the host's, through
// qemu-user. sheaf never registers binfmt_misc handlers (a host-wide,
// lasting change); it uses what the host has:
//
//   - a handler registered with the F flag (the kernel opened the
//     interpreter when it was registered): the container runs as it would
//     natively, and so do the programs it starts;
//   - a handler without F: the kernel opens the interpreter by its path at
//     each exec, inside the container, so sheaf binds the host's file there;
//   - no handler: qemu-ARCH-static is bound into the container and runs the
//     command as the container's first process. Programs the command starts
//     are not emulated (their exec fails with "Exec format error"), which
//     sheaf says when it runs this way.
//
// With none of these (no qemu-user-static), running is refused with what to
// install.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sheaf::run {

// qemu-user's name for a Debian architecture: arm64 -> aarch64, armhf ->
// arm, amd64 -> x86_64, ppc64el -> ppc64le; others keep their name.
std::string qemu_arch(std::string_view debian_arch);

// One binfmt_misc entry, as /proc/sys/fs/binfmt_misc/NAME shows it.
struct BinfmtEntry {
  bool enabled = false;
  std::string interpreter;  // host path
  std::string flags;        // "POCF"
};
// Parses an entry's text; nullopt when it is not one.
std::optional<BinfmtEntry> parse_binfmt_entry(std::string_view text);

struct Emulation {
  enum class Kind {
    native,         // the host's own architecture
    binfmt,         // a registered handler runs it; `bind` when its interpreter must be seen inside
    first_process,  // `interpreter` runs the command as the container's first process
  };
  Kind kind = Kind::native;
  std::string interpreter;  // the host's qemu-user binary
  bool bind = false;        // bind `interpreter` into the container at `destination`
  std::string destination;  // where, inside the container
};

// Where an emulator bound as the first process is seen inside the container.
inline constexpr std::string_view kEmulatorDir = "/.sheaf-emulator";

// How this host runs programs for `debian_arch`: the handler in
// `binfmt_dir` named qemu-ARCH, else qemu-ARCH-static (or qemu-ARCH) in
// `bin_dir`. Throws an Error saying what to install when the host cannot
// run them at all.
Emulation plan_emulation(std::string_view debian_arch, std::string_view binfmt_dir = "/proc/sys/fs/binfmt_misc",
                         std::string_view bin_dir = "/usr/bin");

}  // namespace sheaf::run
