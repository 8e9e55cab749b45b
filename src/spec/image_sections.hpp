// The image sections of sheaf.toml ([image], [[users]], [[groups]],
// [[files]], [[paths]], [alternatives], and [packages] drop_paths). For
// spec.cpp only.
#pragma once

#include <filesystem>
#include <vector>

#include "spec/spec.hpp"
#include "spec/toml_reader.hpp"

namespace sheaf::spec::detail {

ImageConfig read_image(const TomlReader& reader, const toml::table& table);
std::vector<std::string> read_drop_paths(const TomlReader& reader, const toml::node& node);
std::vector<User> read_users(const TomlReader& reader, const toml::node& node);
std::vector<Group> read_groups(const TomlReader& reader, const toml::node& node);
std::vector<LocalFiles> read_files(const TomlReader& reader, const toml::node& node,
                                   const std::filesystem::path& spec_path);
std::vector<PathEntry> read_paths(const TomlReader& reader, const toml::node& node);
std::vector<AlternativeChoice> read_alternatives(const TomlReader& reader, const toml::node& node);

}  // namespace sheaf::spec::detail
