// Reading gzip layers back: a ByteSource of the decompressed bytes of a
// gzip stream of any number of members (sheaf's layers are 1 MiB members;
// another tool's are usually one). zlib, because libdeflate cannot stream a
// member whose size it does not know.
#pragma once

#include <memory>
#include <string>

#include "base/byte_source.hpp"

namespace sheaf::oci {

class GunzipSource final : public ByteSource {
 public:
  // `where` names the stream in errors ("layer sha256:...").
  GunzipSource(ByteSource& compressed, std::string where);
  ~GunzipSource() override;
  GunzipSource(const GunzipSource&) = delete;
  GunzipSource& operator=(const GunzipSource&) = delete;

  // Throws an Error naming the stream when it is not gzip, is corrupt, or
  // ends inside a member.
  std::size_t read(std::span<char> buffer) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sheaf::oci
