// Taking a layer from a registry back into the store, checked against the
// FileSet it must hold: the layer is read by writing the canonical tar of
// that FileSet (fileset/layer_tar.hpp) against it. Every header, padding
// and end byte must be the one the writer produces; each file's content is
// taken from the layer into the store and must hash to the FileSet entry's
// digest. So a layer is accepted exactly when it is the canonical layer of
// the expected FileSet, and nothing in it is interpreted: a name with
// "..", an absolute path or an entry beneath a symlink is simply not the
// expected byte, and paths come only from the (checked) FileSet manifest.
#pragma once

#include <string>

#include "base/digest.hpp"
#include "fileset/manifest.hpp"
#include "store/write_batch.hpp"

namespace sheaf::image {

// Reads the gzip layer blob at `blob_fd` (from its start) into `batch`.
// Returns the digest of the uncompressed tar (the config's diff_id). Throws
// an Error naming `where` and the first entry that differs.
Digest ingest_layer(store::WriteBatch& batch, int blob_fd, const fileset::Manifest& expected,
                    const std::string& where);

}  // namespace sheaf::image
