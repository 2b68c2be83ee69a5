#include "agent/checkout/pack_residency.h"

#include <sys/mman.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace agent::checkout {

PackResidency::PackResidency(const std::string& git_dir, std::uint64_t every_bytes) : every_(every_bytes) {
  std::error_code ec;
  auto dir = std::filesystem::weakly_canonical(std::filesystem::path(git_dir) / "objects" / "pack", ec);
  pack_dir_ = ec ? std::string() : dir.string() + "/";
}

void PackResidency::add(std::uint64_t bytes) {
  if (every_ == 0 || pack_dir_.empty()) return;
  const std::uint64_t before = pending_.fetch_add(bytes, std::memory_order_relaxed);
  if (before + bytes < every_) return;
  pending_.store(0, std::memory_order_relaxed);
  release();
}

std::uint64_t PackResidency::release() {
  if (pack_dir_.empty()) return 0;
  std::lock_guard lock(mutex_);
  std::ifstream maps("/proc/self/maps");
  std::uint64_t advised = 0;
  std::string line;
  while (std::getline(maps, line)) {
    // "start-end perms offset dev inode path": only read-only mappings of our packs.
    const auto path_at = line.find('/');
    if (path_at == std::string::npos) continue;
    const std::string_view path(line.data() + path_at, line.size() - path_at);
    if (!path.starts_with(pack_dir_) || !path.ends_with(".pack")) continue;
    std::istringstream fields(line.substr(0, path_at));
    std::string range, perms;
    fields >> range >> perms;
    if (perms.size() < 2 || perms[1] != '-') continue;  // never a writable mapping
    const auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    const std::uintptr_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    const std::uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (end <= start) continue;
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) == 0) advised += end - start;
  }
  return advised;
}

}  // namespace agent::checkout
