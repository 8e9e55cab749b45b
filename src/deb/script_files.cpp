// The ScriptReader's commands that make, change and remove paths: mkdir,
// touch, ln, cp, install, ucf, rm, mv, chown, chmod, a2enmod, mktemp
// (deb/script_reader.hpp).
#include "deb/script_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sheaf::deb::reader {

int ScriptReader::chown(const Args& a) {
  bool recursive = false;
  std::size_t i = 1;
  for (; i < a.size() && a[i].starts_with("-"); ++i) {
    const std::string& o = a[i];
    if (o == "-R" || o == "--recursive") {
      recursive = true;
    } else if (o == "-h" || o == "-f" || o == "-v" || o == "-c" || o == "--no-dereference" || o == "-H" || o == "-L" ||
               o == "-P" || o == "--quiet" || o == "--silent" || o == "-Rh" || o == "-hR") {
      recursive |= o.find('R') != std::string::npos;
    } else {
      throw Uninterpretable{fmt::format("{} option {}", a[0], o)};
    }
  }
  if (i + 2 > a.size()) throw Uninterpretable{fmt::format("{} without an owner and a path", a[0])};
  std::string owner;
  std::string group;
  if (a[0] == "chgrp") {
    group = a[i];
  } else {
    auto sep = a[i].find_first_of(":.");
    owner = a[i].substr(0, sep);
    if (sep != std::string::npos) group = a[i].substr(sep + 1);
  }
  for (std::size_t k = i + 1; k < a.size(); ++k) {
    out_.attributes.push_back({absolute(a[k]), owner, group, "", recursive, a[0], script_});
  }
  return 0;
}

int ScriptReader::chmod(const Args& a) {
  bool recursive = false;
  std::size_t i = 1;
  for (; i < a.size() && a[i].starts_with("-") && a[i].find_first_of("rwxXst") == std::string::npos; ++i) {
    if (a[i] == "-R" || a[i] == "--recursive") {
      recursive = true;
    } else if (a[i] != "-f" && a[i] != "-v" && a[i] != "-c" && a[i] != "--quiet" && a[i] != "--silent") {
      throw Uninterpretable{fmt::format("chmod option {}", a[i])};
    }
  }
  if (i + 2 > a.size()) throw Uninterpretable{"chmod without a mode and a path"};
  for (std::size_t k = i + 1; k < a.size(); ++k) {
    out_.attributes.push_back({absolute(a[k]), "", "", a[i], recursive, "chmod", script_});
  }
  return 0;
}

void ScriptReader::make(CreatedPath::Kind kind, const std::string& path, std::string source, std::string mode) {
  removed_.erase(path);
  auto type = kind == CreatedPath::Kind::dir       ? fileset::EntryType::dir
              : kind == CreatedPath::Kind::symlink ? fileset::EntryType::symlink
                                                   : fileset::EntryType::file;
  made_[path] = type;
  out_.created.push_back({kind, path, std::move(source), std::move(mode), script_});
}

int ScriptReader::mkdir(const Args& a) {
  bool parents = false;
  std::string mode;
  Args paths;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "-p" || a[i] == "--parents" || a[i] == "-pZ" || a[i] == "-Zp") {
      parents = true;
    } else if (a[i] == "-Z") {
    } else if (a[i] == "-m" || a[i] == "--mode") {
      if (i + 1 >= a.size()) throw Uninterpretable{"mkdir -m without a mode"};
      mode = a[++i];
    } else if (a[i].starts_with("-m") && a[i].size() > 2) {
      mode = a[i].substr(2);
    } else if (a[i] == "-v") {
    } else if (a[i].starts_with("-")) {
      throw Uninterpretable{fmt::format("mkdir option {}", a[i])};
    } else {
      paths.push_back(a[i]);
    }
  }
  int result = 0;
  for (const auto& raw : paths) {
    std::string path = absolute(raw);
    if (path_type(path)) {
      if (!parents) result = 1;
      continue;
    }
    std::vector<std::string> chain;
    for (std::string p = path; !path_type(p); p = dirname_of(p)) chain.push_back(p);
    if (chain.size() > 1 && !parents) return 1;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      make(CreatedPath::Kind::dir, *it, "", *it == path ? mode : "");
  }
  return result;
}

int ScriptReader::touch(const Args& a) {
  for (std::size_t i = 1; i < a.size(); ++i) {
    // Times are not part of a FileSet: options about them change nothing.
    if (a[i] == "-r" || a[i] == "-d" || a[i] == "-t") {
      ++i;
      continue;
    }
    if (a[i].starts_with("-")) {
      if (a[i] == "-c" || a[i] == "--no-create") return 0;
      if (a[i] == "-h" || a[i] == "--no-dereference" || a[i] == "-m" || a[i] == "-a" ||
          a[i].starts_with("--reference=") || a[i].starts_with("--date=")) {
        continue;
      }
      throw Uninterpretable{fmt::format("touch option {}", a[i])};
    }
    std::string path = absolute(a[i]);
    if (!path_type(path)) {
      if (!is_dir(dirname_of(path))) return 1;
      make(CreatedPath::Kind::file, path, "", "");
    }
  }
  return 0;
}

int ScriptReader::ln(const Args& a) {
  bool symbolic = false;
  bool force = false;
  Args operands;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].starts_with("-") && a[i].size() > 1) {
      for (char c : a[i].substr(1)) {
        if (c == 's')
          symbolic = true;
        else if (c == 'f')
          force = true;
        else if (c != 'n' && c != 'T' && c != 'v')
          throw Uninterpretable{fmt::format("ln option {}", a[i])};
      }
    } else {
      operands.push_back(a[i]);
    }
  }
  if (!symbolic || operands.size() != 2) throw Uninterpretable{"ln other than ln -s TARGET LINK"};
  std::string link = absolute(operands[1]);
  if (is_dir(link)) link = canonical_path(link + "/" + basename_of(operands[0]));
  if (path_type(link) && !force) return 1;
  if (!is_dir(dirname_of(link))) return 1;
  make(CreatedPath::Kind::symlink, link, operands[0], "");
  return 0;
}

int ScriptReader::copy_file(const std::string& from, const std::string& to, std::string mode, const std::string& tool) {
  // The source may belong to another package (php8.2-cli's ucf of
  // php8.2-common's php.ini): the assembly looks it up in the image.
  std::string source = absolute(from);
  if (auto made = made_.find(source); made != made_.end()) {
    auto it = std::find_if(out_.created.rbegin(), out_.created.rend(),
                           [&](const CreatedPath& c) { return c.path == source; });
    if (it != out_.created.rend() && it->kind == CreatedPath::Kind::file) {
      // A file the script wrote (openssh-server's sshd_config, made from
      // a template in a temporary file): the copy holds what it wrote.
      std::string target = absolute(to);
      if (is_dir(target)) target = canonical_path(target + "/" + basename_of(source));
      if (!is_dir(dirname_of(target))) return 1;
      std::string content = it->content;
      make(CreatedPath::Kind::file, target, "", std::move(mode));
      out_.created.back().content = std::move(content);
      return 0;
    }
    if (it == out_.created.rend() || it->kind != CreatedPath::Kind::copy) {
      throw Uninterpretable{fmt::format("{} {} {}: the source is a path the script made, not a file", tool, from, to)};
    }
    source = it->source;
  } else if (auto type = path_type(source); type && type != fileset::EntryType::file) {
    throw Uninterpretable{fmt::format("{} {} {}: the source is not a regular file", tool, from, to)};
  }
  std::string target = absolute(to);
  if (is_dir(target)) target = canonical_path(target + "/" + basename_of(source));
  if (!is_dir(dirname_of(target))) return 1;
  make(CreatedPath::Kind::copy, target, source, std::move(mode));
  return 0;
}

int ScriptReader::cp(const Args& a) {
  Args operands;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].starts_with("-")) {
      if (a[i].find_first_not_of("-afpdvZ") != std::string::npos && a[i] != "--preserve" && a[i] != "--archive") {
        throw Uninterpretable{fmt::format("cp option {}", a[i])};
      }
    } else {
      operands.push_back(a[i]);
    }
  }
  if (operands.size() != 2) throw Uninterpretable{"cp other than cp FILE DEST"};
  return copy_file(operands[0], operands[1], "", "cp");
}

int ScriptReader::install(const Args& a) {
  bool dirs = false;
  std::string mode;
  std::string owner;
  std::string group;
  Args operands;
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto value = [&]() -> std::string {
      if (i + 1 >= a.size()) throw Uninterpretable{fmt::format("install {} without a value", a[i])};
      return a[++i];
    };
    if (a[i] == "-d" || a[i] == "--directory") {
      dirs = true;
    } else if (a[i] == "-m" || a[i] == "--mode") {
      mode = value();
    } else if (a[i] == "-o" || a[i] == "--owner") {
      owner = value();
    } else if (a[i] == "-g" || a[i] == "--group") {
      group = value();
    } else if (a[i] == "-p" || a[i] == "-v" || a[i] == "-D") {
    } else if (a[i].starts_with("-")) {
      throw Uninterpretable{fmt::format("install option {}", a[i])};
    } else {
      operands.push_back(a[i]);
    }
  }
  auto attributes = [&](const std::string& path) {
    if (!owner.empty() || !group.empty()) {
      out_.attributes.push_back({path, owner, group, "", false, "install", script_});
    }
  };
  if (dirs) {
    for (const auto& d : operands) {
      std::string path = absolute(d);
      Args mk{"mkdir", "-p"};
      if (!mode.empty()) mk.insert(mk.end(), {"-m", mode});
      mk.push_back(path);
      mkdir(mk);
      attributes(path);
    }
    return 0;
  }
  if (operands.size() != 2) throw Uninterpretable{"install other than install [-d] FILE DEST"};
  int result = copy_file(operands[0], operands[1], mode, "install");
  if (result == 0) attributes(out_.created.back().path);
  return result;
}

int ScriptReader::ucf(const Args& a) {
  Args operands;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "--purge") return 0;
    if (a[i] == "--src-dir" || a[i] == "--state-dir" || a[i] == "--sum-file") {
      ++i;
    } else if (!a[i].starts_with("-")) {
      operands.push_back(a[i]);
    }
  }
  if (operands.size() != 2) throw Uninterpretable{"ucf other than ucf NEW DEST"};
  if (path_type(operands[1])) return 0;
  return copy_file(operands[0], operands[1], "", "ucf");
}

int ScriptReader::rm(const Args& a) {
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].starts_with("-")) continue;
    std::string path = a[i].starts_with('/') ? canonical_path(a[i]) : a[i];
    if (made_.contains(path)) {
      made_.erase(path);
      std::erase_if(out_.created, [&](const CreatedPath& c) { return c.path == path; });
    } else if (files_.contains(path) && !removed_.contains(path)) {
      if (files_.at(path) == fileset::EntryType::dir && a[0] == "rm" &&
          std::none_of(a.begin() + 1, a.end(), [](const std::string& o) {
            return o.starts_with("-") && o.find_first_of("rR") != std::string::npos;
          })) {
        return 1;
      }
      removed_.emplace(path, line_);
    }
  }
  return 0;
}

int ScriptReader::mv(const Args& a) {
  Args operands;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].starts_with("-")) {
      if (a[i].find_first_not_of("-fvTn") != std::string::npos)
        throw Uninterpretable{fmt::format("mv option {}", a[i])};
      continue;
    }
    operands.push_back(a[i]);
  }
  if (operands.size() != 2) throw Uninterpretable{"mv other than mv FROM TO"};
  std::string from = absolute(operands[0]);
  std::string to = absolute(operands[1]);
  if (is_dir(to)) to = canonical_path(to + "/" + basename_of(from));
  auto made = made_.find(from);
  if (made == made_.end()) {
    if (path_type(from))
      throw Uninterpretable{fmt::format("mv {} {}: moves a file of the package", operands[0], operands[1])};
    return 1;
  }
  auto kind = made->second;
  made_.erase(made);
  std::erase_if(out_.created, [&](const CreatedPath& c) { return c.path == to; });
  for (auto& c : out_.created) {
    if (c.path == from) c.path = to;
  }
  made_[to] = kind;
  removed_.erase(to);
  return 0;
}

int ScriptReader::readlink(const Args& a) {
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].starts_with("-")) continue;
    if (!a[i].starts_with('/')) return 1;
    emit(canonical_path(a[i]) + "\n");
    return 0;
  }
  return 1;
}

int ScriptReader::a2enable(const Args& a) {
  std::string kind = a[0] == "a2enmod" ? "mods" : a[0] == "a2enconf" ? "conf" : "sites";
  int result = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i].starts_with("-")) continue;
    std::string name = a[i];
    if (kind == "mods" && name.ends_with(".load")) name.resize(name.size() - 5);
    if (kind != "mods" && name.ends_with(".conf")) name.resize(name.size() - 5);
    std::vector<std::string> suffixes =
        kind == "mods" ? std::vector<std::string>{".load", ".conf"} : std::vector<std::string>{".conf"};
    bool found = false;
    for (const auto& suffix : suffixes) {
      std::string available = fmt::format("/etc/apache2/{}-available/{}{}", kind, name, suffix);
      std::string enabled = fmt::format("/etc/apache2/{}-enabled/{}{}", kind, name, suffix);
      if (path_type(available) != fileset::EntryType::file) continue;
      found = true;
      if (path_type(enabled) || !is_dir(dirname_of(enabled))) continue;
      // a2enmod enables what a module's .load file says it depends on
      // ("# Depends: authz_core") first.
      if (kind == "mods" && suffix == ".load") {
        if (depth_ >= kMaxCallDepth) throw Abort{"a2enmod dependencies nested too deeply"};
        for (const auto& dependency : module_dependencies(available)) {
          ++depth_;
          a2enable({a[0], "-q", dependency});
          --depth_;
        }
      }
      make(CreatedPath::Kind::symlink, enabled, fmt::format("../{}-available/{}{}", kind, name, suffix), "");
    }
    if (!found) throw Uninterpretable{fmt::format("{} {}: the package ships no such file", a[0], name)};
  }
  return result;
}

std::vector<std::string> ScriptReader::module_dependencies(const std::string& load_file) const {
  std::vector<std::string> out;
  auto text = content_of(load_file);
  if (!text) return out;
  std::size_t pos = 0;
  while (pos < text->size()) {
    auto end = std::min(text->find('\n', pos), text->size());
    std::string_view line = std::string_view(*text).substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with("# Depends:")) continue;
    line.remove_prefix(10);
    for (std::size_t p = 0; p < line.size();) {
      auto start = line.find_first_not_of(" \t,", p);
      if (start == std::string_view::npos) break;
      auto stop = std::min(line.find_first_of(" \t,", start), line.size());
      out.emplace_back(line.substr(start, stop - start));
      p = stop;
    }
  }
  return out;
}

int ScriptReader::mktemp(const Args& a) {
  bool dir = false;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "-d")
      dir = true;
    else if (a[i] != "-q" && a[i] != "-t")
      throw Uninterpretable{describe_command(a)};
  }
  std::string path = fmt::format("/tmp/tmp.sheaf{}", ++temporaries_);
  make(dir ? CreatedPath::Kind::dir : CreatedPath::Kind::file, path, "", "");
  emit(path + "\n");
  return 0;
}

std::optional<std::string> ScriptReader::content_of(const std::string& raw) const {
  if (!raw.starts_with('/')) return std::nullopt;
  std::string path = canonical_path(raw);
  if (made_.contains(path)) {
    auto it =
        std::find_if(out_.created.rbegin(), out_.created.rend(), [&](const CreatedPath& c) { return c.path == path; });
    if (it == out_.created.rend()) return std::nullopt;
    if (it->kind == CreatedPath::Kind::file) return it->content;
    if (it->kind == CreatedPath::Kind::copy && it->source != path) return content_of(it->source);
    return std::nullopt;
  }
  if (removed_.contains(path) || !read_file_) return std::nullopt;
  auto it = files_.find(path);
  if (it == files_.end() || it->second != fileset::EntryType::file) return std::nullopt;
  return read_file_(path);
}

}  // namespace sheaf::deb::reader
