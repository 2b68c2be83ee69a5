#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "agent/checkout/pack_residency.h"

namespace fs = std::filesystem;
using agent::checkout::PackResidency;

namespace {

// Resident KiB of the mapping that starts at `addr` (from /proc/self/smaps).
long resident_kib(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(addr));
  while (std::getline(smaps, line)) {
    if (line.find('-') != std::string::npos && line.find(' ') != std::string::npos && std::isxdigit(line[0]) &&
        line.find(':') > line.find(' '))
      in = line.rfind(start, 0) == 0;
    else if (in && line.rfind("Rss:", 0) == 0)
      return std::stol(line.substr(4));
  }
  return -1;
}

}  // namespace

TEST_CASE("pack residency: the pages of a mapped pack leave the resident set, and the data stays readable") {
  if (!fs::exists("/proc/self/smaps")) SKIP("no /proc/self/smaps on this system");
  std::random_device rd;
  const fs::path git_dir = fs::temp_directory_path() / ("jit-residency-" + std::to_string(rd()));
  fs::create_directories(git_dir / "objects" / "pack");
  const fs::path pack = git_dir / "objects" / "pack" / "pack-test.pack";
  constexpr std::size_t kSize = 8 << 20;
  {
    std::ofstream out(pack, std::ios::binary);
    std::string block(4096, 'x');
    for (std::size_t i = 0; i < kSize / block.size(); ++i) {
      block[0] = static_cast<char>(i);
      out << block;
    }
  }
  const fs::path other = git_dir / "objects" / "pack" / "other.idx";  // not a .pack: left alone
  fs::copy_file(pack, other);
  int fd = ::open(pack.c_str(), O_RDONLY);
  int fd2 = ::open(other.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(fd2 >= 0);
  auto* map = static_cast<const unsigned char*>(::mmap(nullptr, kSize, PROT_READ, MAP_SHARED, fd, 0));
  auto* map2 = static_cast<const unsigned char*>(::mmap(nullptr, kSize, PROT_READ, MAP_SHARED, fd2, 0));
  REQUIRE(map != MAP_FAILED);
  REQUIRE(map2 != MAP_FAILED);
  unsigned sum = 0;
  for (std::size_t i = 0; i < kSize; i += 4096) sum += map[i] + map2[i];
  CHECK(resident_kib(map) >= 8000);

  PackResidency residency(git_dir.string(), 4 << 20);
  residency.add(1 << 20);  // below the threshold: nothing released
  CHECK(resident_kib(map) >= 8000);
  residency.add(4 << 20);  // crosses it
  CHECK(resident_kib(map) == 0);
  CHECK(resident_kib(map2) >= 8000);  // only .pack mappings
  // The data comes back on access, unchanged.
  unsigned again = 0;
  for (std::size_t i = 0; i < kSize; i += 4096) again += map[i] + map2[i];
  CHECK(again == sum);
  CHECK(residency.release() >= kSize);

  ::munmap(const_cast<unsigned char*>(map), kSize);
  ::munmap(const_cast<unsigned char*>(map2), kSize);
  ::close(fd);
  ::close(fd2);
  fs::remove_all(git_dir);
}
