#include "agent/checkout/pack_reader.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kHash = 20;                     // SHA-1 packs (libgit2 here reads no other)
constexpr std::size_t kIdxHeader = 8 + 256 * 4;       // magic, version, fan-out
constexpr std::size_t kMaxChain = 10000;              // git writes at most 4095 (pack.depth)
constexpr std::uint64_t kMaxObject = std::uint64_t{4} << 30;  // larger bases are left to libgit2
constexpr std::uint64_t kInflateRatio = 1032;         // deflate's best ratio: a bound on honest sizes

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::uint64_t be64(const unsigned char* p) { return (std::uint64_t{be32(p)} << 32) | be32(p + 4); }

/// A read-only mapping of a whole file.
struct Mapping {
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  Mapping() = default;
  /// Maps `file`; leaves the mapping empty when it cannot.
  void map(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st{};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data = static_cast<const unsigned char*>(p);
        size = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~Mapping() {
    if (data) ::munmap(const_cast<unsigned char*>(data), size);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
};

/// The object directories whose packs a repository reads: its own (a linked worktree's are
/// those of the repository its `commondir` names), then its alternates'.
std::vector<fs::path> object_dirs(const fs::path& git_dir) {
  fs::path common = git_dir;
  std::ifstream commondir(git_dir / "commondir");
  if (std::string line; std::getline(commondir, line) && !line.empty())
    common = fs::path(line).is_absolute() ? fs::path(line) : git_dir / line;
  const fs::path objects = common / "objects";
  std::vector<fs::path> dirs{objects};
  std::ifstream alternates(objects / "info" / "alternates");
  for (std::string line; std::getline(alternates, line);)
    if (!line.empty() && line[0] != '#') dirs.push_back(fs::path(line).is_absolute() ? fs::path(line) : objects / line);
  return dirs;
}

/// A little-endian base-128 number of a delta's header.
bool delta_varint(const unsigned char*& p, const unsigned char* end, std::uint64_t& out) {
  out = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (p == end) return false;
    const unsigned char c = *p++;
    out |= std::uint64_t{c & 0x7fu} << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

}  // namespace

struct PackStore::Pack {
  fs::path path;
  Mapping idx;
  Mapping pack;
  std::uint32_t count = 0;
  std::uint64_t large_count = 0;
  std::uint64_t data_end = 0;  // where the trailing checksum starts

  std::optional<std::uint64_t> find(const git_oid& id) const {
    const unsigned char* d = idx.data;
    const unsigned first = id.id[0];
    std::uint32_t a = first == 0 ? 0 : be32(d + 8 + (first - 1) * 4);
    std::uint32_t b = be32(d + 8 + first * 4);
    const unsigned char* names = d + kIdxHeader;
    const std::uint64_t want = be64(id.id);  // most comparisons end in the first 8 bytes
    while (a < b) {
      const std::uint32_t mid = a + (b - a) / 2;
      const unsigned char* name = names + std::size_t{mid} * kHash;
      const std::uint64_t have = be64(name);
      const int c = have != want ? (have < want ? -1 : 1) : std::memcmp(name, id.id, kHash);
      if (c == 0) {
        const unsigned char* offsets = names + std::size_t{count} * (kHash + 4);
        std::uint64_t off = be32(offsets + std::size_t{mid} * 4);
        if (off & 0x80000000u) {  // an index into the 8-byte offsets
          const std::uint64_t k = off & 0x7fffffffu;
          if (k >= large_count) return std::nullopt;
          const unsigned char* large = offsets + std::size_t{count} * 4 + k * 8;
          off = (std::uint64_t{be32(large)} << 32) | be32(large + 4);
        }
        if (off < 12 || off >= data_end) return std::nullopt;
        return off;
      }
      if (c < 0) a = mid + 1;
      else b = mid;
    }
    return std::nullopt;
  }
};

PackStore::PackStore(const fs::path& git_dir) {
  std::vector<fs::path> indexes;
  for (const auto& dir : object_dirs(git_dir)) {
    std::error_code ec;
    for (fs::directory_iterator it(dir / "pack", ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".idx") indexes.push_back(it->path());
  }
  std::sort(indexes.begin(), indexes.end());
  for (const auto& file : indexes) {
    auto p = std::make_unique<Pack>();
    p->path = fs::path(file).replace_extension(".pack");
    p->idx.map(file);
    const unsigned char* d = p->idx.data;
    const std::size_t n = p->idx.size;
    // Version 2: magic, version, fan-out, names, CRCs, 4-byte offsets, 8-byte offsets, 2 checksums.
    if (!d || n < kIdxHeader || std::memcmp(d, "\377tOc", 4) != 0 || be32(d + 4) != 2) continue;
    bool sorted = true;
    for (unsigned i = 1; i < 256; ++i) sorted = sorted && be32(d + 8 + (i - 1) * 4) <= be32(d + 8 + i * 4);
    p->count = be32(d + 8 + 255 * 4);
    const std::size_t fixed = kIdxHeader + std::size_t{p->count} * (kHash + 8) + 2 * kHash;
    if (!sorted || n < fixed || (n - fixed) % 8 != 0) continue;
    p->large_count = (n - fixed) / 8;
    p->pack.map(p->path);
    const unsigned char* k = p->pack.data;
    if (!k || p->pack.size < 12 + kHash || std::memcmp(k, "PACK", 4) != 0 || (be32(k + 4) != 2 && be32(k + 4) != 3) ||
        be32(k + 8) != p->count)
      continue;
    p->data_end = p->pack.size - kHash;
    packs_.push_back(std::move(p));
  }
}

PackStore::~PackStore() = default;

std::shared_ptr<const PackStore> PackStore::open(const fs::path& git_dir) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const PackStore>> open;
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(git_dir, ec);
  std::string key = (ec ? git_dir : canonical).lexically_normal().string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();  // ".git/" and ".git" are one store
  std::lock_guard lock(mutex);
  if (auto alive = open[key].lock()) return alive;
  auto store = std::make_shared<const PackStore>(git_dir);
  open[key] = store;
  for (auto it = open.begin(); it != open.end();) it = it->second.expired() ? open.erase(it) : std::next(it);
  return store;
}

std::optional<PackStore::Where> PackStore::find(const git_oid& id) const {
  for (std::size_t i = 0; i < packs_.size(); ++i)
    if (auto off = packs_[i]->find(id)) return Where{static_cast<std::uint32_t>(i), *off};
  return std::nullopt;
}

PackReader::PackReader(const PackStore& store, std::size_t cache_bytes)
    : PackReader(store, std::make_shared<Cache>(cache_bytes)) {}

PackReader::PackReader(const PackStore& store, std::shared_ptr<Cache> cache)
    : store_(store), inflater_(libdeflate_alloc_decompressor()), cache_(std::move(cache)) {
  if (!inflater_) throw std::bad_alloc();
}

PackReader::~PackReader() { libdeflate_free_decompressor(inflater_); }

PackReader::BufferPtr PackReader::Cache::find(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void PackReader::Cache::add(std::uint64_t key, BufferPtr buffer) {
  std::lock_guard lock(mutex_);
  if (buffer->size > limit_ / 4 || index_.contains(key)) return;
  bytes_ += buffer->size;
  lru_.emplace_front(key, std::move(buffer));
  index_.emplace(key, lru_.begin());
  while (bytes_ > limit_ && !lru_.empty()) {
    bytes_ -= lru_.back().second->size;
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

PackReader::BufferPtr PackReader::cached(std::uint64_t key) { return cache_->find(key); }

void PackReader::remember(std::uint64_t key, BufferPtr buffer) {
  // Commits and tags are hardly ever delta bases: kept, they would only push out trees and blobs.
  if (buffer->type == GIT_OBJECT_COMMIT || buffer->type == GIT_OBJECT_TAG) return;
  cache_->add(key, std::move(buffer));
}

bool PackReader::inflate(const PackStore::Pack& pack, std::uint64_t at, char* out, std::size_t size, std::string& error) {
  const std::size_t avail = pack.data_end - at;
  if (size / kInflateRatio > avail) {
    error = "an entry states " + std::to_string(size) + " bytes, more than its compressed data can hold";
    return false;
  }
  char dummy = 0;
  std::size_t used = 0;
  // No actual-output pointer: libdeflate then requires exactly `size` bytes.
  const auto r = libdeflate_zlib_decompress_ex(inflater_, pack.pack.data + at, avail, size ? out : &dummy, size, &used, nullptr);
  if (r == LIBDEFLATE_SUCCESS) return true;
  error = r == LIBDEFLATE_SHORT_OUTPUT ? "the compressed data is shorter than the entry states"
          : r == LIBDEFLATE_INSUFFICIENT_SPACE ? "the compressed data is longer than the entry states"
                                               : "the compressed data is damaged";
  return false;
}

PackReader::Object PackReader::read(const git_oid& id, std::uint64_t max_size) {
  const auto where = store_.find(id);
  if (!where) return Object{};
  return read_at(*where, max_size);
}

PackReader::Object PackReader::read_at(PackStore::Where where, std::uint64_t max_size) {
  auto key = [](PackStore::Where w) { return (std::uint64_t{w.pack} << 40) | w.offset; };
  Object out;
  auto fail = [&](const PackStore::Pack& pack, std::uint64_t offset, std::string why) {
    out.status = Status::corrupt;
    out.error = pack.path.filename().string() + " at offset " + std::to_string(offset) + ": " + why;
    return out;
  };
  if (BufferPtr hit = cached(key(where))) {
    out.type = hit->type;
    out.size = hit->size;
    if (hit->size > max_size) {
      out.status = Status::too_large;
      return out;
    }
    current_ = std::move(hit);
    out.status = Status::ok;
    out.data = {current_->bytes.get(), current_->size};
    out.owner = current_;
    return out;
  }

  // Down the delta chain to a whole object or to a result in the cache.
  struct Step {
    PackStore::Where at;
    std::uint64_t data;  // the compressed delta
    std::uint64_t size;  // the delta's inflated size
  };
  std::vector<Step> chain;
  std::vector<char> top;  // the asked-for object's own delta, inflated once
  BufferPtr base;
  PackStore::Where at = where;
  for (;;) {
    const PackStore::Pack& pack = *store_.packs_[at.pack];
    const unsigned char* p = pack.pack.data;
    std::uint64_t o = at.offset;
    if (chain.size() > kMaxChain) return fail(pack, o, "a delta chain longer than " + std::to_string(kMaxChain));
    if (o >= pack.data_end) return fail(pack, o, "an offset past the end of the pack");
    unsigned c = p[o++];
    const unsigned type = (c >> 4) & 7;
    std::uint64_t size = c & 15;
    for (unsigned shift = 4; c & 0x80; shift += 7) {
      if (o >= pack.data_end || shift > 57) return fail(pack, at.offset, "a malformed entry header");
      c = p[o++];
      size |= std::uint64_t{c & 0x7fu} << shift;
    }
    if (type >= GIT_OBJECT_COMMIT && type <= GIT_OBJECT_TAG) {
      if (chain.empty() && size > max_size) {
        out.status = Status::too_large;
        out.type = static_cast<git_object_t>(type);
        out.size = size;
        return out;
      }
      if (size > kMaxObject) return fail(pack, at.offset, "an object of " + std::to_string(size) + " bytes");
      auto buffer = std::make_shared<Buffer>();
      buffer->bytes.reset(new char[size ? size : 1]);
      buffer->size = size;
      buffer->type = static_cast<git_object_t>(type);
      if (!inflate(pack, o, buffer->bytes.get(), size, out.error)) return fail(pack, at.offset, out.error);
      base = std::move(buffer);
      remember(key(at), base);
      break;
    }
    PackStore::Where next{at.pack, 0};
    if (type == GIT_OBJECT_OFS_DELTA) {
      if (o >= pack.data_end) return fail(pack, at.offset, "a malformed delta base offset");
      c = p[o++];
      std::uint64_t back = c & 127;
      while (c & 128) {
        if (o >= pack.data_end || back > (UINT64_MAX >> 7) - 1) return fail(pack, at.offset, "a malformed delta base offset");
        c = p[o++];
        back = ((back + 1) << 7) | (c & 127);
      }
      if (back == 0 || back > at.offset - 12) return fail(pack, at.offset, "a delta base outside the pack");
      next.offset = at.offset - back;
    } else if (type == GIT_OBJECT_REF_DELTA) {
      if (o + kHash > pack.data_end) return fail(pack, at.offset, "a truncated delta base id");
      git_oid base_id;
      std::memcpy(base_id.id, p + o, kHash);
      o += kHash;
      if (auto same = pack.find(base_id)) next.offset = *same;
      else if (auto other = store_.find(base_id)) next = *other;
      else return Object{};  // the base is elsewhere (a loose object): libgit2 reads this one
    } else {
      return fail(pack, at.offset, "an entry of unknown type " + std::to_string(type));
    }
    if (chain.empty()) {
      // The asked-for object is a delta: its size is in the delta's header.
      if (size > kMaxObject) return fail(pack, at.offset, "a delta of " + std::to_string(size) + " bytes");
      top.resize(size);
      if (!inflate(pack, o, top.data(), size, out.error)) return fail(pack, at.offset, out.error);
      const unsigned char* h = reinterpret_cast<const unsigned char*>(top.data());
      const unsigned char* h_end = h + top.size();
      std::uint64_t base_size = 0, result_size = 0;
      if (!delta_varint(h, h_end, base_size) || !delta_varint(h, h_end, result_size))
        return fail(pack, at.offset, "a malformed delta header");
      if (result_size > max_size) {
        out.status = Status::too_large;
        out.size = result_size;
        return out;
      }
    }
    chain.push_back(Step{at, o, size});
    at = next;
    if ((base = cached(key(at)))) break;
  }

  // Up the chain again, applying each delta to the result below it.
  for (std::size_t i = chain.size(); i-- > 0;) {
    const Step& step = chain[i];
    const PackStore::Pack& pack = *store_.packs_[step.at.pack];
    if (i > 0) {
      delta_.resize(step.size);
      if (!inflate(pack, step.data, delta_.data(), step.size, out.error)) return fail(pack, step.at.offset, out.error);
    }
    const std::vector<char>& delta = i > 0 ? delta_ : top;
    const unsigned char* d = reinterpret_cast<const unsigned char*>(delta.data());
    const unsigned char* end = d + delta.size();
    std::uint64_t base_size = 0, result_size = 0;
    if (!delta_varint(d, end, base_size) || !delta_varint(d, end, result_size))
      return fail(pack, step.at.offset, "a malformed delta header");
    if (base_size != base->size) return fail(pack, step.at.offset, "a delta for a base of another size");
    // One copy instruction of at most 4 bytes (opcode, 3 size bytes) makes at most 2^24 bytes.
    if (result_size > kMaxObject || result_size / 0x1000000 > delta.size())
      return fail(pack, step.at.offset, "a delta result of " + std::to_string(result_size) + " bytes");
    auto result = std::make_shared<Buffer>();
    result->bytes.reset(new char[result_size ? result_size : 1]);
    result->size = result_size;
    result->type = base->type;
    char* w = result->bytes.get();
    std::uint64_t left = result_size;
    const char* src = base->bytes.get();
    while (d < end) {
      const unsigned cmd = *d++;
      if (cmd & 0x80) {
        std::uint64_t off = 0, len = 0;
        for (unsigned b = 0; b < 4; ++b)
          if (cmd & (1u << b)) {
            if (d == end) return fail(pack, step.at.offset, "a truncated delta copy");
            off |= std::uint64_t{*d++} << (8 * b);
          }
        for (unsigned b = 0; b < 3; ++b)
          if (cmd & (0x10u << b)) {
            if (d == end) return fail(pack, step.at.offset, "a truncated delta copy");
            len |= std::uint64_t{*d++} << (8 * b);
          }
        if (len == 0) len = 0x10000;
        if (off > base->size || len > base->size - off || len > left)
          return fail(pack, step.at.offset, "a delta copy outside its base or result");
        std::memcpy(w, src + off, len);
        w += len;
        left -= len;
      } else if (cmd != 0) {
        if (cmd > static_cast<std::uint64_t>(end - d) || cmd > left)
          return fail(pack, step.at.offset, "a delta insert outside its data or result");
        std::memcpy(w, d, cmd);
        d += cmd;
        w += cmd;
        left -= cmd;
      } else {
        return fail(pack, step.at.offset, "a delta opcode 0 (reserved)");
      }
    }
    if (left != 0) return fail(pack, step.at.offset, "a delta shorter than the result it states");
    base = std::move(result);
    remember(key(step.at), base);
  }
  current_ = std::move(base);
  out.status = Status::ok;
  out.type = current_->type;
  out.size = current_->size;
  out.data = {current_->bytes.get(), current_->size};
  out.owner = current_;
  return out;
}

}  // namespace agent::checkout
