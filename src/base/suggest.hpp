// "Did you mean": the closest known word to a misspelt one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sheaf {

// The Levenshtein distance between `a` and `b` (insertions, deletions and
// substitutions each cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if one is near enough to be a plausible
// typo: at most a third of the word's length away (and at least 1, at most 3
// edits). Ties go to the candidate that sorts first, so the answer never
// depends on the order of `candidates`.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sheaf
