// The whole .deb import pipeline on arbitrary bytes: the ar container, the
// nested tar readers, the control file, the merged-/usr rewrite and the
// generated dpkg files. Only ParseError may come out, and whatever is
// accepted must form a valid FileSet.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/digest.hpp"
#include "base/error.hpp"
#include "deb/deb_archive.hpp"
#include "pkg/import_deb.hpp"

namespace {

// Hashes and discards, like a store that already has everything.
class NullSink final : public sheaf::fileset::ContentSink {
 public:
  sheaf::fileset::ContentRef put(sheaf::ByteSource& source) override {
    auto [digest, size] = sheaf::digest_stream(source);
    return {digest, size};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sheaf::MemorySource source(std::string_view(reinterpret_cast<const char*>(data), size));
  NullSink sink;
  try {
    sheaf::deb::DebArchive deb =
        sheaf::deb::read_deb(source, "fuzz.deb", sink, {.max_file_size = 1 << 20, .max_unpacked_size = 4 << 20});
    sheaf::fileset::Manifest manifest = sheaf::pkg::deb_fileset(deb, "fuzz.deb", sink);
    if (sheaf::fileset::Manifest::parse(manifest.serialize(), "fuzz").serialize() != manifest.serialize())
      __builtin_trap();
  } catch (const sheaf::ParseError&) {
  }
  return 0;
}
