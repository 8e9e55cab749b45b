// What sheaf reads of an ELF file: its class, byte order, machine and type,
// and from its dynamic section the libraries it needs (DT_NEEDED) and the
// name it answers to (DT_SONAME).
//
// The input is untrusted (a build's output, a package's file): every offset
// and size is checked against the bytes, and a file that does not hold
// together is reported, never read past.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf {

struct ElfInfo {
  bool is_64 = false;
  bool little_endian = true;
  std::uint16_t type = 0;           // ET_EXEC, ET_DYN, ...
  std::uint16_t machine = 0;        // EM_X86_64, EM_AARCH64, ...
  bool dynamic = false;             // has a PT_DYNAMIC segment
  std::vector<std::string> needed;  // DT_NEEDED, in file order
  std::string soname;               // DT_SONAME, or ""
};

// True when `bytes` start with the ELF magic.
bool looks_like_elf(std::string_view bytes);

// Reads an ELF file's header and dynamic section. Returns nullopt when the
// bytes are not ELF at all; throws an Error saying what is wrong when they
// start like ELF but do not hold together (truncated, offsets outside the
// file, a string table without its terminator).
std::optional<ElfInfo> read_elf(std::string_view bytes);

// The Debian architecture of an ELF file from its first bytes (the 20 of
// e_ident, e_type and e_machine suffice): nullopt when they are not ELF,
// "" for a machine sheaf does not know.
std::optional<std::string> elf_header_arch(std::string_view first_bytes);

// The Debian architecture an ELF machine and class are built for
// ("amd64", "arm64", "armhf", "i386", ...); "" for one sheaf does not know.
std::string debian_arch_of_elf(const ElfInfo& elf);

}  // namespace sheaf
