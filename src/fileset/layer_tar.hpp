// Canonical layer tars: the exact bytes of a FileSet as an OCI layer, before
// compression. The format is specified in docs/formats/layer.md and pinned by
// golden files; a change to it changes every layer digest.
//
//   - entries in manifest order (sorted by path, parents first), names
//     without "./", directories with a trailing '/';
//   - ustar headers, with a PAX extended header only where ustar cannot hold
//     a field (a long path or link target, a size of 8 GiB or more, an owner
//     above 2097151, any xattr as SCHILY.xattr.NAME, sorted);
//   - numeric owners, empty user and group names, every mtime kLayerMtime,
//     no atime or ctime;
//   - hardlinks point at an earlier file of the same FileSet;
//   - the archive ends with two zero blocks and no further padding.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/byte_source.hpp"
#include "fileset/manifest.hpp"

namespace sheaf::fileset {

// 1970-01-01T00:00:01Z, as Nix uses: the one mtime of every layer entry.
inline constexpr std::int64_t kLayerMtime = 1;

// Where a layer's bytes go, in order.
class TarSink {
 public:
  virtual ~TarSink() = default;
  virtual void write(std::string_view bytes) = 0;
};

// Opens the content of a file entry. The stream must hold exactly
// entry.size bytes.
using ContentOpener = std::function<std::unique_ptr<ByteSource>(const Entry& entry)>;

// Writes `manifest` as a canonical tar to `out`, streaming each file's
// content from `open`. Throws an Error naming the path when a content stream
// is shorter or longer than its entry says.
void write_layer_tar(const Manifest& manifest, const ContentOpener& open, TarSink& out);

}  // namespace sheaf::fileset
