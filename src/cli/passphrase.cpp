#include "cli/passphrase.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "base/error.hpp"

namespace sheaf::cli {

void add_passphrase_flag(CLI::App* cmd, std::string& file) {
  cmd->add_option("--passphrase-file", file,
                  "Read the private key's passphrase from the first line of FILE, instead of $SHEAF_PASSPHRASE or "
                  "a prompt on the terminal")
      ->type_name("FILE");
}

std::optional<std::string> given_passphrase(const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail("cannot read the passphrase file {}: {}", quote(file), std::strerror(errno));
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (const char* env = std::getenv(kPassphraseEnv)) return std::string(env);
  return std::nullopt;
}

namespace {

std::optional<std::string> read_hidden(int fd, const std::string& prompt) {
  (void)!::write(fd, prompt.data(), prompt.size());
  termios saved{};
  bool restore = ::tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c = 0;
  bool got = false;
  while (::read(fd, &c, 1) == 1) {
    got = true;
    if (c == '\n') break;
    line += c;
  }
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &saved);
  (void)!::write(fd, "\n", 1);
  if (!got) return std::nullopt;
  return line;
}

}  // namespace

std::optional<std::string> ask_passphrase(const std::string& prompt, bool confirm) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> first = read_hidden(fd, prompt);
  std::optional<std::string> second = first && confirm ? read_hidden(fd, "Enter it again: ") : first;
  ::close(fd);
  if (first && second && *first != *second) fail("the two passphrases differ; nothing was written");
  return first;
}

pipeline::Passphrase passphrase_for_reading(const std::string& file, const std::string& key) {
  pipeline::Passphrase out;
  out.given = given_passphrase(file);
  out.ask = [key] { return ask_passphrase(fmt::format("Passphrase for {}: ", key)); };
  return out;
}

}  // namespace sheaf::cli
