#include "build/shlibdeps.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "base/elf.hpp"
#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "deb/relation.hpp"
#include "image/ld_cache.hpp"

namespace sheaf::build {

namespace fs = std::filesystem;

namespace {

void add_provider(std::map<std::string, std::vector<LibraryIndex::Provider>, std::less<>>& into,
                  const std::string& soname, LibraryIndex::Provider provider) {
  auto& list = into[soname];
  if (std::none_of(list.begin(), list.end(), [&](const auto& p) { return p.name == provider.name; })) {
    list.push_back(std::move(provider));
  }
}

// The first bytes of a file: enough to tell an ELF file from others without
// reading all of a large one.
bool starts_like_elf(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return false;
  char head[4];
  return ::read(fd.get(), head, sizeof head) == static_cast<ssize_t>(sizeof head) &&
         looks_like_elf(std::string_view(head, sizeof head));
}

// The names of the packages a list of Depends entries mentions.
std::set<std::string> named_packages(const std::vector<std::string>& relations) {
  std::set<std::string> names;
  for (const auto& entry : relations) {
    auto parsed = deb::Relations::parse(entry, deb::RelationKind::dependency, "the recipe's depends");
    for (const auto& group : parsed.groups()) {
      for (const auto& alt : group) names.insert(alt.name);
    }
  }
  return names;
}

}  // namespace

LibraryIndex::LibraryIndex(std::string_view arch) {
  std::string triplet = image::multiarch_triplet(arch);
  triplet_dir_ = triplet.empty() ? "" : "usr/lib/" + triplet;
}

void LibraryIndex::add(const std::string& name, const std::string& version, const fileset::Manifest& manifest) {
  for (const auto& e : manifest.entries()) {
    if (e.type == fileset::EntryType::dir) continue;
    std::string_view path = e.path;
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos) continue;
    std::string_view dir = path.substr(0, slash);
    std::string file(path.substr(slash + 1));
    if (file.find(".so") == std::string::npos) continue;
    Provider provider{name, version, e.path};
    if (dir == "usr/lib" || (!triplet_dir_.empty() && dir == triplet_dir_)) {
      add_provider(system_, file, std::move(provider));
    } else if (!triplet_dir_.empty() && dir.starts_with(triplet_dir_ + "/") &&
               dir.find('/', triplet_dir_.size() + 1) == std::string_view::npos) {
      add_provider(private_, file, std::move(provider));
    }
  }
}

std::vector<LibraryIndex::Provider> LibraryIndex::providers(std::string_view soname) const {
  for (const auto* tier : {&system_, &private_}) {
    auto it = tier->find(soname);
    if (it != tier->end()) {
      std::vector<Provider> out = it->second;
      std::sort(out.begin(), out.end(), [](const Provider& a, const Provider& b) { return a.name < b.name; });
      return out;
    }
  }
  return {};
}

SharedLibraryDepends shared_library_depends(const fs::path& dest, const LibraryIndex& environment,
                                            const std::vector<std::string>& recipe_depends) {
  // The output's ELF files (sorted: the messages do not depend on the file
  // system's order), what they need, and what the output answers to itself.
  std::vector<std::pair<std::string, std::vector<std::string>>> needs;  // (path, NEEDED)
  std::set<std::string> own;                                            // file names and sonames the output ships
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dest); it != fs::recursive_directory_iterator(); ++it) {
    auto status = it->symlink_status();
    if (!fs::is_directory(status)) own.insert(it->path().filename().string());
    if (fs::is_regular_file(status)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string shown = "/" + file.lexically_relative(dest).string();
    if (shown.starts_with("/usr/lib/debug/") || !starts_like_elf(file)) continue;
    std::optional<ElfInfo> elf;
    try {
      elf = read_elf(read_file(file.string()));
    } catch (const Error& e) {
      fail("the output's {} starts like an ELF file, but sheaf cannot read its dynamic section: {}", shown, e.what());
    }
    if (!elf || !elf->dynamic) continue;
    if (!elf->soname.empty()) own.insert(elf->soname);
    if (!elf->needed.empty()) needs.emplace_back(shown, elf->needed);
  }

  std::set<std::string> named = named_packages(recipe_depends);
  std::map<std::string, std::string> added;  // package -> relation
  for (const auto& [shown, sonames] : needs) {
    for (const auto& soname : sonames) {
      if (own.count(soname)) continue;
      std::vector<LibraryIndex::Provider> providers = environment.providers(soname);
      if (providers.empty()) {
        fail(
            "the output's {} needs {}, which no package of the build environment ships in a library directory; "
            "include the package that ships it in [environment], or set shlibdeps = false in [package] and name "
            "the dependency in depends",
            shown, soname);
      }
      if (std::any_of(providers.begin(), providers.end(), [&](const auto& p) { return named.count(p.name) > 0; })) {
        continue;  // the recipe chose
      }
      if (providers.size() > 1) {
        std::vector<std::string> candidates;
        for (const auto& p : providers) candidates.push_back(fmt::format("{} (/{})", p.name, p.path));
        fail(
            "the output's {} needs {}, which several packages of the build environment ship: {}; name the one "
            "the package should depend on in [package] depends",
            shown, soname, fmt::join(candidates, ", "));
      }
      const auto& p = providers.front();
      added.emplace(p.name, fmt::format("{} (>= {})", p.name, p.version));
    }
  }
  SharedLibraryDepends out;
  out.depends = recipe_depends;
  for (auto& [name, relation] : added) {
    out.depends.push_back(relation);
    out.added.push_back(relation);
  }
  return out;
}

}  // namespace sheaf::build
