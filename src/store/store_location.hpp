// Where the store lives when the command line does not say.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace sheaf::store {

using EnvLookup = std::function<const char*(const char*)>;

// The store root: `option` (--store) if given, else $SHEAF_STORE, else
// $XDG_DATA_HOME/sheaf (when that is absolute, as the XDG spec requires), else
// $HOME/.local/share/sheaf. Throws an Error when none of these is available.
std::filesystem::path resolve_store_root(const std::optional<std::string>& option, const EnvLookup& env);

}  // namespace sheaf::store
