// Where a private key's passphrase comes from on the command line:
// --passphrase-file FILE (its first line), else $SHEAF_PASSPHRASE, else a
// prompt on the terminal (/dev/tty, not echoed) when there is one.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "pipeline/trust.hpp"

namespace sheaf::cli {

inline constexpr const char* kPassphraseEnv = "SHEAF_PASSPHRASE";

void add_passphrase_flag(CLI::App* cmd, std::string& file);

// The passphrase given by file or environment, if any.
std::optional<std::string> given_passphrase(const std::string& file);

// Asks on the terminal; nullopt when there is none. `confirm` asks twice
// and refuses two different answers.
std::optional<std::string> ask_passphrase(const std::string& prompt, bool confirm = false);

// For reading a key: what was given, else a prompt when it is needed.
pipeline::Passphrase passphrase_for_reading(const std::string& file, const std::string& key);

}  // namespace sheaf::cli
