// Reading what `sheaf trim` runs while it traces an image (spec::TrimSpec in
// spec/spec.hpp: workloads, and the globs of paths to keep whatever the
// workloads use; docs/formats/trim.md).
//
// The same keys make a `--workloads FILE` (at its top level) and the
// `[trim]` section of sheaf.toml, read by one strict reader: every key
// known, every error at FILE:LINE:COLUMN.
#pragma once

#include <filesystem>
#include <string_view>

#include "spec/spec.hpp"

namespace sheaf::spec {

// Reads a workloads file. Throws an Error when it cannot be read and a
// ParseError at the position of the first problem.
TrimSpec load_trim_spec(const std::filesystem::path& path);
TrimSpec parse_trim_spec(std::string_view text, const std::filesystem::path& path);

// "SIGTERM", "SIGRTMIN+3" or a number up to 99: what stop_signal may say.
bool is_signal_spelling(std::string_view signal);

}  // namespace sheaf::spec
