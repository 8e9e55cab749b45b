#include "testing/apt_repo.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "testing/command.hpp"
#include "testing/deb_fixture.hpp"
#include "testing/temp_dir.hpp"

extern char** environ;

namespace sheaf::testing {

namespace {

void must_run(const std::vector<std::string>& argv, const CommandOptions& options = {}) {
  auto result = run_command(argv, options);
  if (result.exit_code != 0) {
    throw std::runtime_error(fmt::format("{} failed ({}): {}{}", argv[0], result.exit_code, result.out, result.err));
  }
}

std::string run_out(const std::vector<std::string>& argv, const CommandOptions& options = {}) {
  auto result = run_command(argv, options);
  if (result.exit_code != 0) {
    throw std::runtime_error(fmt::format("{} failed ({}): {}", argv[0], result.exit_code, result.err));
  }
  return result.out;
}

}  // namespace

GpgKey::GpgKey(const std::filesystem::path& dir, std::string_view name)
    : home_(dir / "gnupg"), keyring_(dir / "keyring.gpg") {
  make_dirs(home_, 0700);
  CommandOptions env{.env = {{"GNUPGHOME", home_.string()}}};
  must_run({"/usr/bin/gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
            std::string(name) + " <test@example.invalid>", "ed25519", "sign", "never"},
           env);
  write_file(keyring_, run_out({"/usr/bin/gpg", "--batch", "--export"}, env));
}

std::string GpgKey::fingerprint() const {
  std::string listing = run_out({"/usr/bin/gpg", "--batch", "--with-colons", "--list-keys"},
                                {.env = {{"GNUPGHOME", home_.string()}}});
  auto at = listing.find("\nfpr:");
  if (at == std::string::npos) throw std::runtime_error("gpg lists no fingerprint");
  std::string line = listing.substr(at + 1, listing.find('\n', at + 1) - at - 1);
  // fpr:::::::::FINGERPRINT:
  std::size_t start = line.rfind(':', line.size() - 2) + 1;
  return line.substr(start, line.size() - 1 - start);
}

void GpgKey::clearsign(const std::filesystem::path& in, const std::filesystem::path& out) const {
  must_run({"/usr/bin/gpg", "--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
            "--clearsign", "--output", out.string(), in.string()},
           {.env = {{"GNUPGHOME", home_.string()}}});
}

void GpgKey::detach_sign(const std::filesystem::path& in, const std::filesystem::path& out) const {
  must_run({"/usr/bin/gpg", "--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
            "--detach-sign", "--output", out.string(), in.string()},
           {.env = {{"GNUPGHOME", home_.string()}}});
}

AptRepo::AptRepo(std::filesystem::path root) : root_(std::move(root)) {
  make_dirs(root_);
}

std::filesystem::path AptRepo::add(std::string_view suite, std::string_view name, std::string_view version,
                                   std::string_view fields, std::string_view arch, std::string_view component) {
  return add_in(suite, name, version, fields, nullptr, arch, component);
}

std::filesystem::path AptRepo::add_with(std::string_view suite, std::string_view name, std::string_view version,
                                        std::string_view fields, const std::function<void(DebTree&)>& fill,
                                        std::string_view arch) {
  return add_in(suite, name, version, fields, fill, arch, "main");
}

std::filesystem::path AptRepo::add_in(std::string_view suite, std::string_view name, std::string_view version,
                                      std::string_view fields, const std::function<void(DebTree&)>& fill,
                                      std::string_view arch, std::string_view component) {
  auto staging = root_ / ".staging" / std::to_string(counter_++);
  DebTree tree(staging);
  tree.control(name, version, arch, fields);
  tree.file(fmt::format("usr/share/doc/{}/README", name), fmt::format("{} {}\n", name, version));
  if (fill) fill(tree);
  auto pool = root_ / "pool" / suite / component;
  make_dirs(pool);
  std::string file_version(version);
  if (auto colon = file_version.find(':'); colon != std::string::npos) file_version = file_version.substr(colon + 1);
  auto deb = tree.build(pool / fmt::format("{}_{}_{}.deb", name, file_version, arch), "gzip");
  std::filesystem::remove_all(staging);
  return deb;
}

void AptRepo::publish(std::string_view suite, const PublishOptions& options) {
  auto dists = root_ / "dists" / suite;
  std::filesystem::remove_all(dists);
  const bool several = !options.arches.empty();
  const std::vector<std::string> arches = several ? options.arches : std::vector<std::string>{options.arch};
  for (const auto& component : options.components) {
    for (const auto& arch : arches) {
      auto dir = dists / component / fmt::format("binary-{}", arch);
      make_dirs(dir);
      auto pool = fmt::format("pool/{}/{}", suite, component);
      make_dirs(root_ / pool);
      // apt-ftparchive writes Filename relative to the directory it runs in;
      // -a keeps NAME_VERSION_ARCH.deb and NAME_VERSION_all.deb.
      std::string packages = run_out({"/bin/sh", "-c",
                                      fmt::format("cd '{}' && apt-ftparchive {} packages '{}'", root_.string(),
                                                  several ? "-a " + arch : std::string(), pool)});
      write_file(dir / "Packages", packages);
      for (const auto& method : options.compressions) {
        if (method == "xz") must_run({"/usr/bin/xz", "-k", "-f", (dir / "Packages").string()});
        if (method == "gz") must_run({"/bin/gzip", "-k", "-f", "-n", (dir / "Packages").string()});
      }
    }
  }
  std::string release = run_out(
      {"/usr/bin/apt-ftparchive", "-o", fmt::format("APT::FTPArchive::Release::Suite={}", suite), "-o",
       fmt::format("APT::FTPArchive::Release::Codename={}", suite), "-o",
       fmt::format("APT::FTPArchive::Release::Components={}", fmt::join(options.components, " ")), "-o",
       fmt::format("APT::FTPArchive::Release::Architectures={}", fmt::join(arches, " ")), "release", dists.string()});
  if (options.valid_until) {
    auto date = release.find("\nDate:");
    auto line_end = release.find('\n', date + 1);
    release.insert(line_end + 1, fmt::format("Valid-Until: {}\n", *options.valid_until));
  }
  write_file(dists / "Release", release);
  if (options.signature == Signature::none) return;
  if (!options.key) throw std::runtime_error("publish: a signed repository needs a key");
  if (options.signature == Signature::inrelease) {
    options.key->clearsign(dists / "Release", dists / "InRelease");
  } else {
    options.key->detach_sign(dists / "Release", dists / "Release.gpg");
  }
}

HttpServer::HttpServer(const std::filesystem::path& root, const HttpServerOptions& options) {
  log_ = root.parent_path() / fmt::format("http-{}.log", reinterpret_cast<std::uintptr_t>(this));
  write_file(log_, "");
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::string script = std::string(SHEAF_SOURCE_DIR) + "/src/testing/http_server.py";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 2);
    std::string rate = std::to_string(options.rate);
    ::execl("/usr/bin/python3", "python3", script.c_str(), root.c_str(), log_.c_str(), "--rate", rate.c_str(),
            nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  port_ = std::atoi(line.c_str());
  if (port_ <= 0) throw std::runtime_error("http_server.py did not start");
}

HttpServer::~HttpServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove(log_, ec);
  std::filesystem::remove(log_.string() + ".jsonl", ec);
}

std::string HttpServer::url() const {
  return fmt::format("http://127.0.0.1:{}", port_);
}

std::vector<std::string> HttpServer::requests() const {
  return lines_of(read_file_bytes(log_));
}

std::size_t HttpServer::downloads_of(std::string_view suffix) const {
  std::size_t n = 0;
  for (const auto& line : requests()) {
    // "GET 200 /path range"
    auto first = line.find(' ');
    auto second = line.find(' ', first + 1);
    auto third = line.find(' ', second + 1);
    std::string status = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1, third - second - 1);
    if ((status == "200" || status == "206" || status == "dropped") && std::string_view(path).ends_with(suffix)) ++n;
  }
  return n;
}

std::vector<HttpTransfer> HttpServer::transfers() const {
  std::vector<HttpTransfer> out;
  std::filesystem::path path = log_.string() + ".jsonl";
  if (!std::filesystem::exists(path)) return out;
  for (const auto& line : lines_of(read_file_bytes(path))) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    out.push_back({j.at("method"), j.at("status"), j.at("path"), j.at("range"), j.at("start"), j.at("end"),
                   j.at("bytes")});
  }
  return out;
}

}  // namespace sheaf::testing
