#pragma once
// Persistent "this blob, scanned with these rules, had no finding" verdicts under JIT_CACHE_DIR,
// so a blob one pipeline scanned is never read again by a later pipeline with the same rules.
// Only clean (or binary) verdicts are kept: a blob with findings is rescanned, so no secret and no
// finding ever reaches the disk. File format, bounds and corruption handling: docs/configuration.md.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agent::controls::secrets {

class VerdictCache {
 public:
  /// Records pending in memory past which add() appends them to the file itself (~2.9 MB).
  static constexpr std::size_t kAutoFlush = 1 << 16;
  /// Verdict files (one per rules hash) kept in a folder; the least recently used go first.
  static constexpr std::size_t kKeepFiles = 4;

  /// A disabled cache: contains() is always false, add() and flush() do nothing.
  VerdictCache();
  /// Flushes what is pending (never throws).
  ~VerdictCache();
  VerdictCache(VerdictCache&&) noexcept;
  VerdictCache& operator=(VerdictCache&&) noexcept;

  /// Opens the cache for `rules_hash` (hex, from Engine::rules_hash()) in `dir` (created when
  /// missing), loading its verdicts. `max_bytes` bounds the file. A corrupt or foreign file is
  /// removed and started afresh, with one line added to `warnings`; an unusable `dir` gives a
  /// disabled cache and one warning. Never throws for I/O.
  static VerdictCache open(const std::filesystem::path& dir, std::string_view rules_hash,
                           std::vector<std::string>& warnings, std::uint64_t max_bytes = 256ull << 20);

  /// False for a default-constructed cache or one whose folder was unusable.
  bool enabled() const;
  /// True when (oid, path_key) is known clean; `oid_len` is 20 (SHA-1) or 32 (SHA-256). Thread-safe.
  bool contains(const unsigned char* oid, std::size_t oid_len, std::string_view path_key) const;
  /// Records a clean verdict for (oid, path_key); appends to the file once kAutoFlush are pending. Thread-safe.
  void add(const unsigned char* oid, std::size_t oid_len, std::string_view path_key);
  /// Appends the pending verdicts to the file under an exclusive flock; a write error logs a
  /// warning and stops further writes, never throws. Thread-safe.
  void flush();
  /// Verdicts known: loaded plus added.
  std::size_t size() const;
  /// The verdict file ("" when disabled), for log lines.
  const std::filesystem::path& file() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace agent::controls::secrets
