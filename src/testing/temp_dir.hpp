// A directory that exists for one test and is removed afterwards.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sheaf::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Small helpers for building trees. They throw std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::string_view content, unsigned mode = 0644);
std::string read_file_bytes(const std::filesystem::path& path);
void make_dirs(const std::filesystem::path& path, unsigned mode = 0755);

// The number of regular files below `dir`, at any depth.
std::size_t count_files(const std::filesystem::path& dir);

// The hex sha256 of a file's bytes.
std::string sha256_hex_of_file(const std::filesystem::path& path);

}  // namespace sheaf::testing
