// Path globs for [packages] drop_paths: "usr/share/doc/**", "usr/share/man/*/man1/*.gz".
//
//   *    any run of characters within one path component (never '/')
//   ?    one character other than '/'
//   **   as a whole component: any number of components, zero included
//
// A glob matches an entry's path (relative, no leading '/'). Matching a
// directory also drops everything below it, so "usr/share/doc/**" removes
// what usr/share/doc holds and keeps the directory itself, as gitignore does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sheaf::image {

bool glob_matches(std::string_view glob, std::string_view path);

// True when some glob matches `path` or one of its parents.
bool dropped_by(const std::vector<std::string>& globs, std::string_view path);

}  // namespace sheaf::image
