// The sections of sheaf.toml ([image], [[users]], [[groups]], [[files]],
// [[paths]], [alternatives], and [packages] drop_paths), and the pieces a
// recipe shares with it ([source.debian], include entries). For spec.cpp and
// recipe.cpp only.
#pragma once

#include <filesystem>
#include <vector>

#include "spec/spec.hpp"
#include "spec/toml_reader.hpp"
#include "spec/trim.hpp"

namespace sheaf::spec::detail {

DebianSource read_debian_source(const TomlReader& reader, const toml::table& table, const std::filesystem::path& path);
// One include entry: "name", "name=version", or a docker:// reference.
PackagePin parse_pin(const TomlReader& reader, const std::string& text, const toml::source_region& where);
// One path glob, as drop_paths takes them (a leading '/' dropped); `what`
// names the key in the message.
std::string path_glob(const TomlReader& reader, std::string glob, const toml::source_region& where,
                      std::string_view what);

ImageConfig read_image(const TomlReader& reader, const toml::table& table);
std::vector<std::string> read_drop_paths(const TomlReader& reader, const toml::node& node);
std::vector<User> read_users(const TomlReader& reader, const toml::node& node);
std::vector<Group> read_groups(const TomlReader& reader, const toml::node& node);
std::vector<LocalFiles> read_files(const TomlReader& reader, const toml::node& node,
                                   const std::filesystem::path& spec_path);
std::vector<PathEntry> read_paths(const TomlReader& reader, const toml::node& node);
std::vector<RecipeRef> read_recipes(const TomlReader& reader, const toml::node& node,
                                    const std::filesystem::path& spec_path);
std::vector<AlternativeChoice> read_alternatives(const TomlReader& reader, const toml::node& node);
// [trim] (`table_name` "trim"), or a workloads file's top level ("").
TrimSpec read_trim(const TomlReader& reader, const toml::table& table, std::string_view table_name);

}  // namespace sheaf::spec::detail
