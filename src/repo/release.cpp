#include "repo/release.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/process.hpp"
#include "base/text.hpp"
#include "deb/control.hpp"

namespace sheaf::repo {

namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// What gpgv's --status-fd lines say went wrong, in words.
std::string describe_gpgv_failure(std::string_view status, const std::filesystem::path& keyring) {
  auto has = [&](std::string_view token) {
    return status.find(fmt::format("[GNUPG:] {}", token)) != std::string_view::npos;
  };
  auto key_after = [&](std::string_view token) -> std::string {
    auto at = status.find(fmt::format("[GNUPG:] {} ", token));
    if (at == std::string_view::npos) return "?";
    auto start = at + 10 + token.size();
    auto end = status.find_first_of(" \n", start);
    return std::string(status.substr(start, end - start));
  };
  if (has("BADSIG")) return "its signature is BAD: the file was changed after it was signed";
  if (has("NO_PUBKEY")) {
    return fmt::format("it is signed by key {}, which is not in the keyring {}", key_after("NO_PUBKEY"),
                       quote(keyring.string()));
  }
  if (has("EXPKEYSIG")) return fmt::format("it is signed by key {}, which has expired", key_after("EXPKEYSIG"));
  if (has("REVKEYSIG")) return fmt::format("it is signed by key {}, which was revoked", key_after("REVKEYSIG"));
  if (has("EXPSIG")) return "its signature has expired";
  if (has("NODATA") || !has("NEWSIG")) return "it is not signed";
  return "gpgv could not verify its signature";
}

void check_keyring(const std::filesystem::path& keyring, std::string_view shown) {
  std::ifstream in(keyring, std::ios::binary);
  if (!in)
    fail("cannot verify {}: cannot read the keyring {}: {}", shown, quote(keyring.string()), std::strerror(errno));
  char head[11] = {};
  in.read(head, 10);
  if (std::string_view(head, static_cast<std::size_t>(in.gcount())).starts_with("-----BEGIN")) {
    fail("cannot verify {}: the keyring {} is ASCII-armored; gpgv needs a binary keyring (gpg --dearmor)", shown,
         quote(keyring.string()));
  }
}

// Runs gpgv; returns its status lines when the signature is good, throws otherwise.
std::string run_gpgv(std::vector<std::string> args, const std::filesystem::path& keyring, std::string_view shown) {
  check_keyring(keyring, shown);
  std::vector<std::string> argv{"gpgv", "--status-fd", "1", "--keyring", std::filesystem::absolute(keyring).string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_capture(argv, {.discard_stderr = true});
  if (!result) fail("cannot verify {}: gpgv is not installed (apt-get install gpgv)", shown);
  bool good = result->exit_code == 0 && result->out.find("[GNUPG:] GOODSIG") != std::string::npos &&
              result->out.find("[GNUPG:] VALIDSIG") != std::string::npos;
  if (!good) fail("{} failed verification: {}", shown, describe_gpgv_failure(result->out, keyring));
  return result->out;
}

}  // namespace

std::optional<std::int64_t> parse_release_date(std::string_view text) {
  return parse_rfc2822_date(text);
}

Release Release::parse(std::string_view text, std::string_view where) {
  auto control = deb::Control::parse(text, where);
  Release release;
  release.suite_ = std::string(control.value("Suite"));
  release.codename_ = std::string(control.value("Codename"));
  if (release.suite_.empty() && release.codename_.empty()) {
    throw ParseError(std::string(where), "names neither a Suite nor a Codename");
  }
  auto date_field = [&](std::string_view name, std::optional<std::int64_t>& out) {
    if (const auto* field = control.find(name)) {
      out = parse_release_date(field->value);
      if (!out) {
        throw ParseError(
            fmt::format("{} line {}", where, field->line),
            fmt::format("{} {} is not a date such as 'Sat, 10 Jun 2023 08:53:33 UTC'", name, quote(field->value)));
      }
    }
  };
  date_field("Date", release.date_);
  date_field("Valid-Until", release.valid_until_);
  release.components_ = split_whitespace(control.value("Components"));
  release.architectures_ = split_whitespace(control.value("Architectures"));
  release.acquire_by_hash_ = control.value("Acquire-By-Hash") == "yes";
  if (const auto* field = control.find("SHA256")) {
    unsigned line = field->line;
    for (std::string_view row : split_lines(field->value)) {
      auto cols = split_whitespace(row);
      if (cols.empty()) continue;
      ++line;
      ReleaseEntry entry;
      auto digest = cols.size() == 3 ? Digest::parse_hex(cols[0]) : std::nullopt;
      if (!digest || !parse_number(cols[1], entry.size)) {
        throw ParseError(fmt::format("{} line {}", where, line), "a SHA256 line must be '<sha256> <size> <path>'");
      }
      entry.sha256 = *digest;
      release.sha256_[cols[2]] = entry;
    }
  }
  if (release.sha256_.empty()) throw ParseError(std::string(where), "lists no SHA256 checksums; sheaf needs them");
  return release;
}

const ReleaseEntry* Release::find(std::string_view path) const {
  auto it = sha256_.find(path);
  return it == sha256_.end() ? nullptr : &it->second;
}

std::vector<std::string> Release::sha256_hexes() const {
  std::vector<std::string> out;
  for (const auto& [path, entry] : sha256_) out.push_back(entry.sha256.hex());
  return out;
}

std::string verify_clearsigned(const std::filesystem::path& signed_file, const std::filesystem::path& keyring,
                               std::string_view shown) {
  // gpgv writes the verified text to --output; it goes next to the input.
  std::filesystem::path out = signed_file;
  out += ".verified";
  std::error_code ec;
  std::filesystem::remove(out, ec);
  run_gpgv({"--output", out.string(), signed_file.string()}, keyring, shown);
  std::ifstream in(out, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::filesystem::remove(out, ec);
  if (!in) fail("cannot read what gpgv verified of {}", shown);
  return text.str();
}

void verify_detached(const std::filesystem::path& signature, const std::filesystem::path& data_file,
                     const std::filesystem::path& keyring, std::string_view shown) {
  run_gpgv({signature.string(), data_file.string()}, keyring, shown);
}

std::string strip_clearsign(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN PGP SIGNED MESSAGE-----";
  if (!text.starts_with(kBegin)) return std::string(text);
  auto body = text.find("\n\n");
  auto end = text.find("\n-----BEGIN PGP SIGNATURE-----");
  if (body == std::string_view::npos || end == std::string_view::npos || end < body) return std::string(text);
  std::string out;
  std::size_t start = body + 2;
  // Undo dash-escaping ("- -----") line by line.
  while (start <= end) {
    std::size_t line_end = text.find('\n', start);
    if (line_end == std::string_view::npos || line_end > end) line_end = end;
    std::string_view line = text.substr(start, line_end - start);
    if (line.starts_with("- ")) line.remove_prefix(2);
    out += line;
    out += '\n';
    start = line_end + 1;
  }
  return out;
}

}  // namespace sheaf::repo
