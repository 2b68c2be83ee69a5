#pragma once
// One file chosen for scanning: what checkout lists and every control reads.
#include <cstdint>
#include <filesystem>
#include <string>

namespace agent::util {

/// One regular file selected for scanning (symlinks and excluded paths never get here).
struct FileEntry {
  std::string path;               ///< relative to the scan root, '/'-separated
  std::filesystem::path abs;      ///< absolute path on disk
  std::uint64_t size = 0;
};

}  // namespace agent::util
