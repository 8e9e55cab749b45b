// A ByteSource over bytes held in memory, for tests.
#pragma once

#include <algorithm>
#include <string>

#include "base/byte_source.hpp"

namespace sheaf::testing {

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  std::size_t read(std::span<char> buffer) override {
    std::size_t n = std::min(buffer.size(), data_.size() - pos_);
    std::copy_n(data_.data() + pos_, n, buffer.data());
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

}  // namespace sheaf::testing
