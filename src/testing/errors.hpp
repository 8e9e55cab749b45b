// Checking the errors that code under test throws.
#pragma once

#include <functional>
#include <string>

#include "base/error.hpp"

namespace sheaf::testing {

// Runs `body` and returns the message of the sheaf::Error it throws, or ""
// when it throws none.
inline std::string error_message_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace sheaf::testing
