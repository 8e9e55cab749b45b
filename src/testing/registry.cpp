#include "testing/registry.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "base/base64.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::testing {

namespace fs = std::filesystem;

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& output) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void wait_for_port(int port, pid_t pid, const std::string& what, const fs::path& log) {
  for (int i = 0; i < 300; ++i) {
    if (port_open(port)) return;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      throw std::runtime_error(what + " exited at start: " + read_file_bytes(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error(what + " did not start listening");
}

void stop(pid_t pid) {
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
}

void run_or_throw(const std::vector<std::string>& argv) {
  CommandResult r = run_command(argv);
  if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed: " + r.err);
}

// A test CA and a certificate for 127.0.0.1 and localhost that it signed.
void make_certificates(const fs::path& dir) {
  make_dirs(dir / "certs");
  std::string openssl = "/usr/bin/openssl";
  run_or_throw({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
                "2", "-subj", "/CN=sheaf test CA", "-keyout", (dir / "ca.key").string(), "-out",
                (dir / "certs/ca.crt").string()});
  run_or_throw({openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                "/CN=127.0.0.1", "-keyout", (dir / "server.key").string(), "-out", (dir / "server.csr").string()});
  write_file(dir / "san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run_or_throw({openssl, "x509", "-req", "-in", (dir / "server.csr").string(), "-CA", (dir / "certs/ca.crt").string(),
                "-CAkey", (dir / "ca.key").string(), "-CAcreateserial", "-days", "2", "-extfile",
                (dir / "san.ext").string(), "-out", (dir / "server.crt").string()});
}

}  // namespace

TestRegistry::TestRegistry(const fs::path& dir, const RegistryOptions& options) : dir_(dir) {
  make_dirs(dir_ / "data");
  port_ = free_port();
  std::string config = fmt::format(
      "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n"
      "http:\n  addr: 127.0.0.1:{}\n",
      (dir_ / "data").string(), port_);
  if (options.tls) {
    make_certificates(dir_);
    config += fmt::format("  tls:\n    certificate: {}\n    key: {}\n", (dir_ / "server.crt").string(),
                          (dir_ / "server.key").string());
  }
  config += "log:\n  level: info\n  accesslog:\n    disabled: false\n";
  if (options.htpasswd) {
    run_or_throw({"/bin/sh", "-c", "htpasswd -Bbn sheaf secret > " + (dir_ / "htpasswd").string()});
    config += fmt::format("auth:\n  htpasswd:\n    realm: sheaf-test\n    path: {}\n", (dir_ / "htpasswd").string());
  }
  write_file(dir_ / "config.yml", config);
  pid_ = spawn({"/usr/bin/docker-registry", "serve", (dir_ / "config.yml").string()}, dir_ / "registry.log");
  wait_for_port(port_, pid_, "docker-registry", dir_ / "registry.log");
}

TestRegistry::~TestRegistry() { stop(); }

void TestRegistry::stop() {
  testing::stop(pid_);
  pid_ = -1;
}

std::string TestRegistry::host() const { return fmt::format("127.0.0.1:{}", port_); }

std::string TestRegistry::ref(const std::string& repo_tag) const { return "docker://" + host() + "/" + repo_tag; }

std::vector<std::string> TestRegistry::requests() const {
  // distribution's access log, in the combined format:
  //   127.0.0.1 - - [date] "GET /v2/app/blobs/sha256:... HTTP/1.1" 200 1234 "" "sheaf"
  std::vector<std::string> out;
  for (const auto& line : lines_of(read_file_bytes(dir_ / "registry.log"))) {
    auto open = line.find("\"");
    if (open == std::string::npos || line.find(" HTTP/1.1\" ", open) == std::string::npos) continue;
    auto close = line.find(" HTTP/1.1\" ", open);
    std::string request = line.substr(open + 1, close - open - 1);  // "GET /v2/..."
    std::string rest = line.substr(close + 11);
    std::string status = rest.substr(0, rest.find(' '));
    out.push_back(request + " " + status);
  }
  return out;
}

std::size_t TestRegistry::blob_downloads() const {
  std::size_t n = 0;
  for (const auto& r : requests()) {
    if (r.starts_with("GET ") && r.find("/blobs/sha256:") != std::string::npos &&
        (r.ends_with(" 200") || r.ends_with(" 206") || r.ends_with(" 307")))
      ++n;
  }
  return n;
}

void TestRegistry::clear_log() {
  // The registry appends to its log; truncating it keeps its offset valid (O_APPEND).
  fs::resize_file(dir_ / "registry.log", 0);
}

fs::path TestRegistry::blob_file(const std::string& digest) const {
  std::string hex = digest.substr(7);
  return dir_ / "data/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

fs::path TestRegistry::write_auth_file(const std::string& user, const std::string& password) const {
  fs::path path = dir_ / fmt::format("auth-{}.json", user);
  write_file(path, fmt::format("{{\"auths\":{{\"{}\":{{\"auth\":\"{}\"}}}}}}", host(),
                               base64_encode(user + ":" + password)));
  return path;
}

RegistryProxy::RegistryProxy(const fs::path& dir, const std::string& upstream, const ProxyOptions& options) {
  make_dirs(dir);
  log_ = dir / fmt::format("proxy-{}.jsonl", reinterpret_cast<std::uintptr_t>(this));
  port_ = free_port();
  int second = free_port();
  std::vector<std::string> argv{"/usr/bin/python3", std::string(SHEAF_SOURCE_DIR) + "/src/testing/registry_proxy.py",
                                "--port",           std::to_string(port_),
                                "--second-port",    std::to_string(second),
                                "--upstream",       upstream,
                                "--log",            log_.string()};
  if (options.referrers) argv.push_back("--referrers");
  if (options.token) argv.push_back("--token");
  if (!options.fault.empty()) argv.insert(argv.end(), {"--fault", options.fault});
  pid_ = spawn(argv, dir / "proxy.out");
  wait_for_port(port_, pid_, "registry_proxy.py", dir / "proxy.out");
  wait_for_port(second, pid_, "registry_proxy.py", dir / "proxy.out");
}

RegistryProxy::~RegistryProxy() { stop(pid_); }

std::string RegistryProxy::host() const { return fmt::format("127.0.0.1:{}", port_); }

std::string RegistryProxy::ref(const std::string& repo_tag) const { return "docker://" + host() + "/" + repo_tag; }

std::vector<std::string> RegistryProxy::requests() const {
  std::error_code ec;
  if (!fs::exists(log_, ec)) return {};
  return lines_of(read_file_bytes(log_));
}

}  // namespace sheaf::testing
