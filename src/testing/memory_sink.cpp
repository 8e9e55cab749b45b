#include "testing/memory_sink.hpp"

namespace sheaf::testing {

fileset::ContentRef MemorySink::put(ByteSource& source) {
  std::string bytes;
  char chunk[8192];
  while (std::size_t n = source.read(chunk)) bytes.append(chunk, n);
  Digest digest = Digest::of(bytes);
  std::lock_guard guard(mutex_);
  std::uint64_t size = bytes.size();
  contents_.emplace(digest, std::move(bytes));
  return {digest, size};
}

const std::string* MemorySink::find(const Digest& digest) const {
  std::lock_guard guard(mutex_);
  auto it = contents_.find(digest);
  return it == contents_.end() ? nullptr : &it->second;
}

std::size_t MemorySink::size() const {
  std::lock_guard guard(mutex_);
  return contents_.size();
}

}  // namespace sheaf::testing
