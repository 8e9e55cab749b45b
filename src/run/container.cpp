#include "run/container.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.hpp"
#include "base/file_lock.hpp"
#include "base/fs.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"
#include "image/compose.hpp"
#include "image/export.hpp"
#include "run/overlay.hpp"
#include "run/package_tree.hpp"

extern char** environ;

namespace sheaf::run {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kHostname = "sheaf";


constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

std::optional<std::string> find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

// The package trees of a layer, from its sheaf annotations.
std::vector<std::string> layer_packages(const oci::Descriptor& layer) {
  if (auto id = layer.annotations.find("dev.sheaf.package.id"); id != layer.annotations.end()) return {id->second};
  std::vector<std::string> ids;
  if (auto list = layer.annotations.find("dev.sheaf.packages"); list != layer.annotations.end()) {
    for (const auto& item : json::parse(list->second)) ids.push_back(item.at("id").get<std::string>());
  }
  if (ids.empty()) {
    fail(
        "layer {} carries no dev.sheaf.package annotations: this image was not built by sheaf, and sheaf runs "
        "only images whose layers are packages",
        layer.digest.str());
  }
  return ids;
}

// Opens `path` inside `root` as if root were "/": symlinks cannot leave it.
UniqueFd open_in_root(int root_fd, const std::string& path) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how)));
}

std::string read_in_root(int root_fd, const std::string& path) {
  UniqueFd fd = open_in_root(root_fd, path);
  if (!fd) return "";
  // Reopens the O_PATH descriptor for reading, through /proc.
  UniqueFd readable(::open(fmt::format("/proc/self/fd/{}", fd.get()).c_str(), O_RDONLY | O_CLOEXEC));
  return readable ? read_all(readable.get(), path) : "";
}

struct Identity {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home = "/";
};

std::optional<std::uint32_t> as_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos || text.size() > 10) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(std::stoul(std::string(text)));
}

// NAME, UID, NAME:GROUP or UID:GID, looked up in the image's passwd and group.
Identity resolve_user(int root_fd, const std::string& spec) {
  Identity id;
  if (spec.empty()) {
    id.home = "/root";
    return id;
  }
  std::string user = spec.substr(0, spec.find(':'));
  std::string group = spec.find(':') == std::string::npos ? "" : spec.substr(spec.find(':') + 1);
  bool found = false;
  std::string passwd = read_in_root(root_fd, "/etc/passwd");  // the lines below point into it
  for (auto line : split_lines(passwd)) {
    auto fields = std::vector<std::string>();
    std::string current;
    for (char c : line) {
      if (c == ':') {
        fields.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    fields.push_back(current);
    if (fields.size() < 7) continue;
    if (fields[0] == user || fields[2] == user) {
      id.uid = static_cast<std::uint32_t>(std::stoul(fields[2]));
      id.gid = static_cast<std::uint32_t>(std::stoul(fields[3]));
      id.home = fields[5];
      found = true;
      break;
    }
  }
  if (!found) {
    auto uid = as_number(user);
    if (!uid) fail("user {} is not in the image's /etc/passwd", quote(user));
    id.uid = *uid;
    id.gid = *uid;
  }
  if (!group.empty()) {
    if (auto gid = as_number(group)) {
      id.gid = *gid;
    } else {
      bool group_found = false;
      std::string groups = read_in_root(root_fd, "/etc/group");  // the lines below point into it
      for (auto line : split_lines(groups)) {
        std::string l(line);
        auto colon = l.find(':');
        if (colon == std::string::npos || l.substr(0, colon) != group) continue;
        auto third = l.find(':', l.find(':', colon + 1) + 1);
        id.gid = static_cast<std::uint32_t>(std::stoul(l.substr(l.find(':', colon + 1) + 1, third)));
        group_found = true;
      }
      if (!group_found) fail("group {} is not in the image's /etc/group", quote(group));
    }
  }
  return id;
}

// 0 when the program can be run, else 126 or 127 with a message on stderr.
int check_program(int root_fd, const std::string& program, const std::vector<std::string>& env,
                  const std::string& workdir) {
  auto candidates = image::command_candidates(program, env, workdir);
  bool exists = false;
  for (const auto& c : candidates) {
    UniqueFd fd = open_in_root(root_fd, c);
    if (!fd) continue;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) continue;
    exists = true;
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) return 0;
  }
  if (!exists) {
    fmt::print(stderr, "sheaf: error: {} not found in the image\n", quote(program));
    return kExitNotFound;
  }
  fmt::print(stderr, "sheaf: error: {} in the image is not an executable file\n", quote(program));
  return kExitCannotExecute;
}

// The name files a runtime gives every container, as podman does: they are
// the host's business, not the image's, so no image ships them. /etc/hosts
// names the container's host name and localhost; with the host's network,
// /etc/resolv.conf is the host's. A read-only root cannot take a mount
// point the image lacks, so there only the files the image has are bound.
json name_file_mounts(const fs::path& dir, const RunRequest& request, int root_fd) {
  auto wanted = [&](const char* destination) {
    return !request.read_only || static_cast<bool>(open_in_root(root_fd, destination));
  };
  write_file_atomically(dir / "hostname", std::string(kHostname) + "\n");
  write_file_atomically(dir / "hosts", fmt::format("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                                                   "127.0.1.1\t{}\n",
                                                   kHostname));
  json mounts = json::array();
  for (const char* name : {"hostname", "hosts"}) {
    if (!wanted(name == std::string_view("hosts") ? "/etc/hosts" : "/etc/hostname")) continue;
    mounts.push_back({{"destination", std::string("/etc/") + name},
                      {"type", "bind"},
                      {"source", (dir / name).string()},
                      {"options", {"rbind", "ro"}}});
  }
  std::error_code ec;
  if (request.network == Network::host && fs::exists("/etc/resolv.conf", ec) && wanted("/etc/resolv.conf")) {
    mounts.push_back({{"destination", "/etc/resolv.conf"},
                      {"type", "bind"},
                      {"source", fs::canonical("/etc/resolv.conf", ec).string()},
                      {"options", {"rbind", "ro"}}});
  }
  return mounts;
}

json runtime_config(const oci::ImageConfig& image, const RunRequest& request, const std::vector<std::string>& args,
                    const std::vector<std::string>& env, const Identity& id, const std::string& cwd, bool terminal,
                    const json& name_files) {
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
  });
  for (const auto& m : name_files) mounts.push_back(m);
  for (const auto& volume : request.volumes) {
    auto parts = std::vector<std::string>();
    std::string rest = volume;
    for (std::size_t colon; (colon = rest.find(':')) != std::string::npos; rest = rest.substr(colon + 1)) {
      parts.push_back(rest.substr(0, colon));
    }
    parts.push_back(rest);
    if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw")) {
      fail_usage("-v {}: expected SRC:DST or SRC:DST:ro", quote(volume));
    }
    fs::path source = fs::absolute(parts[0]);
    std::error_code ec;
    if (!fs::exists(source, ec)) fail_usage("-v {}: {} does not exist", quote(volume), quote(source.string()));
    if (parts[1].empty() || parts[1].front() != '/')
      fail_usage("-v {}: the destination must be absolute", quote(volume));
    json options = {"rbind"};
    options.push_back(parts.size() == 3 && parts[2] == "ro" ? "ro" : "rw");
    mounts.push_back({{"destination", parts[1]}, {"type", "bind"}, {"source", source.string()}, {"options", options}});
  }
  json namespaces = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (request.network == Network::none) namespaces.push_back({{"type", "network"}});
  // Only limits the caller can grant: the current ones (machine notes).
  json rlimits = json::array();
  for (auto [name, resource] :
       {std::pair<const char*, int>{"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC}}) {
    struct rlimit limit {};
    if (::getrlimit(resource, &limit) == 0) {
      rlimits.push_back({{"type", name},
                         {"soft", static_cast<std::uint64_t>(limit.rlim_cur)},
                         {"hard", static_cast<std::uint64_t>(limit.rlim_max)}});
    }
  }
  json caps = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
               "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
               "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
               "CAP_KILL",    "CAP_AUDIT_WRITE"};
  (void)image;
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", terminal},
        {"user", {{"uid", id.uid}, {"gid", id.gid}}},
        {"args", args},
        {"env", env},
        {"cwd", cwd},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", rlimits},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", request.read_only}}},
      {"hostname", std::string(kHostname)},
      {"mounts", mounts},
      {"linux",
       {{"namespaces", namespaces},
        {"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug", "/proc/scsi", "/sys/firmware"}},
        {"readonlyPaths", {"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
}

// Runs `argv` in the foreground with the forwarded signals blocked in sheaf
// and passed on to the child; returns its wait status.
int run_forwarding_signals(const std::vector<std::string>& argv, const sigset_t& forwarded) {
  pid_t child = ::fork();
  if (child < 0) fail_errno(errno, "cannot start " + argv.front());
  if (child == 0) {
    ::sigprocmask(SIG_UNBLOCK, &forwarded, nullptr);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execve(args[0], args.data(), environ);
    ::_exit(127);
  }
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&forwarded, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, "cannot wait for signals");
    }
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t done = ::waitpid(child, &status, WNOHANG);
      if (done == child) return status;
      continue;
    }
    ::kill(child, sig);
  }
}

bool cgroups_hybrid() {
  std::error_code ec;
  return fs::exists("/sys/fs/cgroup/unified/cgroup.controllers", ec) ||
         (fs::exists("/sys/fs/cgroup/unified", ec) && fs::exists("/sys/fs/cgroup/memory", ec));
}

}  // namespace

std::uint64_t export_rootfs(store::LocalStore& store, const Digest& manifest, const fs::path& dir) {
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);  // gc keeps what it reads
  image::StoredImage image = image::load_image(store, manifest);
  std::vector<std::string> drop_paths;
  if (auto d = image.manifest.annotations.find("dev.sheaf.drop-paths"); d != image.manifest.annotations.end()) {
    drop_paths = json::parse(d->second).get<std::vector<std::string>>();
  }
  // Layer order: where two layers hold a path, the later one's entry is
  // what a runtime shows (the assembly's changed owners, for one).
  std::map<std::string, fileset::Entry> entries;
  for (const auto& layer : image.manifest.layers) {
    for (const auto& id : layer_packages(layer)) {
      fileset::Manifest fileset = package_fileset(store, id, drop_paths);
      for (const auto& e : fileset.entries()) entries.insert_or_assign(e.path, e);
    }
  }
  std::vector<fileset::Entry> list;
  for (auto& [path, e] : entries) list.push_back(std::move(e));
  fileset::Manifest rootfs = fileset::Manifest::from_entries(std::move(list));
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      fail("{} exists and is not an empty directory; --rootfs writes a new one", quote(dir.string()));
    }
    fs::remove(dir);
  }
  TreeStats stats;
  try {
    materialize(store, rootfs, dir, stats);
  } catch (...) {
    fs::remove_all(dir, ec);
    throw;
  }
  return stats.files;
}

std::string choose_runtime(const std::string& requested) {
  if (!requested.empty()) {
    if (requested != "runc" && requested != "crun")
      fail_usage("--runtime must be runc or crun, not {}", quote(requested));
    auto path = find_program(requested);
    if (!path) fail("the runtime {} is not installed", requested);
    return *path;
  }
  if (!cgroups_hybrid()) {
    if (auto crun = find_program("crun")) return *crun;
  }
  if (auto runc = find_program("runc")) return *runc;
  if (auto crun = find_program("crun")) return *crun;
  fail("neither runc nor crun is installed; sheaf run hands containers to one of them");
}

int run_container(store::LocalStore& store, const RunRequest& request) {
  if (::geteuid() != 0) fail("sheaf run needs root: it mounts an overlay and hands it to runc or crun");
  std::string runtime = choose_runtime(request.runtime);
  image::StoredImage image = image::load_image(store, request.manifest);

  // Signals arriving from now on wait until the container runs, or cancel
  // the set-up; either way the clean-up below runs.
  sigset_t forwarded;
  ::sigemptyset(&forwarded);
  for (int sig : kForwarded) ::sigaddset(&forwarded, sig);
  ::sigaddset(&forwarded, SIGCHLD);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &forwarded, &previous);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};

  // 1. The trees, top layer first. The shared store lock keeps gc away while
  // they are made (their staging is under tmp/) and until the container's
  // directory says which trees it uses; from then on that directory's own
  // lock, held for the container's life, keeps them (store/maintenance.hpp).
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);
  std::vector<std::string> drop_paths;
  if (auto d = image.manifest.annotations.find("dev.sheaf.drop-paths"); d != image.manifest.annotations.end()) {
    drop_paths = json::parse(d->second).get<std::vector<std::string>>();
  }
  std::vector<fs::path> lowers;
  for (auto it = image.manifest.layers.rbegin(); it != image.manifest.layers.rend(); ++it) {
    for (const auto& id : layer_packages(*it)) lowers.push_back(ensure_package_tree(store, id, drop_paths));
  }

  // 2. The container's directory and root.
  std::string name = "sheaf-" + random_hex(6);
  fs::path dir = store.root() / "run" / name;
  fs::create_directories(dir / "bundle/rootfs");
  ::chmod(dir.c_str(), 0700);
  struct RemoveDir {
    fs::path path;
    bool keep;
    ~RemoveDir() {
      if (keep) return;
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } remove_dir{dir, request.keep};
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) fail_errno(errno, "cannot open " + quote(dir.string()));
  FileLock alive = FileLock::acquire(dir_fd.get(), "lock", LockMode::exclusive, (dir / "lock").string());
  std::string tree_names;
  for (const auto& lower : lowers) tree_names += lower.filename().string() + "\n";
  write_file_atomically(dir / "trees", tree_names);
  OverlayLayout layout{lowers, std::nullopt, std::nullopt};
  if (!request.read_only) {
    fs::create_directories(dir / "upper");
    fs::create_directories(dir / "work");
    layout.upper = dir / "upper";
    layout.work = dir / "work";
  }
  std::optional<OverlayMount> mount;
  mount.emplace(layout, dir / "bundle/rootfs", dir);
  held = store::StoreLock();  // the directory's lock keeps the trees from here on

  // 3. The command.
  const auto& config = image.config.config;
  std::vector<std::string> args;
  if (request.entrypoint) {
    args.push_back(*request.entrypoint);
  } else {
    args = config.entrypoint;
  }
  const std::vector<std::string>& cmd = request.cmd ? *request.cmd : config.cmd;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) fail("the image has no entrypoint or cmd; give a command after --");
  std::map<std::string, std::string> env_map;
  for (const auto& e : config.env)
    env_map[e.substr(0, e.find('='))] = e.substr(e.find('=') == std::string::npos ? e.size() : e.find('=') + 1);
  UniqueFd root_fd(::open((dir / "bundle/rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) fail_errno(errno, "cannot open the container's root");
  Identity id = resolve_user(root_fd.get(), request.user ? *request.user : config.user);
  env_map.emplace("HOME", id.home);
  env_map.emplace("HOSTNAME", "sheaf");
  for (const auto& e : request.env) {
    auto eq = e.find('=');
    if (eq == std::string::npos) {
      const char* value = std::getenv(e.c_str());
      if (value) env_map[e] = value;
    } else {
      env_map[e.substr(0, eq)] = e.substr(eq + 1);
    }
  }
  std::vector<std::string> env;
  for (const auto& [k, v] : env_map) env.push_back(k + "=" + v);
  std::string cwd = request.workdir ? *request.workdir : (config.working_dir.empty() ? "/" : config.working_dir);
  // A program under a -v destination is not in the image; the runtime finds it.
  bool in_volume = std::any_of(request.volumes.begin(), request.volumes.end(), [&](const std::string& v) {
    auto first = v.find(':');
    std::string dest = first == std::string::npos ? "" : v.substr(first + 1, v.find(':', first + 1) - first - 1);
    return !dest.empty() && (args.front() == dest || args.front().starts_with(dest + "/"));
  });
  if (!in_volume) {
    if (int code = check_program(root_fd.get(), args.front(), env, cwd); code != 0) return code;
  }

  // 4. The bundle, and the runtime in the foreground.
  bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  json bundle = runtime_config(image.config, request, args, env, id, cwd, terminal, name_file_mounts(dir, request, root_fd.get()));
  write_file_atomically(dir / "bundle/config.json", bundle.dump(2));
  // A signal that asked sheaf to stop during the set-up stops it here, before
  // the container exists (the clean-up runs as the stack unwinds).
  sigset_t pending;
  ::sigpending(&pending);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    if (::sigismember(&pending, sig)) {
      fmt::print(stderr, "sheaf: {} before the container started; nothing was run\n", ::strsignal(sig));
      return 128 + sig;
    }
  }
  std::vector<std::string> argv{runtime, "run", "--bundle", (dir / "bundle").string(), name};
  int status = 0;
  {
    struct DeleteState {
      std::string runtime, name;
      ~DeleteState() {
        pid_t pid = ::fork();
        if (pid == 0) {
          int null = ::open("/dev/null", O_WRONLY);
          ::dup2(null, 1);
          ::dup2(null, 2);
          ::execl(runtime.c_str(), runtime.c_str(), "delete", "--force", name.c_str(), static_cast<char*>(nullptr));
          ::_exit(127);
        }
        if (pid > 0) ::waitpid(pid, nullptr, 0);
      }
    } delete_state{runtime, name};
    status = run_forwarding_signals(argv, forwarded);
  }
  mount.reset();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitRunFailed;
}

}  // namespace sheaf::run
