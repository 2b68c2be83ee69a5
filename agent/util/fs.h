#pragma once
// Small file-system helpers.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace agent::util {

/// Writes `content` to `path` atomically (temp file in the same folder, fsync, rename), creating
/// parent folders. A reader never sees a half-written report. An existing path that is not a
/// regular file (/dev/null, /dev/stdout, a FIFO) is written in place. Throws RuntimeError.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// A private folder (mode 0700) `base`/`prefix`XXXXXX, removed with everything in it when the
/// object goes. Throws RuntimeError when it cannot be created.
class TempDir {
 public:
  TempDir(const std::filesystem::path& base, std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// True when `root`/`relative` is a regular file of the tree under `root`: not a symbolic link,
/// and no folder on the way leads out of `root` (a scanned repository's own files, such as
/// .jit/jit-config.yml, are never read through a link to /etc/passwd or to another checkout).
bool is_regular_file_within(const std::filesystem::path& root, const std::filesystem::path& relative);

/// Reads a whole file. Throws RuntimeError naming the file.
std::string read_file(const std::filesystem::path& path);

/// Parses "10MiB", "500k", "1G", "4096" (k/M/G are powers of 1024); nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// "1.5 MiB", "812 B": for summaries.
std::string format_size(std::uint64_t bytes);

}  // namespace agent::util
