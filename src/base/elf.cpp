#include "base/elf.hpp"

#include <elf.h>
#include <fmt/format.h>

#include <cstring>

#include "base/error.hpp"

namespace sheaf {

namespace {

// Reads fixed-size integers of either byte order, checked against the end.
class Reader {
 public:
  Reader(std::string_view bytes, bool little) : bytes_(bytes), little_(little) {}

  std::uint64_t read(std::uint64_t offset, unsigned size) const {
    if (offset > bytes_.size() || bytes_.size() - offset < size) {
      fail("the ELF file is truncated: {} bytes at offset {} are past its end ({} bytes)", size, offset, bytes_.size());
    }
    std::uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
      auto byte = static_cast<std::uint8_t>(bytes_[offset + (little_ ? size - 1 - i : i)]);
      value = (value << 8) | byte;
    }
    return value;
  }

  std::size_t size() const { return bytes_.size(); }
  std::string_view bytes() const { return bytes_; }

 private:
  std::string_view bytes_;
  bool little_;
};

struct Segment {
  std::uint32_t type = 0;
  std::uint64_t offset = 0, vaddr = 0, filesz = 0;
};

}  // namespace

bool looks_like_elf(std::string_view bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

std::optional<ElfInfo> read_elf(std::string_view bytes) {
  if (!looks_like_elf(bytes)) return std::nullopt;
  if (bytes.size() < EI_NIDENT) fail("the ELF file is truncated: it ends inside its identification");
  ElfInfo elf;
  auto elf_class = static_cast<unsigned char>(bytes[EI_CLASS]);
  auto data = static_cast<unsigned char>(bytes[EI_DATA]);
  if (elf_class != ELFCLASS32 && elf_class != ELFCLASS64) fail("the ELF file has an unknown class {}", elf_class);
  if (data != ELFDATA2LSB && data != ELFDATA2MSB) fail("the ELF file has an unknown byte order {}", data);
  elf.is_64 = elf_class == ELFCLASS64;
  elf.little_endian = data == ELFDATA2LSB;
  Reader r(bytes, elf.little_endian);
  const unsigned word = elf.is_64 ? 8 : 4;
  elf.type = static_cast<std::uint16_t>(r.read(16, 2));
  elf.machine = static_cast<std::uint16_t>(r.read(18, 2));
  const std::uint64_t phoff = r.read(elf.is_64 ? 32 : 28, word);
  const unsigned phentsize = static_cast<unsigned>(r.read(elf.is_64 ? 54 : 42, 2));
  const unsigned phnum = static_cast<unsigned>(r.read(elf.is_64 ? 56 : 44, 2));
  if (phnum == 0) return elf;  // a relocatable object, or a file with no segments
  const unsigned want = elf.is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
  if (phentsize < want)
    fail("the ELF file's program headers are {} bytes each, fewer than the {} they need", phentsize, want);

  std::vector<Segment> segments;
  for (unsigned i = 0; i < phnum; ++i) {
    std::uint64_t at = phoff + std::uint64_t{i} * phentsize;
    Segment s;
    s.type = static_cast<std::uint32_t>(r.read(at, 4));
    if (elf.is_64) {
      s.offset = r.read(at + 8, 8);
      s.vaddr = r.read(at + 16, 8);
      s.filesz = r.read(at + 32, 8);
    } else {
      s.offset = r.read(at + 4, 4);
      s.vaddr = r.read(at + 8, 4);
      s.filesz = r.read(at + 16, 4);
    }
    segments.push_back(s);
  }
  const Segment* dynamic = nullptr;
  for (const auto& s : segments) {
    if (s.type == PT_DYNAMIC) dynamic = &s;
  }
  if (!dynamic) return elf;
  elf.dynamic = true;
  if (dynamic->offset > r.size() || r.size() - dynamic->offset < dynamic->filesz) {
    fail("the ELF file's dynamic segment (offset {}, {} bytes) is past its end ({} bytes)", dynamic->offset,
         dynamic->filesz, r.size());
  }
  // The dynamic entries: (tag, value) pairs up to DT_NULL.
  std::optional<std::uint64_t> strtab, strsz;
  std::vector<std::uint64_t> needed;
  std::optional<std::uint64_t> soname;
  for (std::uint64_t at = dynamic->offset; at + 2 * word <= dynamic->offset + dynamic->filesz; at += 2 * word) {
    std::uint64_t tag = r.read(at, word);
    std::uint64_t value = r.read(at + word, word);
    if (tag == DT_NULL) break;
    if (tag == DT_STRTAB) strtab = value;
    if (tag == DT_STRSZ) strsz = value;
    if (tag == DT_NEEDED) needed.push_back(value);
    if (tag == DT_SONAME) soname = value;
  }
  if (needed.empty() && !soname) return elf;
  if (!strtab || !strsz) fail("the ELF file's dynamic section names libraries but has no string table");
  // The string table is given as an address: find the loaded segment that
  // holds it, and so its place in the file.
  std::optional<std::uint64_t> table;
  for (const auto& s : segments) {
    if (s.type == PT_LOAD && *strtab >= s.vaddr && *strtab - s.vaddr < s.filesz) {
      table = s.offset + (*strtab - s.vaddr);
    }
  }
  if (!table) fail("the ELF file's string table (address {:#x}) is in no loaded segment", *strtab);
  if (*table > r.size() || r.size() - *table < *strsz) {
    fail("the ELF file's string table (offset {}, {} bytes) is past its end ({} bytes)", *table, *strsz, r.size());
  }
  std::string_view strings = r.bytes().substr(*table, *strsz);
  auto string_at = [&](std::uint64_t offset) {
    if (offset >= strings.size())
      fail("the ELF file names a string at {}, past its string table ({} bytes)", offset, strings.size());
    auto end = strings.find('\0', offset);
    if (end == std::string_view::npos) fail("the ELF file's string at {} does not end inside its string table", offset);
    return std::string(strings.substr(offset, end - offset));
  };
  for (auto offset : needed) elf.needed.push_back(string_at(offset));
  if (soname) elf.soname = string_at(*soname);
  return elf;
}

std::optional<std::string> elf_header_arch(std::string_view first_bytes) {
  if (first_bytes.size() < 20 || !looks_like_elf(first_bytes)) return std::nullopt;
  ElfInfo elf;
  elf.is_64 = first_bytes[4] == 2;
  elf.little_endian = first_bytes[5] == 1;
  auto lo = static_cast<unsigned char>(first_bytes[18]), hi = static_cast<unsigned char>(first_bytes[19]);
  elf.machine = static_cast<std::uint16_t>(elf.little_endian ? lo | (hi << 8) : hi | (lo << 8));
  return debian_arch_of_elf(elf);
}

std::string debian_arch_of_elf(const ElfInfo& elf) {
  switch (elf.machine) {
    case EM_X86_64:
      return elf.is_64 ? "amd64" : "x32";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "arm64";
    case EM_ARM:
      return "armhf";  // armel shares the machine; the float ABI is in e_flags
    case EM_PPC64:
      return elf.little_endian ? "ppc64el" : "ppc64";
    case EM_S390:
      return "s390x";
    case EM_RISCV:
      return elf.is_64 ? "riscv64" : "";
    case EM_MIPS:
      return elf.is_64 ? (elf.little_endian ? "mips64el" : "") : (elf.little_endian ? "mipsel" : "");
    default:
      return "";
  }
}

}  // namespace sheaf
