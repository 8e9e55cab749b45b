#include "sign/gpg.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "base/fs.hpp"
#include "base/process.hpp"
#include "base/text.hpp"

namespace sheaf::sign {

namespace fs = std::filesystem;

namespace {

// A private directory under $TMPDIR (or /tmp), removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sheaf-gpg-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) fail_errno(errno, "cannot make a directory for gpg in " + pattern);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  fs::path write(const std::string& name, std::string_view bytes) const {
    fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) fail("cannot write {}", quote(file.string()));
    return file;
  }
  std::optional<std::string> read(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<std::string> status_lines(std::string_view out, std::string_view keyword) {
  std::vector<std::string> found;
  const std::string prefix = fmt::format("[GNUPG:] {}", keyword);
  for (std::string_view line : split_lines(out)) {
    if (line == prefix || line.starts_with(prefix + " ")) found.emplace_back(line.substr(std::min(line.size(), prefix.size() + 1)));
  }
  return found;
}

std::string first_word(const std::string& text) { return text.substr(0, text.find(' ')); }

std::string describe_failure(std::string_view status) {
  auto first = [&](std::string_view keyword) -> std::optional<std::string> {
    auto lines = status_lines(status, keyword);
    if (lines.empty()) return std::nullopt;
    return lines.front();
  };
  if (first("BADSIG")) return "the signature is BAD: the payload or the signature was changed after signing";
  if (auto key = first("NO_PUBKEY")) return fmt::format("it is signed by key {}, which is not one of the trusted keys", first_word(*key));
  if (auto key = first("EXPKEYSIG")) return fmt::format("it is signed by key {}, which has expired", first_word(*key));
  if (auto key = first("REVKEYSIG")) return fmt::format("it is signed by key {}, which was revoked", first_word(*key));
  if (first("EXPSIG")) return "the signature has expired";
  if (auto err = first("ERRSIG")) return fmt::format("gpgv could not check it (ERRSIG {})", *err);
  if (first("NODATA") || status_lines(status, "NEWSIG").empty()) return "it is not an OpenPGP signed message";
  return "gpgv could not verify it";
}

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string binary_keyring(std::string_view bytes, std::string_view where) {
  constexpr std::string_view kBegin = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
  constexpr std::string_view kEnd = "-----END PGP PUBLIC KEY BLOCK-----";
  if (bytes.find(kBegin) == std::string_view::npos) return std::string(bytes);
  std::string out;
  std::size_t at = 0;
  while ((at = bytes.find(kBegin, at)) != std::string_view::npos) {
    std::size_t end = bytes.find(kEnd, at);
    if (end == std::string_view::npos) throw ParseError(std::string(where), "an armored key block has no END line");
    // Armor headers ("Comment: ...") end at the first empty line.
    std::string_view block = bytes.substr(at + kBegin.size(), end - at - kBegin.size());
    std::size_t body = block.find("\n\n");
    std::size_t body_crlf = block.find("\r\n\r\n");
    if (body_crlf != std::string_view::npos && (body == std::string_view::npos || body_crlf < body)) body = body_crlf + 2;
    block = body == std::string_view::npos ? block : block.substr(body + 2);
    std::string base64;
    for (std::string_view line : split_lines(block)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty() || line.front() == '=') continue;  // the CRC-24 line
      base64 += line;
    }
    auto decoded = base64_decode(base64);
    if (!decoded) throw ParseError(std::string(where), "an armored key block is not valid base64");
    out += *decoded;
    at = end + kEnd.size();
  }
  return out;
}

Verification verify_signed_message(std::string_view signature, std::string_view keyring) {
  ScratchDir dir;
  fs::path keys = dir.write("keyring.gpg", keyring);
  fs::path message = dir.write("signature", signature);
  fs::path out = dir.path() / "payload";
  auto result = run_capture({"gpgv", "--status-fd", "1", "--keyring", keys.string(), "--output", out.string(),
                             message.string()},
                            {.discard_stderr = true});
  if (!result) fail("cannot verify signatures: gpgv is not installed (apt-get install gpgv)");
  Verification v;
  const std::string& status = result->out;
  auto valid = status_lines(status, "VALIDSIG");
  std::size_t signatures = status_lines(status, "NEWSIG").size();
  if (result->exit_code != 0 || valid.empty() || status_lines(status, "GOODSIG").empty()) {
    v.problem = describe_failure(status);
    return v;
  }
  if (signatures != 1 || valid.size() != 1) {
    v.problem = fmt::format("it holds {} signatures; a simple signature holds exactly one", signatures);
    return v;
  }
  // VALIDSIG <fpr> <date> <timestamp> <expires> <version> <reserved> <algo> <hash> <class> <primary fpr>
  std::vector<std::string> fields = split_whitespace(valid.front());
  auto payload = dir.read("payload");
  if (fields.size() < 10 || !payload) {
    v.problem = "gpgv gave no signer or no payload";
    return v;
  }
  v.verified = VerifiedSignature{fields.front(), fields.back(), std::move(*payload)};
  return v;
}

std::string sign_with_gpg(std::string_view payload, std::string_view key_given) {
  std::string key(key_given);
  if (key.starts_with("0x") || key.starts_with("0X")) key = key.substr(2);
  if (!is_hex(key) || (key.size() != 16 && key.size() != 40 && key.size() != 64)) {
    fail_usage("--sign-by takes a key's fingerprint (40 or 64 hex digits) or key id (16), not {}", quote(std::string(key_given)));
  }
  key = ascii_lower(key);
  ScratchDir dir;
  fs::path input = dir.write("payload", payload);
  fs::path output = dir.path() / "signature";
  // Uncompressed: the payload is a few hundred bytes, and a reader can see it.
  auto signed_run = run_capture(
      {"gpg", "--sign", "--compress-algo", "none", "--local-user", key, "--output", output.string(), input.string()});
  if (!signed_run) fail("cannot sign: gpg is not installed (apt-get install gnupg)");
  auto signature = dir.read("signature");
  if (signed_run->exit_code != 0 || !signature) {
    fail("gpg could not sign with the key {} (is its secret key in your keyring? gpg --list-secret-keys {})", key, key);
  }
  auto exported = run_capture({"gpg", "--export", key}, {.discard_stderr = true});
  if (!exported || exported->exit_code != 0 || exported->out.empty()) {
    fail("gpg signed with {}, but does not export its public key (gpg --export {})", key, key);
  }
  Verification check = verify_signed_message(*signature, exported->out);
  if (!check.verified) fail("the signature gpg made with {} does not verify: {}", key, check.problem);
  std::string signer = ascii_lower(check.verified->fingerprint), primary = ascii_lower(check.verified->primary_fingerprint);
  if (!signer.ends_with(key) && !primary.ends_with(key)) {
    fail("gpg signed with the key {}, not {}", check.verified->fingerprint, key);
  }
  if (check.verified->payload != payload) fail("the signature gpg made with {} does not hold the payload given", key);
  return *signature;
}

}  // namespace sheaf::sign
