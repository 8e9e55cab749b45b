// sheaf.toml: the image spec, parsed strictly.
//
// Parsing never runs code. Every table and key is known: an unknown key, a
// value of the wrong type or a malformed entry is a ParseError whose `where`
// is "FILE:LINE:COLUMN", with a "did you mean" for a misspelt key. The format
// is documented in docs/formats/spec.md.
//
// Sections:
//   [image]          name, entrypoint, cmd, env, user, workdir, ports, labels, stop_signal
//   [source.debian]  suites, components, arch (one, or a list for an index), mirror, keyring
//   [packages]       include (pins allowed: "name=version"; registry packages:
//                    "docker://HOST/REPO:TAG"), exclude, recommends, drop_paths
//   [[users]]        name, uid, gid, home, shell
//   [[groups]]       name, gid
//   [[files]]        src, dest, mode, uid, gid, arch
//   [[paths]]        path, type (dir, symlink, file), mode, uid, gid, target, content
//   [[recipes]]      path (a recipe whose output the image includes)
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sheaf::spec {

// Where something was written in the spec, for messages.
struct Position {
  unsigned line = 0;
  unsigned column = 0;
};

// One `include` entry: a package name, optionally pinned to one version;
// or a registry package, docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX], kept
// as written in `name` (docs/formats/spec.md, "Registry packages").
struct PackagePin {
  std::string name;
  std::optional<std::string> version;  // "=VERSION" in the spec
  Position position;

  bool from_registry() const { return name.starts_with("docker://"); }

  // "name" or "name=version", as written.
  std::string str() const { return version ? name + "=" + *version : name; }
  friend bool operator==(const PackagePin& a, const PackagePin& b) {
    return a.name == b.name && a.version == b.version;
  }
};

// [source.debian]: where Debian packages come from.
struct DebianSource {
  std::vector<std::string> suites;               // required, in the spec's order
  std::vector<std::string> components{"main"};   // default: main
  // The architecture this spec is composed for: the one `arch` names, or
  // the first of its list; default: the host's.
  std::string arch;
  // Every architecture, in the spec's order: `arch = "X"` gives {X}.
  std::vector<std::string> arches;
  // `arch` is a list (even of one): the build gives an OCI image index with
  // one image per architecture, and the lock a section per architecture.
  bool index = false;
  std::optional<std::string> mirror;             // URL; default: the host's apt sources
  std::optional<std::filesystem::path> keyring;  // absolute (relative paths resolve against the spec's directory)
};

// [packages]
struct PackageSelection {
  std::vector<PackagePin> include;   // in the spec's order
  std::vector<std::string> exclude;  // sorted, unique
  bool recommends = false;
  // Globs over image paths ("usr/share/doc/**"), without a leading '/', in
  // the spec's order: `*` and `?` stay within one path component, `**`
  // matches any number of them.
  std::vector<std::string> drop_paths;
  // Debian's Essential set joins `include`: every package of the suites
  // marked "Essential: yes". Set by a recipe's build environment
  // (spec/recipe.hpp); sheaf.toml has no key for it.
  bool essential = false;
};

// [image]: the runtime configuration.
struct ImageConfig {
  std::string name;  // "" when not given
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::pair<std::string, std::string>> env;     // sorted by name
  std::string user;                                         // "" (root), a name, or "uid[:gid]"
  std::string workdir;                                      // absolute, or ""
  std::vector<std::string> ports;                           // "80/tcp", sorted, unique
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by key
  std::string stop_signal;                                  // "SIGTERM", or ""
  Position entrypoint_position;
};

// [[users]] and [[groups]]. Defaults: gid = uid, home = /home/NAME (not
// created unless a [[paths]] entry says so), shell = /usr/sbin/nologin.
struct User {
  std::string name;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;
  std::string shell;
  Position position;
};

struct Group {
  std::string name;
  std::uint32_t gid = 0;
  Position position;
};

// [[files]]: a local file or directory that becomes a package of its own.
struct LocalFiles {
  std::filesystem::path src;          // absolute (relative ones start at the spec's directory)
  std::string src_as_written;         // for provenance: the path as the spec gives it
  std::string dest;                   // absolute image path
  std::optional<std::uint32_t> mode;  // for a single file; default: as on disk
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  // The one architecture whose image gets it; "" for every architecture's
  // (with a warning when it is an ELF file of another machine).
  std::string arch;
  Position position;
};

// [[paths]]: one entry that the assembly layer creates.
struct PathEntry {
  enum class Type { dir, symlink, file };
  std::string path;  // absolute image path
  Type type = Type::dir;
  std::uint32_t mode = 0;  // default: 0755 for dir, 0644 for file (symlinks have none)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string target;   // symlinks only
  std::string content;  // files only
  Position position;
};

// [[recipes]]: a recipe (spec/recipe.hpp) whose output the image includes,
// built when the store lacks it.
struct RecipeRef {
  std::filesystem::path path;   // absolute (relative ones start at the spec's directory)
  std::string path_as_written;  // as the lock records it
  Position position;
};

// [alternatives] NAME = "/path": the choice `update-alternatives --set NAME
// PATH` would make, instead of the highest priority.
struct AlternativeChoice {
  std::string name;
  std::string path;  // absolute image path
  Position position;
};

// POSIX-portable user and group names, as useradd accepts them by default:
// a-z or '_', then a-z, 0-9, '_' and '-', at most 32 characters.
bool is_account_name(std::string_view name);

// What `sheaf trim` and [trim] run while tracing (spec/trim.hpp reads it).
// One run of the image. A server workload (one with `ready`) runs until
// sheaf stops it: `ready` runs on the host until it exits 0, then each of
// `probes` once (each must exit 0), then the container gets `stop_signal`.
struct Workload {
  std::string name;                              // "workload N" unless named
  std::optional<std::string> entrypoint;         // replaces the image's
  std::optional<std::vector<std::string>> args;  // replaces the image's cmd
  std::vector<std::string> env;                  // KEY=VALUE, over the image's
  std::optional<std::string> user;               // NAME, UID or UID:GID
  std::optional<std::string> workdir;            // absolute
  std::uint32_t timeout = 60;                    // seconds, the whole run
  bool allow_failure = false;                    // a non-zero exit is refused unless true
  std::optional<bool> host_network;              // default: true for a server, false otherwise
  std::vector<std::string> ready;                // argv on the host
  std::vector<std::vector<std::string>> probes;  // argv on the host, each
  std::string stop_signal;                       // "" : the image's, else SIGTERM
  std::uint32_t ready_timeout = 30;              // seconds
  Position position;

  bool server() const { return !ready.empty(); }
  bool uses_host_network() const { return host_network.value_or(server()); }
};

struct TrimSpec {
  std::vector<std::string> keep;  // path globs, as drop_paths takes them (no leading '/')
  std::vector<Workload> workloads;
};

struct Spec {
  std::filesystem::path path;  // the file it was read from
  ImageConfig image;
  std::optional<DebianSource> debian;
  PackageSelection packages;
  std::vector<User> users;
  std::vector<Group> groups;
  std::vector<LocalFiles> files;
  std::vector<PathEntry> paths;
  std::vector<AlternativeChoice> alternatives;  // sorted by name
  std::vector<RecipeRef> recipes;                // in the spec's order
  // [trim]: `sheaf build` traces these workloads over the image it composed
  // and gives the trimmed image (spec/trim.hpp).
  std::optional<TrimSpec> trim;
  // Debian source packages to lock beside the binary ones: a recipe's
  // sources (Recipe::environment_spec). sheaf.toml has none.
  std::vector<PackagePin> source_packages;
  // Where the lock lives; "" for sheaf.lock beside the spec. A recipe's
  // build environment keeps its lock beside the recipe.
  std::filesystem::path lock_path;

  // Reads and parses `path`. Throws an Error when the file cannot be read, and
  // a ParseError ("FILE:LINE:COLUMN: problem") when it is not a valid spec.
  static Spec load(const std::filesystem::path& path);
  // Parses `text`; `path` names the file in messages and anchors relative paths.
  static Spec parse(std::string_view text, const std::filesystem::path& path);

  // "FILE:LINE:COLUMN" for a position in this spec; just FILE for a spec
  // that was not parsed (line 0).
  std::string where(const Position& position) const;

  // This spec for one of its architectures (debian->arches names it): the
  // one-architecture spec each image of an index is locked and composed
  // from, without the [[files]] entries for other architectures. `index`
  // stays as the spec says.
  Spec for_arch(std::string_view arch) const;
};

}  // namespace sheaf::spec
