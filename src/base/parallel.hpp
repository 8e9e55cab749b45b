// A minimal fork-join loop for CPU- and IO-bound batches (hashing, copying).
#pragma once

#include <cstddef>
#include <functional>

namespace sheaf {

// Calls body(i) for every i in [0, count) on up to `threads` threads (the
// calling thread is one of them). If any call throws, the remaining indices are
// skipped and the first exception is rethrown on the calling thread once every
// thread has stopped.
void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& body);

}  // namespace sheaf
