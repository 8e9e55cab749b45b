#include "registry/reference.hpp"

#include <algorithm>
#include <cctype>

#include "base/error.hpp"
#include "base/text.hpp"

namespace sheaf::registry {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// domain-component: [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?
bool valid_domain_component(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

bool valid_host(std::string_view host) {
  std::string_view name = host;
  if (name.starts_with('[')) {  // [IPv6]
    auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inside = name.substr(1, close - 1);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return false;
    name = name.substr(close + 1);
    if (name.empty()) return true;
    if (!name.starts_with(':')) return false;
    std::string_view port = name.substr(1);
    return !port.empty() && port.size() <= 5 &&
           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  if (auto colon = name.find(':'); colon != std::string_view::npos) {
    std::string_view port = name.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    name = name.substr(0, colon);
  }
  std::size_t pos = 0;
  while (true) {
    auto dot = name.find('.', pos);
    if (!valid_domain_component(name.substr(pos, dot == std::string_view::npos ? dot : dot - pos))) return false;
    if (dot == std::string_view::npos) return true;
    pos = dot + 1;
  }
}

// path-component: [a-z0-9]+ (separator [a-z0-9]+)*, separator: [_.] | __ | -+
bool valid_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !is_lower_alnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
    if (!(sep == "_" || sep == "." || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

}  // namespace

bool is_remote(std::string_view text) { return text.starts_with(kTransport); }

Reference parse_reference(std::string_view text) {
  const std::string whole(text);
  if (!is_remote(text)) {
    fail_usage("{} is not a registry reference: write docker://HOST[:PORT]/REPOSITORY[:TAG|@sha256:HEX]", quote(whole));
  }
  std::string_view rest = text.substr(kTransport.size());
  Reference ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    ref.digest = Digest::parse(digest);
    if (!ref.digest) {
      fail_usage("{}: {} is not a digest (sha256:<64 lower-case hex digits>)", quote(whole), quote(std::string(digest)));
    }
    rest = rest.substr(0, at);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    fail_usage("{} names no registry host: write docker://HOST[:PORT]/REPOSITORY (sheaf implies no registry)",
               quote(whole));
  }
  std::string_view host = rest.substr(0, slash);
  if (!valid_host(host)) fail_usage("{}: {} is not a registry host (HOST or HOST:PORT)", quote(whole), quote(std::string(host)));
  ref.host = ascii_lower(host);
  std::string_view path = rest.substr(slash + 1);
  // A ':' after the last '/' starts the tag.
  auto last_slash = path.rfind('/');
  auto colon = path.find(':', last_slash == std::string_view::npos ? 0 : last_slash);
  if (colon != std::string_view::npos) {
    std::string_view tag = path.substr(colon + 1);
    if (!valid_tag(tag)) {
      fail_usage("{}: {} is not a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})", quote(whole), quote(std::string(tag)));
    }
    ref.tag = std::string(tag);
    path = path.substr(0, colon);
  }
  if (ref.tag && ref.digest) {
    fail_usage("{} names both a tag and a digest; give one of them", quote(whole));
  }
  if (path.empty()) fail_usage("{} names no repository after the host", quote(whole));
  for (std::size_t pos = 0;;) {
    auto end = path.find('/', pos);
    std::string_view component = path.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!valid_path_component(component)) {
      fail_usage("{}: repository component {} must be lower-case letters and digits, separated by '.', '_', '__' or "
                 "'-'",
                 quote(whole), quote(std::string(component)));
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (path.size() > 255) fail_usage("{}: the repository name is longer than 255 characters", quote(whole));
  ref.repository = std::string(path);
  if (!ref.tag && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string Reference::manifest_reference() const { return digest ? digest->str() : tag.value_or("latest"); }

std::string Reference::name() const { return host + "/" + repository; }

std::string Reference::str() const {
  std::string out = std::string(kTransport) + name();
  if (digest) return out + "@" + digest->str();
  return out + ":" + tag.value_or("latest");
}

LocalName local_name(const Reference& reference) {
  std::string host = reference.host;
  std::replace(host.begin(), host.end(), ':', '_');
  std::erase(host, '[');
  std::erase(host, ']');
  LocalName out;
  out.name = host + "/" + reference.repository;
  out.tag = reference.digest ? "sha256-" + reference.digest->hex() : reference.tag.value_or("latest");
  return out;
}

bool is_loopback(std::string_view host) {
  std::string_view name = host;
  if (name.starts_with('[')) return name.starts_with("[::1]");
  if (auto colon = name.find(':'); colon != std::string_view::npos) name = name.substr(0, colon);
  return name == "localhost" || name.starts_with("127.");
}

}  // namespace sheaf::registry
