// Facts about the host that defaults depend on.
#pragma once

#include <string>

namespace sheaf {

// The host's Debian architecture: what `dpkg --print-architecture` prints, or,
// where dpkg is absent, the Debian name of uname's machine (x86_64 -> amd64).
const std::string& host_debian_arch();

// The number of threads worth running for CPU-bound work (at least 1).
unsigned hardware_threads();

}  // namespace sheaf
