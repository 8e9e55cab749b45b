// Reading a parsed TOML document strictly: the one place where sheaf's TOML
// files (sheaf.toml, sheaf.lock, the package policy) turn a wrong key or type
// into a ParseError at "FILE:LINE:COLUMN". For the spec, repo and sign
// modules' parsers only (a header: it adds no link edge).
#pragma once

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/suggest.hpp"
#include "spec/spec.hpp"

namespace sheaf::spec {

// Where a TOML node was written, for messages.
inline Position position_of(const toml::source_region& region) {
  return {static_cast<unsigned>(region.begin.line), static_cast<unsigned>(region.begin.column)};
}

// Parses `text` as TOML, turning a syntax error into a ParseError at its position.
inline toml::table parse_toml(std::string_view text, const std::filesystem::path& path) {
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    throw ParseError(fmt::format("{}:{}:{}", path.string(), e.source().begin.line, e.source().begin.column),
                     e.description());
  }
}

// Walks the TOML tree and turns every problem into a ParseError at its position.
class TomlReader {
 public:
  explicit TomlReader(const std::filesystem::path& path) : shown_(path.string()) {}

  [[noreturn]] void fail_at(const toml::source_region& region, std::string_view problem) const {
    throw ParseError(fmt::format("{}:{}:{}", shown_, region.begin.line, region.begin.column), problem);
  }

  // Refuses any key of `table` that is not in `known`, suggesting the
  // nearest. `table_name` is "" for the document's top level.
  void check_keys(const toml::table& table, std::string_view table_name, const std::vector<std::string>& known) const {
    for (auto&& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string problem = table_name.empty() ? fmt::format("unknown table or key {}", quote(key.str()))
                                               : fmt::format("unknown key {} in [{}]", quote(key.str()), table_name);
      if (auto near = closest_match(key.str(), known)) problem += fmt::format("; did you mean {}?", quote(*near));
      problem += fmt::format(" (known: {})", fmt::join(known, ", "));
      fail_at(key.source(), problem);
    }
  }

  const toml::table& as_table(const toml::node& node, std::string_view name) const {
    if (const auto* t = node.as_table()) return *t;
    fail_at(node.source(), fmt::format("{} must be a table", name));
  }

  std::string as_string(const toml::node& node, std::string_view name) const {
    if (const auto* s = node.as_string()) return s->get();
    fail_at(node.source(), fmt::format("{} must be a string, not {}", name, type_name(node)));
  }

  bool as_bool(const toml::node& node, std::string_view name) const {
    if (const auto* b = node.as_boolean()) return b->get();
    fail_at(node.source(), fmt::format("{} must be true or false, not {}", name, type_name(node)));
  }

  // A list of strings; `each` checks one element.
  template <typename Check>
  std::vector<std::string> as_strings(const toml::node& node, std::string_view name, Check each) const {
    const auto* array = node.as_array();
    if (!array) fail_at(node.source(), fmt::format("{} must be a list of strings, not {}", name, type_name(node)));
    std::vector<std::string> out;
    for (const auto& element : *array) {
      std::string value = as_string(element, fmt::format("each entry of {}", name));
      each(value, element.source());
      out.push_back(std::move(value));
    }
    return out;
  }

  // `key` of `table`, which must be there.
  const toml::node& need(const toml::table& table, std::string_view key, std::string_view table_name) const {
    const toml::node* node = table.get(key);
    if (!node) fail_at(table.source(), fmt::format("{} has no {}", table_name, key));
    return *node;
  }

  static std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::table:
        return "a table";
      case toml::node_type::array:
        return "a list";
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a number";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::date:
      case toml::node_type::time:
      case toml::node_type::date_time:
        return "a date or time";
      default:
        return "nothing";
    }
  }

  // An array of tables ([[name]]).
  const toml::array& as_tables(const toml::node& node, std::string_view name) const {
    const auto* array = node.as_array();
    if (!array || !array->is_array_of_tables())
      fail_at(node.source(), fmt::format("{} must be [[{}]] tables", name, name));
    return *array;
  }

  // A non-negative integer no larger than `max`.
  std::uint64_t as_uint(const toml::node& node, std::string_view name, std::uint64_t max) const {
    const auto* value = node.as_integer();
    if (!value) fail_at(node.source(), fmt::format("{} must be an integer, not {}", name, type_name(node)));
    std::int64_t v = value->get();
    if (v < 0 || static_cast<std::uint64_t>(v) > max) {
      fail_at(node.source(), fmt::format("{} must be between 0 and {}", name, max));
    }
    return static_cast<std::uint64_t>(v);
  }

  // A list of strings, with no check of its own.
  std::vector<std::string> as_strings(const toml::node& node, std::string_view name) const {
    return as_strings(node, name, [](const std::string&, const toml::source_region&) {});
  }

 private:
  std::string shown_;
};

}  // namespace sheaf::spec
