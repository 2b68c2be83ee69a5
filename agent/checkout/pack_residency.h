#pragma once
// Keeps the pack files libgit2 maps from piling up in the process's resident memory. libgit2 maps
// packs in large windows (1 GiB on 64-bit) and keeps them; reading a whole history touches every
// page, and each touched page counts as resident until unmapped. Smaller windows bound that but
// cost a third more time in remapping (git/git: 132 s instead of 96 s). Instead, the pages behind
// the reading are released from this process now and then with madvise(MADV_DONTNEED): the
// mappings are read-only and file-backed, so the data stays in the page cache and an access
// afterwards maps it again. Nothing is copied or re-read from disk.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace agent::checkout {

class PackResidency {
 public:
  /// Releases the mapped pages of the .pack files under `git_dir`/objects/pack after every
  /// `every_bytes` of reading reported through add().
  PackResidency(const std::string& git_dir, std::uint64_t every_bytes);
  /// Counts `bytes` read; releases once a threshold is crossed. Thread-safe.
  void add(std::uint64_t bytes);
  /// Releases now; returns the bytes of mapping advised (0 when no pack is mapped or on a system
  /// without /proc). Thread-safe.
  std::uint64_t release();

 private:
  std::string pack_dir_;
  std::uint64_t every_;
  std::atomic<std::uint64_t> pending_{0};
  std::mutex mutex_;
};

}  // namespace agent::checkout
