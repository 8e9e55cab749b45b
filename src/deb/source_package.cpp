#include "deb/source_package.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/error.hpp"
#include "base/text.hpp"
#include "deb/control.hpp"

namespace sheaf::deb {

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

bool is_repository_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find("://") != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

namespace {

SourceStanza parse_stanza(std::string_view paragraph, const std::string& where) {
  Control control = Control::parse(paragraph, where);
  SourceStanza stanza;
  stanza.name = std::string(control.value("Package"));
  auto need = [&](std::string_view field) {
    std::string_view value = control.value(field);
    if (value.empty()) throw ParseError(where, fmt::format("source package {} has no {}", quote(stanza.name), field));
    return std::string(value);
  };
  stanza.version = need("Version");
  stanza.format = std::string(control.value("Format"));
  if (stanza.format.empty()) stanza.format = "1.0";  // dpkg's default
  stanza.directory = need("Directory");
  if (!is_repository_path(stanza.directory)) {
    throw ParseError(where, fmt::format("source package {} has the Directory {}, which is not a path inside the "
                                        "repository",
                                        quote(stanza.name), quote(stanza.directory)));
  }
  const ControlField* sums = control.find("Checksums-Sha256");
  if (!sums) throw ParseError(where, fmt::format("source package {} has no Checksums-Sha256", quote(stanza.name)));
  unsigned line = sums->line;
  for (std::string_view row : split_lines(sums->value)) {
    ++line;
    auto cols = split_whitespace(row);
    if (cols.empty()) continue;
    SourceFile file;
    auto digest = cols.size() == 3 ? Digest::parse_hex(cols[0]) : std::nullopt;
    auto [end, ec] = cols.size() == 3 ? std::from_chars(cols[1].data(), cols[1].data() + cols[1].size(), file.size)
                                      : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (!digest || ec != std::errc() || end != cols[1].data() + cols[1].size()) {
      throw ParseError(fmt::format("{} line {}", where, line),
                       "a Checksums-Sha256 line must be '<sha256> <size> <file name>'");
    }
    if (!is_plain_file_name(cols[2])) {
      throw ParseError(fmt::format("{} line {}", where, line),
                       fmt::format("{} is not a plain file name", quote(cols[2])));
    }
    file.sha256 = *digest;
    file.name = cols[2];
    stanza.files.push_back(std::move(file));
  }
  std::sort(stanza.files.begin(), stanza.files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < stanza.files.size(); ++i) {
    if (stanza.files[i].name == stanza.files[i - 1].name) {
      throw ParseError(
          where, fmt::format("source package {} lists {} twice", quote(stanza.name), quote(stanza.files[i].name)));
    }
  }
  if (!stanza.dsc()) throw ParseError(where, fmt::format("source package {} lists no .dsc", quote(stanza.name)));
  return stanza;
}

}  // namespace

const SourceFile* SourceStanza::dsc() const {
  const SourceFile* found = nullptr;
  for (const auto& f : files) {
    if (f.name.ends_with(".dsc")) {
      if (found) return nullptr;  // two: neither is the one
      found = &f;
    }
  }
  return found;
}

std::vector<SourceStanza> find_source_stanzas(std::string_view index, std::string_view name, std::string_view where) {
  std::vector<SourceStanza> found;
  const std::string needle = fmt::format("Package: {}\n", name);
  std::size_t at = 0;
  while ((at = index.find(needle, at)) != std::string_view::npos) {
    if (at != 0 && index[at - 1] != '\n') {
      at += needle.size();
      continue;
    }
    // The paragraph around it: from the blank line before (or the start).
    std::size_t blank = at == 0 ? std::string_view::npos : index.rfind("\n\n", at);
    std::size_t start = blank == std::string_view::npos ? 0 : blank + 2;
    std::size_t end = index.find("\n\n", at);
    if (end == std::string_view::npos) end = index.size();
    std::string_view paragraph = index.substr(start, end - start);
    auto line =
        static_cast<unsigned>(std::count(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(start), '\n')) + 1;
    found.push_back(parse_stanza(paragraph, fmt::format("{} (the stanza at line {})", where, line)));
    at = end;
  }
  return found;
}

std::int64_t changelog_date(std::string_view changelog, std::string_view where) {
  for (std::string_view line : split_lines(changelog)) {
    if (!line.starts_with(" -- ")) continue;
    // " -- NAME <EMAIL>  DATE": two spaces after the address.
    auto close = line.find(">  ");
    if (close == std::string_view::npos) {
      throw ParseError(std::string(where),
                       fmt::format("the trailer {} does not end in '>  DATE'", quote(std::string(line))));
    }
    std::string_view date = line.substr(close + 3);
    auto seconds = parse_rfc2822_date(date);
    if (!seconds) {
      throw ParseError(std::string(where), fmt::format("the date {} of the newest entry is not an RFC 2822 date",
                                                       quote(std::string(date))));
    }
    return *seconds;
  }
  throw ParseError(std::string(where), "has no entry trailer (' -- NAME <EMAIL>  DATE')");
}

}  // namespace sheaf::deb
