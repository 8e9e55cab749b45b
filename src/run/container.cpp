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
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <thread>

#include "base/error.hpp"
#include "base/file_lock.hpp"
#include "base/fs.hpp"
#include "base/process.hpp"
#include "base/unique_fd.hpp"
#include "image/compose.hpp"
#include "image/stored_image.hpp"
#include "run/emulation.hpp"
#include "run/overlay.hpp"
#include "run/package_tree.hpp"
#include "run/plan.hpp"
#include "run/runtime_config.hpp"
#include "run/trace_fs.hpp"

namespace sheaf::run {

namespace fs = std::filesystem;

namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

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

// 0 when the program can be run, else 126 or 127 with a message on stderr.
// `found` gets the path it is run from.
int check_program(int root_fd, const std::string& program, const std::vector<std::string>& env,
                  const std::string& workdir, std::string* found = nullptr) {
  auto candidates = image::command_candidates(program, env, workdir);
  bool exists = false;
  for (const auto& c : candidates) {
    UniqueFd fd = open_in_root(root_fd, c);
    if (!fd) continue;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) continue;
    exists = true;
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
      if (found) *found = c;
      return 0;
    }
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
std::vector<Mount> name_file_mounts(const fs::path& dir, const RunRequest& request, int root_fd) {
  auto wanted = [&](const std::string& destination) {
    return !request.read_only || static_cast<bool>(open_in_root(root_fd, destination));
  };
  write_file_atomically(dir / "hostname", std::string(kHostname) + "\n");
  write_file_atomically(dir / "hosts", hosts_file());
  std::vector<Mount> mounts;
  for (const char* name : {"hostname", "hosts"}) {
    std::string destination = std::string("/etc/") + name;
    if (wanted(destination)) mounts.push_back({destination, "bind", (dir / name).string(), {"rbind", "ro"}});
  }
  std::error_code ec;
  if (request.network == Network::host && fs::exists("/etc/resolv.conf", ec) && wanted("/etc/resolv.conf")) {
    mounts.push_back({"/etc/resolv.conf", "bind", fs::canonical("/etc/resolv.conf", ec).string(), {"rbind", "ro"}});
  }
  return mounts;
}

// Only limits the caller can grant: the current ones (machine notes).
std::vector<Rlimit> current_rlimits() {
  std::vector<Rlimit> out;
  for (auto [name, resource] :
       {std::pair<const char*, int>{"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC}}) {
    struct rlimit limit {};
    if (::getrlimit(resource, &limit) == 0) {
      out.push_back({name, static_cast<std::uint64_t>(limit.rlim_cur), static_cast<std::uint64_t>(limit.rlim_max)});
    }
  }
  return out;
}

// Runs `argv` in the foreground with the forwarded signals blocked in sheaf
// and passed on to the child; returns its wait status. `started` is called
// once the child runs; at `deadline`, `expire` is called once (it stops the
// container), and the wait goes on.
int run_forwarding_signals(const std::vector<std::string>& argv, const sigset_t& forwarded, int stdout_fd,
                           const std::function<void()>& started,
                           std::optional<std::chrono::steady_clock::time_point> deadline,
                           const std::function<void()>& expire) {
  auto child = spawn(argv, {.stdout_fd = stdout_fd, .unblock = &forwarded});
  if (!child) fail("cannot start {}", argv.front());
  if (started) started();
  for (;;) {
    siginfo_t info{};
    int sig;
    if (deadline) {
      auto left = std::max(std::chrono::nanoseconds(0), *deadline - std::chrono::steady_clock::now());
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
      timespec timeout{static_cast<time_t>(seconds.count()), static_cast<long>((left - seconds).count())};
      sig = ::sigtimedwait(&forwarded, &info, &timeout);
      if (sig < 0 && errno == EAGAIN) {
        deadline.reset();
        expire();
        continue;
      }
    } else {
      sig = ::sigwaitinfo(&forwarded, &info);
    }
    if (sig < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, "cannot wait for signals");
    }
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t done = ::waitpid(*child, &status, WNOHANG);
      if (done == *child) return status;
      continue;
    }
    ::kill(*child, sig);
  }
}

bool cgroups_hybrid() {
  std::error_code ec;
  return fs::exists("/sys/fs/cgroup/unified/cgroup.controllers", ec) ||
         (fs::exists("/sys/fs/cgroup/unified", ec) && fs::exists("/sys/fs/cgroup/memory", ec));
}

// Blocks the signals sheaf forwards (and SIGCHLD) from construction on, so
// that they wait until the container runs or cancel the set-up; restores
// the previous mask when destroyed.
class ForwardedSignals {
 public:
  ForwardedSignals() {
    ::sigemptyset(&set_);
    for (int sig : kForwarded) ::sigaddset(&set_, sig);
    ::sigaddset(&set_, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &set_, &previous_);
  }
  ~ForwardedSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  const sigset_t& set() const { return set_; }

  // A stopping signal that arrived during the set-up, or 0.
  static int pending_stop() {
    sigset_t pending;
    ::sigpending(&pending);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      if (::sigismember(&pending, sig)) return sig;
    }
    return 0;
  }

 private:
  sigset_t set_{};
  sigset_t previous_{};
};

}  // namespace

// A container's directory, <store>/run/<name>/, removed (unless kept) when
// destroyed; its `lock` is held for the container's life. (Outside the
// anonymous namespace: ImageRoot::State holds one.)
struct ContainerDir {
  std::string name;
  fs::path path;
  bool keep = false;
  FileLock alive;
  ~ContainerDir() {
    if (keep || path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

namespace {

// Step 1: the trees of the image's packages, top layer first (the order an
// overlay lists its lower directories in).
std::vector<fs::path> package_trees(store::LocalStore& store, const image::StoredImage& image) {
  std::vector<std::string> drop = image::drop_paths(image.manifest);
  std::vector<fs::path> lowers;
  for (auto it = image.manifest.layers.rbegin(); it != image.manifest.layers.rend(); ++it) {
    for (const auto& p : image::required_layer_packages(*it)) {
      lowers.push_back(ensure_package_tree(store, p.id, drop));
    }
  }
  return lowers;
}

// Step 2: the container's directory, naming the trees it uses, with a
// writable upper layer unless the root is read-only.
std::unique_ptr<ContainerDir> make_container_dir(store::LocalStore& store, const std::vector<fs::path>& lowers,
                                                 const RunRequest& request, OverlayLayout& layout) {
  auto dir = std::make_unique<ContainerDir>();
  dir->name = "sheaf-" + random_hex(6);
  dir->path = store.root() / "run" / dir->name;
  dir->keep = request.keep;
  fs::create_directories(dir->path / "bundle/rootfs");
  ::chmod(dir->path.c_str(), 0700);
  UniqueFd dir_fd(::open(dir->path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) fail_errno(errno, "cannot open " + quote(dir->path.string()));
  dir->alive = FileLock::acquire(dir_fd.get(), "lock", LockMode::exclusive, (dir->path / "lock").string());
  std::string tree_names;
  for (const auto& lower : lowers) tree_names += lower.filename().string() + "\n";
  write_file_atomically(dir->path / "trees", tree_names);
  layout = OverlayLayout{lowers, std::nullopt, std::nullopt};
  if (!request.read_only) {
    fs::create_directories(dir->path / "upper");
    fs::create_directories(dir->path / "work");
    layout.upper = dir->path / "upper";
    layout.work = dir->path / "work";
  }
  return dir;
}

// Step 3: what runs, decided from the image, the request and the root's
// own account files.
RuntimeConfig plan_container(const image::StoredImage& image, const RunRequest& request, int root_fd,
                             const std::vector<Mount>& volumes) {
  const auto& config = image.config.config;
  RuntimeConfig runtime = default_runtime_config(request.network == Network::host);
  runtime.args = container_args(config, request.entrypoint, request.cmd);
  Identity id = resolve_user(request.user ? *request.user : config.user, read_in_root(root_fd, "/etc/passwd"),
                             read_in_root(root_fd, "/etc/group"));
  runtime.uid = id.uid;
  runtime.gid = id.gid;
  runtime.env =
      container_env(config.env, request.env, id.home, [](const std::string& key) -> std::optional<std::string> {
        const char* value = std::getenv(key.c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
      });
  runtime.cwd = request.workdir ? *request.workdir : (config.working_dir.empty() ? "/" : config.working_dir);
  runtime.terminal = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  runtime.rlimits = current_rlimits();
  runtime.read_only = request.read_only;
  runtime.hostname = std::string(kHostname);
  runtime.mounts.insert(runtime.mounts.end(), volumes.begin(), volumes.end());
  return runtime;
}

// Asks the runtime to send `signal` to the container's first process; a
// container that is not (or no longer) running is no error.
void signal_container(const std::string& runtime, const std::string& name, const std::string& signal) {
  if (auto pid = spawn({runtime, "kill", name, signal},
                       {.stdin_null = true, .discard_stdout = true, .discard_stderr = true})) {
    wait_for(*pid);
  }
}

// Step 4: the runtime in the foreground; its state is deleted afterwards,
// whatever happened. Returns the wait status.
int run_runtime(const std::string& runtime, const fs::path& bundle, const std::string& name, const sigset_t& forwarded,
                const RunControl& control, bool& timed_out) {
  struct DeleteState {
    std::string runtime, name;
    ~DeleteState() {
      if (auto pid = spawn({runtime, "delete", "--force", name}, {.discard_stdout = true, .discard_stderr = true})) {
        wait_for(*pid);
      }
    }
  } delete_state{runtime, name};
  // The companion (a server workload's probes) runs beside the container;
  // it ends before the runtime's state is deleted.
  std::thread companion;
  std::exception_ptr companion_failure;
  std::atomic<bool> ended{false};
  struct JoinCompanion {
    std::thread& thread;
    std::atomic<bool>& ended;
    ~JoinCompanion() {
      ended = true;
      if (thread.joinable()) thread.join();
    }
  } join{companion, ended};
  ContainerHandle handle{[&](const std::string& signal) { signal_container(runtime, name, signal); },
                         [&] { return ended.load(); }};
  auto started = [&] {
    if (!control.alongside) return;
    companion = std::thread([&] {
      try {
        control.alongside(handle);
      } catch (...) {
        companion_failure = std::current_exception();
      }
    });
  };
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (control.time_limit) deadline = std::chrono::steady_clock::now() + *control.time_limit;
  int status = run_forwarding_signals({runtime, "run", "--bundle", bundle.string(), name}, forwarded, control.stdout_fd,
                                      started, deadline, [&] {
                                        timed_out = true;
                                        signal_container(runtime, name, "SIGKILL");
                                      });
  ended = true;
  if (companion.joinable()) companion.join();
  if (companion_failure) std::rethrow_exception(companion_failure);
  return status;
}

}  // namespace

std::uint64_t export_rootfs(store::LocalStore& store, const Digest& manifest, const fs::path& dir) {
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);  // gc keeps what it reads
  fileset::Manifest rootfs = image::image_root(store, image::load_image(store, manifest));
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

struct ImageRoot::State {
  std::unique_ptr<ContainerDir> dir;
  std::optional<OverlayMount> mount;
};

namespace {

// A traced root: the image's read-only overlay at <dir>/image, served
// through the tracing filesystem at <dir>/traced, which is the one lower
// layer of the container's own overlay.
struct TracedRoot {
  std::optional<OverlayMount> image;
  std::optional<TracingMount> tracing;

  fs::path mount(const std::vector<fs::path>& lowers, const fs::path& dir) {
    fs::create_directories(dir / "image");
    fs::create_directories(dir / "traced");
    image.emplace(OverlayLayout{lowers, std::nullopt, std::nullopt}, dir / "image", dir);
    tracing.emplace(dir / "image", dir / "traced");
    return dir / "traced";
  }
  AccessTrace stop() {
    AccessTrace trace = tracing->stop();
    tracing.reset();
    image.reset();
    return trace;
  }
};

}  // namespace

ImageRoot::ImageRoot(store::LocalStore& store, const Digest& manifest) : state_(std::make_unique<State>()) {
  if (::geteuid() != 0) fail("mounting an image's root needs root: it is an overlay of package trees");
  image::StoredImage image = image::load_image(store, manifest);
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);
  std::vector<fs::path> lowers = package_trees(store, image);
  RunRequest read_only;
  read_only.read_only = true;
  OverlayLayout layout;
  state_->dir = make_container_dir(store, lowers, read_only, layout);
  path_ = state_->dir->path / "bundle/rootfs";
  state_->mount.emplace(layout, path_, state_->dir->path);
}

ImageRoot::~ImageRoot() {
  state_->mount.reset();  // before the directory goes
  state_->dir.reset();
}

std::string choose_runtime(const std::string& requested) {
  if (!requested.empty()) {
    if (requested != "runc" && requested != "crun")
      fail_usage("--runtime must be runc or crun, not {}", quote(requested));
    auto path = find_system_program(requested);
    if (!path) fail("the runtime {} is not installed", requested);
    return *path;
  }
  if (!cgroups_hybrid()) {
    if (auto crun = find_system_program("crun")) return *crun;
  }
  if (auto runc = find_system_program("runc")) return *runc;
  if (auto crun = find_system_program("crun")) return *crun;
  fail("neither runc nor crun is installed; sheaf run hands containers to one of them");
}

int run_container(store::LocalStore& store, const RunRequest& request) {
  return run_container(store, request, RunControl{}).exit_code;
}

namespace {

// Makes `config` run through `emulation`: the interpreter bound where the
// container sees it, and, as the first process, the command given to it
// (`program`, as found in the root: qemu-user does not search PATH).
void emulate(const Emulation& emulation, const std::string& program, RuntimeConfig& config) {
  if (emulation.kind == Emulation::Kind::native) return;
  if (emulation.bind) {
    std::error_code ec;
    fs::path source = fs::canonical(emulation.interpreter, ec);
    if (ec) fail_errno(ec.value(), "cannot find the emulator " + quote(emulation.interpreter));
    config.mounts.push_back({emulation.destination, "bind", source.string(), {"bind", "ro"}});
  }
  if (emulation.kind != Emulation::Kind::first_process) return;
  std::vector<std::string> args{emulation.destination, "-0", config.args.front(), program};
  args.insert(args.end(), config.args.begin() + 1, config.args.end());
  config.args = std::move(args);
  fmt::print(stderr,
             "sheaf: note: no binfmt_misc handler for this architecture: {} runs the command as the container's "
             "first process, and programs it starts are not emulated\n",
             fs::path(emulation.interpreter).filename().string());
}

}  // namespace

RunOutcome run_container(store::LocalStore& store, const RunRequest& request, const RunControl& control) {
  if (::geteuid() != 0) fail("sheaf run needs root: it mounts an overlay and hands it to runc or crun");
  std::string runtime = choose_runtime(request.runtime);
  std::vector<Mount> volumes;
  for (const auto& v : request.volumes) volumes.push_back(parse_volume(v));
  image::StoredImage image = image::load_image(store, request.manifest);
  // An image for another architecture runs through qemu-user, or not at all.
  const Emulation emulation = plan_emulation(image.config.platform.architecture);
  ForwardedSignals signals;  // from now on the clean-up below always runs

  // 1 and 2. The shared store lock keeps gc away while the trees are made
  // (their staging is under tmp/) and until the container's directory says
  // which trees it uses; from then on that directory's own lock, held for
  // the container's life, keeps them (store/maintenance.hpp).
  store::StoreLock held = store.lock(store::StoreLock::Mode::shared);
  std::vector<fs::path> lowers = package_trees(store, image);
  OverlayLayout layout;
  std::unique_ptr<ContainerDir> dir = make_container_dir(store, lowers, request, layout);
  TracedRoot traced;
  if (control.trace) layout.lowers = {traced.mount(lowers, dir->path)};
  std::optional<OverlayMount> mount;
  mount.emplace(layout, dir->path / "bundle/rootfs", dir->path);
  held = store::StoreLock();
  // The trace is taken when the container's root is gone, on every path out.
  struct Finish {
    std::optional<OverlayMount>& mount;
    TracedRoot& traced;
    AccessTrace* trace;
    ~Finish() {
      mount.reset();
      if (!traced.tracing) return;
      try {
        AccessTrace got = traced.stop();
        if (trace) *trace = std::move(got);
      } catch (...) {
        // On the normal path the trace was taken below, and a failure of
        // the tracer thrown from there; this path is already an error's.
      }
    }
  } finish{mount, traced, control.trace};

  // 3. The command, looked up in the root unless a volume brings it.
  UniqueFd root_fd(::open((dir->path / "bundle/rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) fail_errno(errno, "cannot open the container's root");
  RuntimeConfig config = plan_container(image, request, root_fd.get(), volumes);
  std::string program = config.args.front();
  if (!under_volume(config.args.front(), volumes)) {
    if (int code = check_program(root_fd.get(), config.args.front(), config.env, config.cwd, &program); code != 0) {
      return {code, false};
    }
  }
  emulate(emulation, program, config);
  auto name_files = name_file_mounts(dir->path, request, root_fd.get());
  config.mounts.insert(config.mounts.end() - static_cast<std::ptrdiff_t>(volumes.size()), name_files.begin(),
                       name_files.end());
  if (control.stdout_fd >= 0) config.terminal = false;
  write_file_atomically(dir->path / "bundle/config.json", render(config));

  // 4. A signal that asked sheaf to stop during the set-up stops it here,
  // before the container exists (the clean-up runs as the stack unwinds).
  if (int sig = ForwardedSignals::pending_stop()) {
    fmt::print(stderr, "sheaf: {} before the container started; nothing was run\n", ::strsignal(sig));
    return {128 + sig, false};
  }
  RunOutcome outcome;
  int status = run_runtime(runtime, dir->path / "bundle", dir->name, signals.set(), control, outcome.timed_out);
  mount.reset();
  if (traced.tracing) {
    AccessTrace trace = traced.stop();  // throws what the tracer met
    *control.trace = std::move(trace);
  }
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.exit_code = 128 + WTERMSIG(status);
  } else {
    outcome.exit_code = kExitRunFailed;
  }
  return outcome;
}

}  // namespace sheaf::run
