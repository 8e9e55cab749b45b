// Shared-library dependencies of a recipe's output, found as dpkg-shlibdeps
// finds them: each ELF file's NEEDED entries, each soname traced to the
// package of the build environment that ships it, and a dependency on that
// package at >= the version the build linked against.
//
// A soname is looked for by name, as the dynamic linker looks for it, in the
// system library directories (usr/lib/<triplet>, usr/lib, in the merged
// layout every package has in the store), and, when none has it, one level
// below usr/lib/<triplet>, where libraries chosen through alternatives live
// (blas/libblas.so.3, openblas-pthread/libblas.so.3). A soname the output
// ships itself needs nothing. docs/formats/recipe.md, "Shared-library
// dependencies", has the rules for users.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fileset/manifest.hpp"

namespace sheaf::build {

// Which packages of a build environment ship which library file names.
class LibraryIndex {
 public:
  explicit LibraryIndex(std::string_view arch);

  // Adds the library files of one package of the environment.
  void add(const std::string& name, const std::string& version, const fileset::Manifest& manifest);

  struct Provider {
    std::string name, version;
    std::string path;  // the file or symlink that answers to the soname
    friend bool operator==(const Provider&, const Provider&) = default;
  };
  // The packages that answer to `soname`, by name: those of the system
  // directories, else those one level below the triplet directory.
  std::vector<Provider> providers(std::string_view soname) const;

 private:
  std::string triplet_dir_;  // "usr/lib/x86_64-linux-gnu"
  // soname -> providers, for the system directories and for the level below.
  std::map<std::string, std::vector<Provider>, std::less<>> system_, private_;
};

struct SharedLibraryDepends {
  // The Depends the package gets: the recipe's relations, then one per
  // package added, sorted by name.
  std::vector<std::string> depends;
  std::vector<std::string> added;  // the relations added, "libc6 (>= 2.36-9+deb12u10)"
};

// Reads every ELF file of `dest` (the build's destination) and finds the
// packages its NEEDED sonames come from. A provider the recipe's `depends`
// already names is not added again; that is also how a recipe chooses among
// several providers. Throws an Error naming the file and the soname when a
// soname comes from no package of the environment, or from several and the
// recipe names none of them.
SharedLibraryDepends shared_library_depends(const std::filesystem::path& dest, const LibraryIndex& environment,
                                            const std::vector<std::string>& recipe_depends);

}  // namespace sheaf::build
