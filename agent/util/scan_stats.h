#pragma once
// Counters of a scan: filled by checkout (files it skipped while listing) and by the controls
// (what they read), reported by findings' ScanResult.
#include <cstdint>

namespace agent::util {

struct ScanStats {
  std::uint64_t files_scanned = 0;
  std::uint64_t bytes_scanned = 0;
  std::uint64_t skipped_binary = 0;
  std::uint64_t skipped_too_large = 0;
  std::uint64_t skipped_excluded = 0;
  std::uint64_t skipped_symlinks = 0;
  std::uint64_t unreadable = 0;
  std::uint64_t suppressed = 0;     ///< matches silenced by jit:allow / gitleaks:allow
  std::uint64_t commits_scanned = 0;  ///< history scans: commits walked
  std::uint64_t blobs_cached = 0;     ///< blobs the verdict cache answered without reading them
};

}  // namespace agent::util
