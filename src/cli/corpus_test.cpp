// Debian's packages working in sheaf images without their maintainer
// scripts (issue 17's acceptance): popular bookworm packages, each built
// from the host's mirror with nothing in the spec but `include`, LANG=C.UTF-8
// and the packages the build's own `suggestion:` lines name, and checked by
// the first real command its users run. Labelled "mirror"; skips itself when
// the mirror or runc cannot be reached.
//
// The store is kept outside the clone and shared between runs
// ($SHEAF_TEST_CACHE, else $XDG_CACHE_HOME/sheaf-test, else
// ~/.cache/sheaf-test): warm, a case locks (the indexes are cached too),
// builds from the store and runs. Cases are independent processes (ctest
// runs them in parallel) on one store, as sheaf allows.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "testing/command.hpp"
#include "testing/oci_tools.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::contains;
using testing::run_command;
using testing::run_sheaf;

fs::path cache_dir() {
  if (const char* dir = std::getenv("SHEAF_TEST_CACHE"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "sheaf-test";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/root") / ".cache" / "sheaf-test";
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Sends `request` to 127.0.0.1:PORT and returns what comes back before the
// peer closes or `timeout` passes; "" when nothing listens.
std::string talk(int port, const std::string& request, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::write(fd, request.data(), request.size());
  std::string reply;
  char buffer[4096];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) reply.assign(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return reply;
}

// What a case asks of sheaf build: the packages it ended with, and the
// build's output.
struct Built {
  std::string image;
  std::vector<std::string> include;
  std::string log;
};

class Corpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = testing::mirror_test_skip_reason({"runc"});
    if (skip_.empty() && ::geteuid() != 0) skip_ = "sheaf run needs root";
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }

  static std::string store() { return (cache_dir() / "corpus-store").string(); }

  // Builds an image of `include` with LANG=C.UTF-8, adding what the build's
  // `suggestion:` lines name until it names nothing new (or, without
  // `follow_suggestions`, once).
  Built build(const std::string& name, std::vector<std::string> include, bool follow_suggestions = true,
              const std::string& extra = "", const std::vector<std::string>& build_args = {}) {
    fs::path dir = work_.path() / name;
    fs::create_directories(dir);
    Built built;
    built.image = "sheaf-corpus/" + name;
    for (int round = 0; round < 4; ++round) {
      std::string list;
      for (const auto& p : include) list += (list.empty() ? "\"" : ", \"") + p + "\"";
      testing::write_file(dir / "sheaf.toml",
                          fmt::format("[image]\nname = \"{}\"\nenv = {{ LANG = \"C.UTF-8\" }}\n\n"
                                      "[source.debian]\nsuites = [\"bookworm\", \"bookworm-updates\", "
                                      "\"bookworm-security\"]\n\n[packages]\ninclude = [{}]\n{}",
                                      built.image, list, extra));
      std::vector<std::string> args{"build", "-f", (dir / "sheaf.toml").string()};
      args.insert(args.end(), build_args.begin(), build_args.end());
      CommandResult r = run_sheaf(store(), args);
      built.log += r.err;
      if (r.exit_code != 0) {
        ADD_FAILURE() << "sheaf build of " << name << " [" << list << "] failed:\n" << r.err;
        return built;
      }
      std::vector<std::string> added;
      for (const auto& line : testing::lines_of(r.err)) {
        if (!line.starts_with("suggestion: include ")) continue;
        std::string package = line.substr(20, line.find(' ', 20) - 20);
        EXPECT_EQ(line.find(" (", 20), 20 + package.size()) << "not the documented form: " << line;
        if (std::find(include.begin(), include.end(), package) == include.end()) added.push_back(package);
      }
      if (added.empty() || !follow_suggestions) break;
      include.insert(include.end(), added.begin(), added.end());
    }
    built.include = include;
    return built;
  }

  // sheaf run of the image, the entrypoint set to argv[0].
  CommandResult run(const Built& built, const std::vector<std::string>& argv, std::vector<std::string> options = {}) {
    std::vector<std::string> args{"run", "--entrypoint", argv.front()};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(built.image);
    args.emplace_back("--");
    args.insert(args.end(), argv.begin() + 1, argv.end());
    return run_sheaf(store(), args);
  }

  // The check of one case: the command succeeds, says what it should, and no
  // locale is missing.
  void expect_works(const Built& built, const std::vector<std::string>& argv, const std::string& expected,
                    std::vector<std::string> options = {}) {
    CommandResult r = run(built, argv, std::move(options));
    std::string context = fmt::format("{} with [{}]:\n--- stdout\n{}\n--- stderr\n{}\n--- build\n{}",
                                      fmt::join(argv, " "), fmt::join(built.include, ", "), r.out, r.err, built.log);
    EXPECT_EQ(r.exit_code, 0) << context;
    EXPECT_TRUE(contains(r.out + r.err, expected)) << "expected " << expected << " from " << context;
    EXPECT_FALSE(contains(r.err, "Setting locale failed") || contains(r.err, "cannot change locale")) << context;
  }

  testing::TempDir work_;
  static std::string skip_;
};
std::string Corpus::skip_;

// --- language runtimes ---------------------------------------------------------

TEST_F(Corpus, Python3) {
  auto built = build("python3", {"python3"});
  expect_works(built,
               {"python3", "-c",
                "import json, sqlite3, ssl, locale; "
                "print(json.dumps({'sqlite': sqlite3.sqlite_version, 'enc': locale.getpreferredencoding()}))"},
               "\"enc\": \"UTF-8\"");
}

// numpy loads libblas.so.3 and liblapack.so.3, which exist only as the
// library alternatives libblas3's and liblapack3's postinsts register.
TEST_F(Corpus, Numpy) {
  auto built = build("numpy", {"python3-numpy"});
  expect_works(built, {"python3", "-c", "import numpy; print('det', round(numpy.linalg.det(2 * numpy.eye(3))))"},
               "det 8");
}

TEST_F(Corpus, Perl) {
  auto built = build("perl", {"perl"});
  expect_works(built, {"perl", "-MPOSIX", "-e", "print strftime('%Y-%m-%d', gmtime(86400 * 365)), qq(\\n)"},
               "1971-01-01");
}

TEST_F(Corpus, Java) {
  auto built = build("java", {"openjdk-17-jre-headless"});
  expect_works(built, {"keytool", "-list", "-cacerts", "-storepass", "changeit"}, "trustedCertEntry");
  expect_works(built, {"java", "-XshowSettings:properties", "-version"}, "java.home = /usr/lib/jvm/java-17-openjdk");
}

TEST_F(Corpus, Nodejs) {
  auto built = build("nodejs", {"nodejs"});
  expect_works(built, {"node", "-e", "console.log(require('crypto').createHash('sha256').update('sheaf').digest('hex'))"},
               "fc7acb029f3bbf53");
}

TEST_F(Corpus, Ruby) {
  auto built = build("ruby", {"ruby"});
  expect_works(built, {"ruby", "-rjson", "-e", "puts JSON.generate({'a' => [1, 2]})"}, "{\"a\":[1,2]}");
}

TEST_F(Corpus, Php) {
  auto built = build("php", {"php-cli"});
  expect_works(built, {"php", "-r", "echo json_encode(['a' => 1]), PHP_EOL;"}, "{\"a\":1}");
}

// --- databases and caches -------------------------------------------------------

// initdb, as the postgres account postgresql-common's postinst adds; it runs
// the server in bootstrap and single-user mode, and popen(3)s /bin/sh.
TEST_F(Corpus, Postgresql) {
  auto built = build("postgresql", {"postgresql"});
  expect_works(built, {"/usr/lib/postgresql/15/bin/initdb", "-D", "/tmp/db"}, "Success.", {"--user", "postgres"});
}

TEST_F(Corpus, Mariadb) {
  auto built = build("mariadb", {"mariadb-server"});
  expect_works(built, {"mariadb-install-db", "--user=mysql", "--datadir=/tmp/mysql"},
               "Installing MariaDB/MySQL system tables in '/tmp/mysql' ...\nOK");
}

TEST_F(Corpus, Sqlite3) {
  auto built = build("sqlite3", {"sqlite3"});
  expect_works(built, {"sqlite3", "/tmp/t.db", "create table t(a); insert into t values (21); select a * 2 from t;"},
               "42");
}

// redis-server with Debian's own redis.conf as the redis account, answering
// redis-cli: the log directory and the home the scripts give redis must be
// its.
TEST_F(Corpus, Redis) {
  auto built = build("redis", {"redis-server"});
  int port = free_port();
  auto server = testing::start_sheaf(
      store(), {"run", "--network", "host", "--user", "redis", "--entrypoint", "redis-server", built.image, "--",
                "/etc/redis/redis.conf", "--daemonize", "no", "--port", std::to_string(port), "--bind", "127.0.0.1"});
  CommandResult ping;
  for (int i = 0; i < 100; ++i) {
    ping = run(built, {"redis-cli", "-p", std::to_string(port), "ping"}, {"--network", "host"});
    if (contains(ping.out, "PONG")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(contains(ping.out, "PONG")) << ping.out << ping.err << "\nserver: " << server->err_so_far() << built.log;
  server->kill(SIGTERM);
  auto stopped = server->wait();
  EXPECT_FALSE(contains(stopped.err + stopped.out, "Can't open the log file")) << stopped.err << stopped.out;
}

TEST_F(Corpus, Memcached) {
  auto built = build("memcached", {"memcached"});
  int port = free_port();
  auto server = testing::start_sheaf(store(), {"run", "--network", "host", "--entrypoint", "memcached", built.image,
                                               "--", "-u", "memcache", "-l", "127.0.0.1", "-p", std::to_string(port)});
  std::string reply;
  for (int i = 0; i < 100 && !contains(reply, "VERSION"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reply = talk(port, "version\r\n");
  }
  EXPECT_TRUE(contains(reply, "VERSION 1.6")) << reply << "\nserver: " << server->err_so_far() << built.log;
  server->kill(SIGTERM);
  server->wait();
}

// --- web and proxy servers -----------------------------------------------------

TEST_F(Corpus, Nginx) {
  auto built = build("nginx", {"nginx-light"});
  expect_works(built, {"nginx", "-t"}, "configuration file /etc/nginx/nginx.conf test is successful");
}

TEST_F(Corpus, Apache2) {
  auto built = build("apache2", {"apache2"});
  expect_works(built, {"apache2ctl", "configtest"}, "Syntax OK");
}

TEST_F(Corpus, Haproxy) {
  auto built = build("haproxy", {"haproxy"});
  expect_works(built, {"haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"}, "Configuration file is valid");
}

TEST_F(Corpus, Squid) {
  auto built = build("squid", {"squid"});
  expect_works(built, {"squid", "-k", "parse"}, "Processing Configuration File: /etc/squid/squid.conf");
}

// --- command-line tools --------------------------------------------------------

TEST_F(Corpus, Mawk) {
  auto built = build("mawk", {"mawk"});
  expect_works(built, {"awk", "BEGIN { print 6 * 7 }"}, "42");
}

TEST_F(Corpus, Curl) {
  auto built = build("curl", {"curl"});
  testing::TempDir site;
  testing::write_file(site / "hello.txt", "hello from the host\n");
  int port = free_port();
  testing::BackgroundCommand server({"/usr/bin/python3", "-m", "http.server", std::to_string(port), "--bind",
                                     "127.0.0.1", "--directory", site.path().string()});
  for (int i = 0; i < 50 && talk(port, "GET / HTTP/1.0\r\n\r\n").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  expect_works(built, {"curl", "-fsS", fmt::format("http://127.0.0.1:{}/hello.txt", port)}, "hello from the host",
               {"--network", "host"});
}

TEST_F(Corpus, Git) {
  auto built = build("git", {"git"});
  expect_works(built, {"git", "init", "-b", "main", "/tmp/repository"}, "Initialized empty Git repository");
}

TEST_F(Corpus, Jq) {
  auto built = build("jq", {"jq"});
  expect_works(built, {"jq", "-n", "[1, 2, 3] | add"}, "6");
}

TEST_F(Corpus, Rsync) {
  auto built = build("rsync", {"rsync"});
  expect_works(built, {"rsync", "-a", "--stats", "/etc/", "/tmp/etc-copy/"}, "Number of created files");
}

TEST_F(Corpus, Gnupg) {
  auto built = build("gnupg", {"gnupg"});
  expect_works(built, {"gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test <test@example.invalid>"},
               "revocation certificate stored");
}

TEST_F(Corpus, Openssl) {
  auto built = build("openssl", {"openssl"});
  expect_works(built,
               {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "/tmp/key.pem", "-subj", "/CN=sheaf", "-days", "1", "-text"},
               "Subject: CN = sheaf");
}

// --- the four examples, under sheaf run and podman ----------------------

// Each with nothing but include and LANG=C.UTF-8: no suggestion followed.
TEST_F(Corpus, TheFourExamplesRunUnderSheafAndPodman) {
  for (const char* t : {"skopeo", "podman"}) {
    if (testing::tool(t).empty()) GTEST_SKIP() << t << " is not installed (tools/dev test installs it)";
  }
  struct Example {
    std::string name;
    std::string package;
    std::vector<std::string> argv;
    std::string expected;
  };
  std::vector<Example> examples = {
      {"example-java", "openjdk-17-jre-headless", {"java", "-version"}, "openjdk version \"17"},
      {"example-awk", "mawk", {"awk", "BEGIN { print 6 * 7 }"}, "42"},
      {"example-nginx", "nginx-light", {"nginx", "-t"}, "test is successful"},
      {"example-perl", "perl", {"perl", "-e", "1"}, ""},
  };
  for (const auto& e : examples) {
    SCOPED_TRACE(e.name);
    fs::path layout = work_.path() / (e.name + "-oci");
    auto built = build(e.name, {e.package}, /*follow_suggestions=*/false, "", {"-o", layout.string()});
    CommandResult r = run(built, e.argv);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << built.log;
    EXPECT_TRUE(contains(r.out + r.err, e.expected)) << r.out << r.err;
    if (e.name == "example-perl") {
      EXPECT_EQ(r.err, "") << "perl -e 1 under sheaf run";
    }

    std::string name = "localhost/sheaf-" + e.name + ":latest";
    CommandResult copy = run_command(
        {testing::tool("skopeo"), "copy", "oci:" + layout.string() + ":latest", "containers-storage:" + name});
    ASSERT_EQ(copy.exit_code, 0) << copy.err;
    std::vector<std::string> podman = testing::podman_run(name, {"--network", "none", "--entrypoint", e.argv.front()});
    podman.insert(podman.end(), e.argv.begin() + 1, e.argv.end());
    CommandResult p = run_command(podman);
    EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
    EXPECT_TRUE(contains(p.out + p.err, e.expected)) << p.out << p.err;
    if (e.name == "example-perl") {
      EXPECT_EQ(p.err, "") << "perl -e 1 under podman";
    }
    run_command(testing::podman({"rmi", "-f", name}));
  }
}

// --- Java and TLS -------------------------------------------------------------

// A Java program compiled in an image with the JDK completes a TLS handshake
// with a loopback server whose certificate a test CA signed: the CA reaches
// the image's bundle as a [[files]] entry under
// /usr/local/share/ca-certificates, and Java trusts it only through the JKS
// store sheaf derives from that bundle.
TEST_F(Corpus, JavaTrustsTheBundleThroughItsKeystore) {
  std::string openssl = testing::tool("openssl");
  if (openssl.empty()) GTEST_SKIP() << "openssl is not installed (tools/dev test installs it)";
  testing::TempDir pki;
  auto ok = [&](const std::vector<std::string>& argv) {
    CommandResult r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(argv, " ")) << "\n" << r.err;
  };
  std::string dir = pki.path().string();
  testing::write_file(pki / "san.cnf", "subjectAltName = IP:127.0.0.1\n");
  ok({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
      dir + "/ca.key", "-out", dir + "/ca.crt", "-subj", "/CN=sheaf test CA", "-days", "2"});
  ok({openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir + "/server.key",
      "-out", dir + "/server.csr", "-subj", "/CN=127.0.0.1"});
  ok({openssl, "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
      "-CAcreateserial", "-out", dir + "/server.crt", "-days", "2", "-extfile", dir + "/san.cnf"});
  testing::write_file(pki / "server.py",
                      "import http.server, ssl, sys\n"
                      "server = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)\n"
                      "context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
                      "context.load_cert_chain(sys.argv[2], sys.argv[3])\n"
                      "server.socket = context.wrap_socket(server.socket, server_side=True)\n"
                      "server.serve_forever()\n");
  int port = free_port();
  testing::BackgroundCommand server(
      {"/usr/bin/python3", dir + "/server.py", std::to_string(port), dir + "/server.crt", dir + "/server.key"});
  for (int i = 0; i < 50 && talk(port, "").empty() && !contains(server.err_so_far(), "Error"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  auto built = build("java-tls", {"openjdk-17-jdk-headless"}, true,
                     fmt::format("\n[[files]]\nsrc = \"{}/ca.crt\"\ndest = "
                                 "\"/usr/local/share/ca-certificates/sheaf-test-ca.crt\"\n",
                                 dir));
  testing::TempDir source;
  testing::write_file(source / "Tls.java",
                      "import java.net.URL;\nimport javax.net.ssl.HttpsURLConnection;\n"
                      "public class Tls {\n  public static void main(String[] args) throws Exception {\n"
                      "    HttpsURLConnection c = (HttpsURLConnection) new URL(args[0]).openConnection();\n"
                      "    System.out.println(c.getResponseCode() + \" \" + c.getCipherSuite());\n  }\n}\n");
  std::string volume = source.path().string() + ":/work";
  CommandResult javac = run(built, {"javac", "-d", "/work", "/work/Tls.java"}, {"-v", volume});
  ASSERT_EQ(javac.exit_code, 0) << javac.out << javac.err << built.log;
  expect_works(built, {"java", "-cp", "/work", "Tls", fmt::format("https://127.0.0.1:{}/", port)}, "200 TLS_",
               {"-v", volume, "--network", "host"});
  expect_works(built, {"keytool", "-list", "-cacerts", "-storepass", "changeit", "-alias", "debian:sheaf-test-ca.pem"},
               "trustedCertEntry");
}

}  // namespace
}  // namespace sheaf
