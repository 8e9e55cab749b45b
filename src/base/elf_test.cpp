#include "base/elf.hpp"

#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "testing/errors.hpp"

namespace sheaf {
namespace {

using ::testing::Contains;
using testing::error_message_of;
using ::testing::HasSubstr;

// A minimal dynamic ELF of either class and byte order: the header, a
// PT_LOAD that maps the whole file at `base`, a PT_DYNAMIC, the dynamic
// entries and the string table.
std::string make_elf(bool is_64, bool little, std::uint16_t machine, const std::vector<std::string>& needed,
                     const std::string& soname) {
  const unsigned word = is_64 ? 8 : 4;
  const unsigned ehsize = is_64 ? 64 : 52, phentsize = is_64 ? 56 : 32;
  const std::uint64_t base = 0x400000;
  std::string strings(1, '\0');
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dyn;
  for (const auto& n : needed) {
    dyn.emplace_back(DT_NEEDED, strings.size());
    strings += n + '\0';
  }
  if (!soname.empty()) {
    dyn.emplace_back(DT_SONAME, soname.empty() ? 0 : strings.size());
    strings += soname + '\0';
  }
  const std::uint64_t dyn_offset = ehsize + 2 * phentsize;
  const std::uint64_t str_offset = dyn_offset + (dyn.size() + 3) * 2 * word;
  dyn.emplace_back(DT_STRTAB, base + str_offset);
  dyn.emplace_back(DT_STRSZ, strings.size());
  dyn.emplace_back(DT_NULL, 0);
  std::string out(str_offset + strings.size(), '\0');
  auto put = [&](std::uint64_t at, std::uint64_t value, unsigned size) {
    for (unsigned i = 0; i < size; ++i) {
      unsigned shift = 8 * (little ? i : size - 1 - i);
      out[at + i] = static_cast<char>((value >> shift) & 0xff);
    }
  };
  out.replace(0, 4, ELFMAG);
  out[EI_CLASS] = static_cast<char>(is_64 ? ELFCLASS64 : ELFCLASS32);
  out[EI_DATA] = static_cast<char>(little ? ELFDATA2LSB : ELFDATA2MSB);
  out[EI_VERSION] = EV_CURRENT;
  put(16, ET_DYN, 2);
  put(18, machine, 2);
  put(is_64 ? 32 : 28, ehsize, word);  // e_phoff
  put(is_64 ? 54 : 42, phentsize, 2);
  put(is_64 ? 56 : 44, 2, 2);
  auto program_header = [&](unsigned index, std::uint32_t type, std::uint64_t offset, std::uint64_t size) {
    std::uint64_t at = ehsize + index * phentsize;
    put(at, type, 4);
    if (is_64) {
      put(at + 8, offset, 8);
      put(at + 16, base + offset, 8);
      put(at + 32, size, 8);
    } else {
      put(at + 4, offset, 4);
      put(at + 8, base + offset, 4);
      put(at + 16, size, 4);
    }
  };
  program_header(0, PT_LOAD, 0, out.size());
  program_header(1, PT_DYNAMIC, dyn_offset, dyn.size() * 2 * word);
  for (std::size_t i = 0; i < dyn.size(); ++i) {
    put(dyn_offset + i * 2 * word, dyn[i].first, word);
    put(dyn_offset + i * 2 * word + word, dyn[i].second, word);
  }
  out.replace(str_offset, strings.size(), strings);
  return out;
}

TEST(Elf, ReadsNeededAndSonameInEitherClassAndByteOrder) {
  for (bool is_64 : {true, false}) {
    for (bool little : {true, false}) {
      std::string bytes = make_elf(is_64, little, EM_AARCH64, {"libgreet.so.1", "libc.so.6"}, "libx.so.2");
      auto elf = read_elf(bytes);
      ASSERT_TRUE(elf);
      EXPECT_EQ(elf->is_64, is_64);
      EXPECT_EQ(elf->little_endian, little);
      EXPECT_EQ(elf->type, ET_DYN);
      EXPECT_EQ(elf->machine, EM_AARCH64);
      EXPECT_TRUE(elf->dynamic);
      EXPECT_EQ(elf->needed, (std::vector<std::string>{"libgreet.so.1", "libc.so.6"}));
      EXPECT_EQ(elf->soname, "libx.so.2");
    }
  }
  auto arm64 = read_elf(make_elf(true, true, EM_AARCH64, {}, "libx.so.2"));
  EXPECT_EQ(debian_arch_of_elf(*arm64), "arm64");
  EXPECT_EQ(debian_arch_of_elf(*read_elf(make_elf(true, true, EM_X86_64, {}, "a"))), "amd64");
}

// The host's own programs and C library, as the dynamic linker reads them.
TEST(Elf, ReadsTheHostsProgramsAndLibraries) {
  auto sh = read_elf(read_file("/bin/sh"));
  ASSERT_TRUE(sh);
  EXPECT_TRUE(sh->dynamic);
  EXPECT_THAT(sh->needed, Contains("libc.so.6"));
  auto libc = read_elf(read_file("/lib/x86_64-linux-gnu/libc.so.6"));
  ASSERT_TRUE(libc);
  EXPECT_EQ(libc->soname, "libc.so.6");
  EXPECT_EQ(debian_arch_of_elf(*libc), "amd64");
}

TEST(Elf, NotElfIsNoneAndBrokenElfIsAnError) {
  EXPECT_EQ(read_elf("#!/bin/sh\necho hi\n"), std::nullopt);
  EXPECT_EQ(read_elf(""), std::nullopt);
  EXPECT_FALSE(
      looks_like_elf("\x7f"
                     "EL"));
  std::string good = make_elf(true, true, EM_X86_64, {"libc.so.6"}, "");
  // Every truncation is either read whole or refused, never read past.
  for (std::size_t size = 4; size < good.size(); ++size) {
    try {
      (void)read_elf(std::string_view(good).substr(0, size));
    } catch (const Error&) {
    }
  }
  EXPECT_THAT(error_message_of([&] { read_elf(good.substr(0, 40)); }), HasSubstr("the ELF file is truncated"));
  std::string unterminated = good;
  unterminated.back() = 'x';  // the last string loses its NUL
  EXPECT_THAT(error_message_of([&] { read_elf(unterminated); }), HasSubstr("does not end inside its string table"));
  std::string bad_class = good;
  bad_class[EI_CLASS] = 7;
  EXPECT_THAT(error_message_of([&] { read_elf(bad_class); }), HasSubstr("the ELF file has an unknown class 7"));
}

}  // namespace
}  // namespace sheaf
