#include "fileset/layer_tar.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"

namespace sheaf::fileset {

namespace {

constexpr std::size_t kBlock = 512;
constexpr std::uint64_t kMaxOctal7 = 07777777;          // uid, gid, mode fields
constexpr std::uint64_t kMaxOctal11 = 077777777777ULL;  // size field

using Header = std::array<char, kBlock>;

// Writes `value` as zero-padded octal into `width - 1` digits plus a NUL.
void put_octal(Header& h, std::size_t offset, std::size_t width, std::uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(h.data() + offset, digits.data(), width - 1);
  h[offset + width - 1] = '\0';
}

void put_string(Header& h, std::size_t offset, std::size_t width, std::string_view text) {
  if (text.empty()) return;  // an empty view may have no data pointer
  std::memcpy(h.data() + offset, text.data(), std::min(width, text.size()));
}

// One PAX record: "LEN KEY=VALUE\n", where LEN counts the whole record.
std::string pax_record(std::string_view key, std::string_view value) {
  std::size_t body = 1 + key.size() + 1 + value.size() + 1;  // ' ' key '=' value '\n'
  std::size_t length = body + 1;
  while (std::to_string(length).size() + body != length) length = std::to_string(length).size() + body;
  return fmt::format("{} {}={}\n", length, key, value);
}

// Splits `name` into ustar's prefix (155) and name (100) at a '/', if it can.
bool split_ustar_name(std::string_view name, std::string_view& prefix, std::string_view& rest) {
  if (name.size() <= 100) {
    prefix = {};
    rest = name;
    return true;
  }
  // The name part must be non-empty and at most 100; the prefix at most 155.
  std::size_t from = name.size() > 101 ? name.size() - 101 : 0;
  for (std::size_t slash = name.find('/', from); slash != std::string_view::npos; slash = name.find('/', slash + 1)) {
    if (slash > 155) break;
    std::string_view tail = name.substr(slash + 1);
    if (!tail.empty() && tail.size() <= 100) {
      prefix = name.substr(0, slash);
      rest = tail;
      return true;
    }
  }
  return false;
}

class TarWriter {
 public:
  explicit TarWriter(TarSink& out) : out_(out) {}

  void entry(const Entry& e, char typeflag, std::string_view name, std::uint64_t size) {
    std::vector<std::pair<std::string, std::string>> pax;
    std::string_view prefix, rest;
    if (!split_ustar_name(name, prefix, rest)) {
      pax.emplace_back("path", std::string(name));
      rest = name.substr(0, 100);  // a readable stand-in; PAX readers use "path"
      prefix = {};
    }
    std::string_view link = (typeflag == '1' || typeflag == '2') ? std::string_view(e.target) : std::string_view();
    if (link.size() > 100) pax.emplace_back("linkpath", std::string(link));
    if (size > kMaxOctal11) pax.emplace_back("size", std::to_string(size));
    if (e.uid > kMaxOctal7) pax.emplace_back("uid", std::to_string(e.uid));
    if (e.gid > kMaxOctal7) pax.emplace_back("gid", std::to_string(e.gid));
    for (const auto& x : e.xattrs) pax.emplace_back("SCHILY.xattr." + x.name, x.value);
    // PAX records in a fixed order: path, linkpath, size, uid, gid, then xattrs by name.
    if (!pax.empty()) write_pax(name, pax);

    Header h{};
    put_string(h, 0, 100, rest);
    put_octal(h, 100, 8, e.mode & 07777);
    put_octal(h, 108, 8, std::min<std::uint64_t>(e.uid, kMaxOctal7));
    put_octal(h, 116, 8, std::min<std::uint64_t>(e.gid, kMaxOctal7));
    put_octal(h, 124, 12, size > kMaxOctal11 ? 0 : size);
    put_octal(h, 136, 12, static_cast<std::uint64_t>(kLayerMtime));
    h[156] = typeflag;
    put_string(h, 157, 100, link.substr(0, std::min<std::size_t>(link.size(), 100)));
    write_header(h, prefix);
  }

  void content(ByteSource& source, std::uint64_t size, std::string_view path) {
    std::vector<char> buffer(1 << 16);
    std::uint64_t left = size;
    while (left > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
      std::size_t got = source.read(std::span<char>(buffer.data(), want));
      if (got == 0) fail("the content of {} ended after {} of its {} bytes", quote(path), size - left, size);
      out_.write(std::string_view(buffer.data(), got));
      left -= got;
    }
    char extra;
    if (source.read(std::span<char>(&extra, 1)) != 0)
      fail("the content of {} is longer than its {} bytes", quote(path), size);
    pad(size);
  }

  void finish() { out_.write(std::string(2 * kBlock, '\0')); }

 private:
  void write_pax(std::string_view name, const std::vector<std::pair<std::string, std::string>>& records) {
    std::string body;
    for (const auto& [key, value] : records) body += pax_record(key, value);
    // The extended header's own name, as Go's archive/tar forms it: DIR/PaxHeaders.0/BASE.
    std::string_view trimmed = name.ends_with('/') ? name.substr(0, name.size() - 1) : name;
    auto slash = trimmed.rfind('/');
    std::string pax_name = slash == std::string_view::npos
                               ? fmt::format("PaxHeaders.0/{}", trimmed)
                               : fmt::format("{}/PaxHeaders.0/{}", trimmed.substr(0, slash), trimmed.substr(slash + 1));
    if (pax_name.size() > 100) pax_name.resize(100);
    Header h{};
    put_string(h, 0, 100, pax_name);
    put_octal(h, 100, 8, 0644);
    put_octal(h, 108, 8, 0);
    put_octal(h, 116, 8, 0);
    put_octal(h, 124, 12, body.size());
    put_octal(h, 136, 12, static_cast<std::uint64_t>(kLayerMtime));
    h[156] = 'x';
    write_header(h, {});
    out_.write(body);
    pad(body.size());
  }

  void write_header(Header& h, std::string_view prefix) {
    put_string(h, 257, 6, std::string_view("ustar\0", 6));
    put_string(h, 263, 2, "00");
    put_octal(h, 329, 8, 0);  // devmajor
    put_octal(h, 337, 8, 0);  // devminor
    put_string(h, 345, 155, prefix);
    std::memset(h.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    std::string digits = fmt::format("{:06o}", sum);
    std::memcpy(h.data() + 148, digits.data(), 6);
    h[154] = '\0';
    h[155] = ' ';
    out_.write(std::string_view(h.data(), h.size()));
  }

  void pad(std::uint64_t size) {
    std::size_t rem = static_cast<std::size_t>(size % kBlock);
    if (rem != 0) out_.write(std::string(kBlock - rem, '\0'));
  }

  TarSink& out_;
};

}  // namespace

void write_layer_tar(const Manifest& manifest, const ContentOpener& open, TarSink& out) {
  TarWriter tar(out);
  // A hardlink records nothing of its own; its header carries its file's mode and owner.
  std::unordered_map<std::string_view, const Entry*> files;
  for (const Entry& e : manifest.entries()) {
    switch (e.type) {
      case EntryType::dir:
        tar.entry(e, '5', e.path + "/", 0);
        break;
      case EntryType::symlink:
        tar.entry(e, '2', e.path, 0);
        break;
      case EntryType::hardlink: {
        auto it = files.find(e.target);
        if (it == files.end()) fail("hardlink {} names {}, which is no earlier file", quote(e.path), quote(e.target));
        Entry link = e;
        link.mode = it->second->mode;
        link.uid = it->second->uid;
        link.gid = it->second->gid;
        tar.entry(link, '1', e.path, 0);
        break;
      }
      case EntryType::file: {
        files.emplace(e.path, &e);
        tar.entry(e, '0', e.path, e.size);
        auto source = open(e);
        if (!source) fail("the content of {} ({}) is not available", quote(e.path), e.digest.str());
        tar.content(*source, e.size, e.path);
        break;
      }
    }
  }
  tar.finish();
}

}  // namespace sheaf::fileset
