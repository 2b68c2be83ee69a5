#include "agent/checkout/pack_order.h"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kHash = 20;  // SHA-1 indexes; other hash sizes are not read (order is only speed)
constexpr std::size_t kHeader = 8 + 256 * 4;

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::vector<unsigned char> read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> object_dirs(const fs::path& git_dir) {
  std::vector<fs::path> dirs{git_dir / "objects"};
  std::ifstream alternates(git_dir / "objects" / "info" / "alternates");
  for (std::string line; std::getline(alternates, line);)
    if (!line.empty() && line[0] != '#') dirs.push_back(fs::path(line).is_absolute() ? fs::path(line) : git_dir / "objects" / line);
  return dirs;
}

}  // namespace

PackOrder::PackOrder(const fs::path& git_dir) {
  std::vector<fs::path> indexes;
  for (const auto& dir : object_dirs(git_dir)) {
    std::error_code ec;
    for (fs::directory_iterator it(dir / "pack", ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".idx") indexes.push_back(it->path());
  }
  std::sort(indexes.begin(), indexes.end());
  for (const auto& file : indexes) {
    Index idx;
    idx.data = read_all(file);
    const auto& d = idx.data;
    // Version 2: magic, version, fan-out, names, CRCs, 4-byte offsets, 8-byte offsets, trailer.
    if (d.size() < kHeader || std::memcmp(d.data(), "\377tOc", 4) != 0 || be32(d.data() + 4) != 2) continue;
    idx.count = be32(d.data() + 8 + 255 * 4);
    if (d.size() < kHeader + std::size_t{idx.count} * (kHash + 8) + 2 * kHash) continue;
    packs_.push_back(std::move(idx));
  }
}

std::uint64_t PackOrder::key(const git_oid& id) const {
  for (std::size_t p = 0; p < packs_.size(); ++p) {
    const Index& idx = packs_[p];
    const unsigned char* d = idx.data.data();
    const unsigned first = id.id[0];
    const std::uint32_t lo = first == 0 ? 0 : be32(d + 8 + (first - 1) * 4);
    const std::uint32_t hi = be32(d + 8 + first * 4);
    const unsigned char* names = d + kHeader;
    std::uint32_t a = lo, b = hi;
    while (a < b) {
      const std::uint32_t mid = a + (b - a) / 2;
      const int c = std::memcmp(names + std::size_t{mid} * kHash, id.id, kHash);
      if (c == 0) {
        const unsigned char* offsets = names + std::size_t{idx.count} * (kHash + 4);
        std::uint64_t off = be32(offsets + std::size_t{mid} * 4);
        if (off & 0x80000000u) {  // an index into the 8-byte offsets
          const unsigned char* large = offsets + std::size_t{idx.count} * 4 + (off & 0x7fffffffu) * 8;
          if (large + 8 > d + idx.data.size()) return ~std::uint64_t{0};
          off = (std::uint64_t{be32(large)} << 32) | be32(large + 4);
        }
        return (std::uint64_t{p} << 40) | (off & ((std::uint64_t{1} << 40) - 1));
      }
      if (c < 0) a = mid + 1;
      else b = mid;
    }
  }
  return ~std::uint64_t{0};
}

}  // namespace agent::checkout
