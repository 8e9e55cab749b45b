#include "image/ld_cache.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <set>

#include "base/error.hpp"
#include "base/host.hpp"
#include "base/process.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"
#include "deb/merged_usr.hpp"
#include "image/glob.hpp"

namespace sheaf::image {

namespace fs = std::filesystem;
using fileset::Entry;
using fileset::EntryType;

namespace {

constexpr int kMaxIncludeDepth = 8;

std::string relative(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return deb::merged_usr_path(path);
}

// A file's content, following symlinks inside the image; nullopt when absent.
std::optional<std::string> read_image_file(const ImageTree& tree, const ContentReader& read, std::string_view path) {
  std::string absolute = "/";
  absolute += path;  // not "/" + std::string(path): GCC 12 warns (-Wrestrict) on that in release builds
  const Entry* e = tree.resolve(absolute);
  if (!e) return std::nullopt;
  if (e->type == EntryType::hardlink) {
    const ImageTree::Claim* target = tree.find(e->target);
    if (!target) return std::nullopt;
    e = target->entry;
  }
  if (e->type != EntryType::file) return std::nullopt;
  return read(*e);
}

void read_conf(const ImageTree& tree, const ContentReader& read, const std::string& path, int depth,
               std::vector<std::string>& dirs, std::set<std::string>& seen) {
  if (depth > kMaxIncludeDepth) return;
  auto text = read_image_file(tree, read, path);
  if (!text) return;
  for (std::string_view view : split_lines(*text)) {
    std::string line(view);
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    for (char& c : line) {
      if (c == '\t' || c == ',' || c == ':' || c == '=') c = ' ';
    }
    auto words = split_whitespace(line);
    if (words.empty()) continue;
    if (words[0] == "include") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        std::string pattern = relative(words[i]);
        if (words[i].front() != '/') pattern = relative(std::string(fileset::parent_path(path)) + "/" + words[i]);
        std::vector<std::string> matches;
        for (const auto& [candidate, claim] : tree.claims()) {
          if (glob_matches(pattern, candidate)) matches.push_back(candidate);
        }
        for (const auto& m : matches) read_conf(tree, read, m, depth + 1, dirs, seen);
      }
      continue;
    }
    if (words[0] == "hwcap") continue;
    for (const auto& word : words) {
      if (word.empty() || word.front() != '/') continue;
      std::string dir = relative(word);
      if (seen.insert(dir).second) dirs.push_back(dir);
    }
  }
}

bool is_library_name(std::string_view name) {
  return name.starts_with("lib") && (name.ends_with(".so") || name.find(".so.") != std::string_view::npos);
}

// The entries directly inside `dir` (the tree's paths are sorted, so they
// follow "dir/").
template <typename Body>
void for_each_child(const ImageTree& tree, const std::string& dir, Body body) {
  std::string prefix = dir + "/";
  for (auto it = tree.claims().lower_bound(prefix); it != tree.claims().end(); ++it) {
    if (!it->first.starts_with(prefix)) break;
    std::string_view name = std::string_view(it->first).substr(prefix.size());
    if (name.find('/') != std::string_view::npos) continue;
    body(it->first, name, *it->second.entry);
  }
}

void write_scratch_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) fail_errno(errno, "cannot create " + quote(path.string()));
  write_all(fd.get(), content, path.string());
}

}  // namespace

std::string multiarch_triplet(std::string_view arch) {
  static const std::map<std::string, std::string, std::less<>> kTriplets = {
      {"amd64", "x86_64-linux-gnu"},    {"arm64", "aarch64-linux-gnu"},         {"armhf", "arm-linux-gnueabihf"},
      {"i386", "i386-linux-gnu"},       {"ppc64el", "powerpc64le-linux-gnu"},   {"s390x", "s390x-linux-gnu"},
      {"riscv64", "riscv64-linux-gnu"}, {"mips64el", "mips64el-linux-gnuabi64"}};
  auto it = kTriplets.find(arch);
  return it == kTriplets.end() ? "" : it->second;
}

std::vector<std::string> ld_so_conf_dirs(const ImageTree& tree, const ContentReader& read) {
  std::vector<std::string> dirs;
  std::set<std::string> seen;
  read_conf(tree, read, "etc/ld.so.conf", 0, dirs, seen);
  return dirs;
}

std::vector<std::string> dirs_needing_cache(const ImageTree& tree, const std::vector<std::string>& dirs,
                                            std::string_view arch) {
  std::set<std::string> system{"usr/lib"};
  if (std::string triplet = multiarch_triplet(arch); !triplet.empty()) system.insert("usr/lib/" + triplet);
  std::vector<std::string> out;
  for (const auto& dir : dirs) {
    if (system.contains(dir)) continue;
    bool has_library = false;
    for_each_child(tree, dir, [&](const std::string&, std::string_view name, const Entry& e) {
      has_library |= is_library_name(name) && e.type != EntryType::dir;
    });
    if (has_library) out.push_back(dir);
  }
  return out;
}

std::optional<std::string> make_ld_so_cache(const ImageTree& tree, const ContentReader& read, std::string_view arch,
                                            const fs::path& scratch, std::vector<std::string>& notes) {
  auto dirs = ld_so_conf_dirs(tree, read);
  auto needing = dirs_needing_cache(tree, dirs, arch);
  if (needing.empty()) return std::nullopt;
  if (tree.find("etc/ld.so.cache")) {
    notes.push_back("ld.so.cache: a package ships etc/ld.so.cache; left as it is");
    return std::nullopt;
  }
  if (arch != host_debian_arch()) {
    // glibc's ldconfig reads the libraries of its own machine only: it would
    // skip every other library and write a cache without them.
    fail(
        "the image for {} needs an /etc/ld.so.cache (/{} holds shared libraries outside the dynamic linker's "
        "search path, as the image's ld.so.conf says), and sheaf makes one with the host's ldconfig, which cannot "
        "read {} libraries; build this image on a {} host, or leave out the package that configures /{}",
        arch, needing.front(), arch, arch, needing.front());
  }
  const char* ldconfig = "/sbin/ldconfig";
  struct stat st {};
  if (::stat(ldconfig, &st) != 0) {
    fail("the image's libraries in /{} need an ld.so.cache, and this host has no {} to make one", needing.front(),
         ldconfig);
  }
  return with_context("while making the image's ld.so.cache", [&]() -> std::optional<std::string> {
    // The scratch tree: the merged-/usr links, the configuration, and every
    // library ldconfig will look at (the configured and system directories).
    for (const char* top : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
      fs::create_directories(scratch / "usr" / top);
      fs::create_symlink(fs::path("usr") / top, scratch / top);
    }
    std::vector<std::string> all = dirs;
    all.push_back("usr/lib");
    if (std::string triplet = multiarch_triplet(arch); !triplet.empty()) all.push_back("usr/lib/" + triplet);
    for (const auto& [path, claim] : tree.claims()) {
      if (path.starts_with("etc/ld.so.conf")) {
        if (auto text = read_image_file(tree, read, path)) write_scratch_file(scratch / path, *text);
      }
    }
    std::size_t libraries = 0;
    std::set<std::string> done;
    for (const auto& dir : all) {
      if (!done.insert(dir).second) continue;
      fs::create_directories(scratch / dir);
      for_each_child(tree, dir, [&](const std::string& path, std::string_view name, const Entry& e) {
        if (!is_library_name(name)) return;
        if (e.type == EntryType::symlink) {
          fs::create_symlink(e.target, scratch / path);
        } else if (auto content = read_image_file(tree, read, path)) {
          write_scratch_file(scratch / path, *content);
          libraries += 1;
        }
      });
    }
    auto result = run_capture({ldconfig, "-X", "-r", scratch.string()}, {.discard_stderr = true});
    if (!result || result->exit_code != 0) {
      fail("{} -X -r {} failed (exit code {})", ldconfig, scratch.string(), result ? result->exit_code : -1);
    }
    std::string cache = read_file((scratch / "etc/ld.so.cache").string());
    notes.push_back(fmt::format("ld.so.cache: {} libraries, for /{}", libraries, fmt::join(needing, ", /")));
    return cache;
  });
}

}  // namespace sheaf::image
