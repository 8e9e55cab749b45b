// /etc/ld.so.cache for an image whose libraries live outside the dynamic
// linker's system search path.
//
// The image's /etc/ld.so.conf (and the files its "include" lines name) lists
// directories. When one of them, outside the system search path
// (/lib/<triplet>, /usr/lib/<triplet>, /lib and /usr/lib, all under usr/ in
// the merged layout), holds a shared library, the image needs a cache, or
// the dynamic linker will not find that library. sheaf then builds the
// directories' libraries and the configuration in a scratch tree and runs the
// host's ldconfig on it (`ldconfig -X -r SCRATCH`): never a program from the
// image. The cache's bytes are a function of the image's files and of the
// host's ldconfig (glibc) version; docs/decisions.md has why.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image/assembly.hpp"
#include "image/paths.hpp"

namespace sheaf::image {

// "x86_64-linux-gnu" for "amd64"; "" for an arch sheaf does not know.
std::string multiarch_triplet(std::string_view arch);

// The directories the image's ld.so.conf names, relative, in the merged
// layout, in the order ldconfig reads them.
std::vector<std::string> ld_so_conf_dirs(const ImageTree& tree, const ContentReader& read);

// The configured directories outside the system search path that hold a
// shared library ("lib*.so*", a file or a symlink).
std::vector<std::string> dirs_needing_cache(const ImageTree& tree, const std::vector<std::string>& dirs,
                                            std::string_view arch);

// The cache's bytes, or nullopt when the image needs none. `scratch` is an
// empty directory this call may fill (the caller removes it). Throws when
// ldconfig is missing or fails while a cache is needed, and when an image
// for another architecture than the host's needs one (the host's ldconfig
// skips libraries of other machines).
std::optional<std::string> make_ld_so_cache(const ImageTree& tree, const ContentReader& read, std::string_view arch,
                                            const std::filesystem::path& scratch, std::vector<std::string>& notes);

}  // namespace sheaf::image
