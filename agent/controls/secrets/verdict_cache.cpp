#include "agent/controls/secrets/verdict_cache.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <utility>

#include "agent/controls/secrets/checksum.h"
#include "agent/util/hash.h"

namespace agent::controls::secrets {
namespace fs = std::filesystem;
namespace {

// File layout, little-endian. Header: magic, format version, record size, the rules hash
// (NUL-padded to 64 bytes), CRC-32 of those 80 bytes. Records: the oid (NUL-padded to 32 bytes),
// a 64-bit hash of the path key, CRC-32 of those 40 bytes.
constexpr std::string_view kMagic = "JITVRDCT";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHashField = 64;
constexpr std::size_t kHeaderSum = 16 + kHashField;  // header bytes its CRC covers
constexpr std::size_t kHeader = kHeaderSum + 4;
constexpr std::size_t kOidField = 32;
constexpr std::size_t kRecordSum = kOidField + 8;  // record bytes its CRC covers
constexpr std::size_t kRecord = kRecordSum + 4;
constexpr std::size_t kChunk = 4096;  // records per read while loading or copying: memory stays flat
constexpr std::size_t kShards = 16;   // lock shards: one worker's add rarely blocks another's lookup

using Record = std::array<unsigned char, kRecord>;
static_assert(sizeof(Record) == kRecord);
static_assert(std::endian::native == std::endian::little);  // x86-64 and arm64: fields are memcpy'd

std::uint32_t u32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint64_t u64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint32_t crc_of(const unsigned char* p, std::size_t n) {
  return crc32(std::string_view(reinterpret_cast<const char*>(p), n));
}
bool record_ok(const unsigned char* r) { return u32(r + kRecordSum) == crc_of(r, kRecordSum); }

std::string header_for(std::string_view rules_hash) {
  std::string bytes(kHeader, '\0');
  auto* p = reinterpret_cast<unsigned char*>(bytes.data());
  std::uint32_t fields[2] = {kVersion, kRecord};
  std::memcpy(p, kMagic.data(), kMagic.size());
  std::memcpy(p + 8, fields, sizeof fields);
  std::memcpy(p + 16, rules_hash.data(), rules_hash.size());
  std::uint32_t sum = crc_of(p, kHeaderSum);
  std::memcpy(p + kHeaderSum, &sum, 4);
  return bytes;
}

// Why a file of `bytes` starting with `found` is not ours (header `ours`); "" when it is.
std::string file_problem(std::uint64_t bytes, const std::string& found, const std::string& ours) {
  if (bytes < kHeader) return "shorter than its header";
  const auto* p = reinterpret_cast<const unsigned char*>(found.data());
  if (found.compare(0, kMagic.size(), kMagic) != 0) return "bad magic";
  if (u32(p + kHeaderSum) != crc_of(p, kHeaderSum)) return "bad header checksum";
  if (u32(p + 8) != kVersion || u32(p + 12) != kRecord) return "format version " + std::to_string(u32(p + 8));
  if (found != ours) return "written for other rules";
  if (auto stray = (bytes - kHeader) % kRecord) return "torn last record: " + std::to_string(stray) + " stray bytes";
  return "";
}

std::uint64_t hash64(std::string_view text) { return std::stoull(util::sha256_hex(text).substr(0, 16), nullptr, 16); }

// A cryptographic hash: path keys differ only by rule indices, where a weak 64-bit hash could let
// the verdict for one set of path rules answer for another.
std::uint64_t path_hash(std::string_view path_key) {
  static const std::uint64_t empty = hash64("");  // most blobs: no path-restricted rule applies
  return path_key.empty() ? empty : hash64(path_key);
}

// 128 bits per verdict in memory (the file keeps the whole oid): the oid's first 16 bytes with the
// path-key hash folded into the first half. Oids are cryptographic hashes, so two verdicts meet
// only when two blobs share a 128-bit oid prefix; one blob under two path keys never does.
struct Key {
  std::uint64_t a = 0, b = 0;
  bool operator==(const Key&) const = default;
  bool empty() const { return (a | b) == 0; }
};
Key key_of(const unsigned char* padded_oid, std::uint64_t path) { return {u64(padded_oid) ^ path, u64(padded_oid + 8)}; }
Key key_of(const unsigned char* record) { return key_of(record, u64(record + kOidField)); }

std::uint64_t mix(Key k) {
  std::uint64_t h = k.a ^ (k.b * 0x9E3779B97F4A7C15ull);
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

// Open addressing, linear probing, 16 bytes a slot at most 80% full: five million verdicts take
// ~130 MB, where a node-based set of strings would take several times that. An all-zero key
// marks an empty slot; such a verdict is simply not cached (a 2^-128 chance, costing one rescan).
class Table {
 public:
  bool contains(Key k, std::uint64_t h) const {
    if (slots_.empty()) return false;
    for (std::size_t i = home(h);; i = i + 1 == slots_.size() ? 0 : i + 1) {
      if (slots_[i] == k) return true;
      if (slots_[i].empty()) return false;
    }
  }
  bool insert(Key k, std::uint64_t h) {
    if (k.empty()) return false;
    if ((size_ + 1) * 5 > slots_.size() * 4) rehash(std::max<std::size_t>(64, slots_.size() * 3 / 2));
    std::size_t i = home(h);
    for (; !slots_[i].empty(); i = i + 1 == slots_.size() ? 0 : i + 1)
      if (slots_[i] == k) return false;
    slots_[i] = k;
    ++size_;
    return true;
  }
  void reserve(std::size_t n) {
    if (n * 3 > slots_.size() * 2) rehash(n * 3 / 2 + 64);
  }
  void clear() { *this = Table(); }
  void prefetch(std::uint64_t h) const { __builtin_prefetch(slots_.data() + home(h)); }

 private:
  // The hash's high 32 bits scaled to the table (a shard never nears 2^32 slots); its low bits pick the shard.
  std::size_t home(std::uint64_t h) const { return static_cast<std::size_t>(((h >> 32) * slots_.size()) >> 32); }
  void rehash(std::size_t capacity) {
    Table bigger;
    bigger.slots_.resize(capacity);
    for (const Key& k : slots_)
      if (!k.empty()) bigger.insert(k, mix(k));
    *this = std::move(bigger);
  }

  std::vector<Key> slots_;
  std::size_t size_ = 0;
};

struct alignas(64) Shard {
  mutable std::shared_mutex mutex;
  Table table;
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string errno_text() { return std::strerror(errno); }

bool read_at(int fd, void* buf, std::size_t n, std::uint64_t offset) {
  for (auto* p = static_cast<char*>(buf); n > 0;) {
    ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got, n -= static_cast<std::size_t>(got), offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

bool write_all(int fd, const void* buf, std::size_t n) {
  for (const auto* p = static_cast<const char*>(buf); n > 0;) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    p += put, n -= static_cast<std::size_t>(put);
  }
  return true;
}

std::uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// `file` opened (created when missing) and flocked with `op`. A rewrite renames a new file over
// the path between our open() and flock(): only a lock on the inode the path still names counts.
Fd open_locked(const fs::path& file, int op, std::string& error) {
  for (;;) {
    Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      error = errno_text();
      return fd;
    }
    int rc;
    do rc = ::flock(fd.get(), op);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      error = "flock: " + errno_text();
      return Fd();
    }
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) == 0 && ::stat(file.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
      return fd;
  }
}

// Each edit of the rules starts a verdict file: keep the most recently used few, and remove what
// an interrupted rewrite left behind.
void prune(const fs::path& dir, const fs::path& keep) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::vector<fs::path> stale;
  auto now = fs::file_time_type::clock::now();
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code time_ec;
    auto mtime = it->last_write_time(time_ec);
    if (name.rfind("verdicts-", 0) != 0 || time_ec) continue;
    if (name.find(".tmp.") != std::string::npos) {
      if (now - mtime > std::chrono::hours(1)) stale.push_back(it->path());
    } else if (it->path().extension() == ".bin" && it->path() != keep) {
      files.emplace_back(mtime, it->path());
    }
  }
  std::sort(files.begin(), files.end(), std::greater<>());
  for (std::size_t i = VerdictCache::kKeepFiles - 1; i < files.size(); ++i) stale.push_back(files[i].second);
  for (const auto& path : stale) fs::remove(path, ec);
}

}  // namespace

struct VerdictCache::State {
  fs::path file;
  std::string header;  // the exact bytes our file starts with
  std::uint64_t max_bytes = 0;
  std::array<Shard, kShards> shards;
  std::atomic<std::size_t> size{0};
  std::mutex pending_mutex;
  std::vector<Record> pending;  // added since the last flush
  std::mutex write_mutex;       // one flush at a time, so this cache's records keep their order
  std::atomic<bool> writable{true};

  Shard& shard(std::uint64_t h) { return shards[h % kShards]; }

  bool contains(Key k) const {
    std::uint64_t h = mix(k);
    const Shard& s = shards[h % kShards];
    std::shared_lock lock(s.mutex);
    return s.table.contains(k, h);
  }
  bool insert(Key k) {
    std::uint64_t h = mix(k);
    Shard& s = shard(h);
    std::unique_lock lock(s.mutex);
    if (!s.table.insert(k, h)) return false;
    ++size;
    return true;
  }
  void clear() {
    for (Shard& s : shards) s.table.clear();
    size = 0;
  }

  // Why the file as it is now cannot be appended to ("" when it can: empty, or whole and ours).
  std::string check(int fd, std::uint64_t bytes) const {
    std::string found(kHeader, '\0');
    if (bytes == 0) return "";
    if (bytes >= kHeader && !read_at(fd, found.data(), kHeader, 0)) return "read: " + errno_text();
    return file_problem(bytes, found, header);
  }

  // Verifies the whole file and fills the set; returns why it cannot be trusted ("" when it can).
  // Runs before the cache is shared with any thread, hence no shard locks.
  std::string load(int fd, std::uint64_t bytes) {
    if (std::string problem = check(fd, bytes); !problem.empty() || bytes == 0) return problem;
    std::uint64_t records = (bytes - kHeader) / kRecord;
    for (Shard& s : shards) s.table.reserve(records / kShards + records / kShards / 8);
    std::vector<unsigned char> chunk(kChunk * kRecord);
    std::vector<std::uint64_t> hashes(kChunk);
    for (std::uint64_t done = 0; done < records; done += kChunk) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, records - done));
      if (!read_at(fd, chunk.data(), n * kRecord, kHeader + done * kRecord)) return "read: " + errno_text();
      for (std::size_t i = 0; i < n; ++i) {
        if (!record_ok(chunk.data() + i * kRecord)) return "bad checksum in record " + std::to_string(done + i + 1);
        hashes[i] = mix(key_of(chunk.data() + i * kRecord));
      }
      // Slots are random memory: prefetching a few records ahead overlaps their cache misses.
      for (std::size_t i = 0; i < n; ++i) {
        if (i + 8 < n) shard(hashes[i + 8]).table.prefetch(hashes[i + 8]);
        if (shard(hashes[i]).table.insert(key_of(chunk.data() + i * kRecord), hashes[i])) ++size;
      }
    }
    return "";
  }

  // Starts the file afresh: just our header.
  std::string restart(int fd) const {
    if (::ftruncate(fd, 0) != 0 || !write_all(fd, header.data(), header.size())) return "cannot write: " + errno_text();
    return "";
  }

  // Replaces the file by its newest verdicts (the file's tail, then `batch`) filling half the bound:
  // half, so that the next flushes append again rather than rewrite every time. Records copied
  // from the file are checked again, as other jobs may have appended them after our load.
  std::string rewrite(int fd, std::uint64_t bytes, const std::vector<Record>& batch) const {
    std::uint64_t keep = std::max<std::uint64_t>(1, (max_bytes - kHeader) / kRecord / 2);
    std::uint64_t from_batch = std::min<std::uint64_t>(batch.size(), keep);
    std::uint64_t on_file = (bytes - kHeader) / kRecord;
    std::uint64_t from_file = std::min(on_file, keep - from_batch);
    fs::path tmp = file;
    tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(std::random_device{}());
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    bool ok = out.get() >= 0 && write_all(out.get(), header.data(), header.size());
    std::vector<unsigned char> chunk(kChunk * kRecord);
    for (std::uint64_t done = on_file - from_file; ok && done < on_file; done += kChunk) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, on_file - done));
      ok = read_at(fd, chunk.data(), n * kRecord, kHeader + done * kRecord);
      std::size_t kept = 0;
      for (std::size_t i = 0; ok && i < n; ++i)
        if (record_ok(chunk.data() + i * kRecord)) std::memmove(&chunk[kRecord * kept++], &chunk[kRecord * i], kRecord);
      ok = ok && write_all(out.get(), chunk.data(), kept * kRecord);
    }
    ok = ok && write_all(out.get(), batch.data() + (batch.size() - from_batch), from_batch * kRecord);
    ok = ok && ::close(out.release()) == 0;
    std::error_code ec;
    if (ok) fs::rename(tmp, file, ec);
    if (ok && !ec) return "";
    std::string why = ec ? ec.message() : errno_text();
    fs::remove(tmp, ec);
    return "cannot rewrite within " + std::to_string(max_bytes) + " bytes: " + why;
  }

  // Brings a file that open() found empty, damaged or oversized into shape, under the exclusive
  // lock; fills the set with what can be trusted. Returns an error when the file is unusable.
  std::string repair(int fd, std::vector<std::string>& warnings) {
    std::uint64_t bytes = file_size(fd);
    if (std::string problem = load(fd, bytes); !problem.empty()) {
      warnings.push_back("verdict cache " + file.string() + " is corrupt (" + problem + "): dropped");
      clear();
      return restart(fd);
    }
    if (bytes == 0) return restart(fd);
    if (bytes <= max_bytes) return "";
    if (std::string why = rewrite(fd, bytes, {}); !why.empty()) {
      warnings.push_back("verdict cache " + file.string() + ": " + why + "; new verdicts are not saved");
      writable = false;
    }
    return "";
  }

  // Appends `batch` under the exclusive lock; returns what went wrong ("" when nothing did).
  std::string append(const std::vector<Record>& batch) const {
    std::string error;
    Fd fd = open_locked(file, LOCK_EX, error);
    if (fd.get() < 0) return "cannot open: " + error;
    std::uint64_t bytes = file_size(fd.get());
    // Damaged since our load (a job killed mid-write): appending would only grow a file the next load drops.
    if (std::string problem = check(fd.get(), bytes); !problem.empty() || bytes == 0) {
      if (bytes) spdlog::warn("verdict cache {} is corrupt ({}): dropped", file.string(), problem);
      if (std::string why = restart(fd.get()); !why.empty()) return why;
      bytes = kHeader;
    }
    if (bytes + batch.size() * kRecord > max_bytes) return rewrite(fd.get(), bytes, batch);
    // Under the lock no reader sees half of this write; a failed one is cut off so the file stays whole.
    if (write_all(fd.get(), batch.data(), batch.size() * kRecord)) return "";
    error = "cannot append: " + errno_text();
    if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) error += " (and cannot cut the torn tail)";
    return error;
  }

  void flush() {
    std::vector<Record> batch;
    {
      std::lock_guard lock(pending_mutex);
      batch.swap(pending);
    }
    if (batch.empty() || !writable) return;
    std::lock_guard lock(write_mutex);
    if (std::string error = append(batch); !error.empty()) {
      spdlog::warn("verdict cache {}: {}; later verdicts are not saved", file.string(), error);
      writable = false;
    }
  }
};

VerdictCache::VerdictCache() = default;
VerdictCache::~VerdictCache() { flush(); }
VerdictCache::VerdictCache(VerdictCache&&) noexcept = default;
VerdictCache& VerdictCache::operator=(VerdictCache&&) noexcept = default;

VerdictCache VerdictCache::open(const fs::path& dir, std::string_view rules_hash, std::vector<std::string>& warnings,
                                std::uint64_t max_bytes) {
  VerdictCache cache;
  std::string why;
  std::error_code ec;
  if (rules_hash.empty() || rules_hash.size() > kHashField ||
      rules_hash.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    why = "rules hash '" + std::string(rules_hash) + "' is not lower-case hex";
  else if (max_bytes < kHeader + kRecord)
    why = "a bound of " + std::to_string(max_bytes) + " bytes holds no verdict";
  else if (fs::create_directories(dir, ec); ec)
    why = "cannot create " + dir.string() + ": " + ec.message();
  if (!why.empty()) {
    warnings.push_back("verdict cache disabled: " + why);
    return cache;
  }
  auto s = std::make_unique<State>();
  s->file = dir / ("verdicts-" + std::string(rules_hash.substr(0, 16)) + ".bin");
  s->header = header_for(rules_hash);
  s->max_bytes = max_bytes;
  // Jobs starting together read under a shared lock; only a repair takes the exclusive one, and
  // looks again, as another job may have repaired the file meanwhile.
  Fd fd = open_locked(s->file, LOCK_SH, why);
  std::uint64_t bytes = fd.get() < 0 ? 0 : file_size(fd.get());
  if (fd.get() >= 0 && (bytes == 0 || bytes > max_bytes || !s->load(fd.get(), bytes).empty())) {
    fd = Fd();
    s->clear();
    fd = open_locked(s->file, LOCK_EX, why);
    if (fd.get() >= 0) why = s->repair(fd.get(), warnings);
  }
  if (fd.get() < 0 || !why.empty()) {
    warnings.push_back("verdict cache disabled: cannot use " + s->file.string() + ": " + why);
    return cache;
  }
  (void)::futimens(fd.get(), nullptr);  // modification times order files for pruning: mark this one used
  fd = Fd();
  prune(dir, s->file);
  cache.state_ = std::move(s);
  return cache;
}

bool VerdictCache::enabled() const { return state_ != nullptr; }

bool VerdictCache::contains(const unsigned char* oid, std::size_t oid_len, std::string_view path_key) const {
  if (!state_ || oid_len == 0 || oid_len > kOidField) return false;
  unsigned char padded[16] = {};
  std::memcpy(padded, oid, std::min(oid_len, sizeof padded));
  return state_->contains(key_of(padded, path_hash(path_key)));
}

void VerdictCache::add(const unsigned char* oid, std::size_t oid_len, std::string_view path_key) {
  if (!state_ || oid_len == 0 || oid_len > kOidField) return;
  Record r{};
  std::memcpy(r.data(), oid, oid_len);
  std::uint64_t path = path_hash(path_key);
  std::memcpy(r.data() + kOidField, &path, 8);
  std::uint32_t sum = crc_of(r.data(), kRecordSum);
  std::memcpy(r.data() + kRecordSum, &sum, 4);
  if (!state_->insert(key_of(r.data())) || !state_->writable) return;
  bool full;
  {
    std::lock_guard lock(state_->pending_mutex);
    state_->pending.push_back(r);
    full = state_->pending.size() >= kAutoFlush;
  }
  if (full) state_->flush();
}

void VerdictCache::flush() {
  if (state_) state_->flush();
}

std::size_t VerdictCache::size() const { return state_ ? state_->size.load() : 0; }

const fs::path& VerdictCache::file() const {
  static const fs::path none;
  return state_ ? state_->file : none;
}

}  // namespace agent::controls::secrets
