#pragma once
// Objects read straight out of the repository's pack files, for the history scan's readers.
//
// libgit2 reads a packed object through its general object database: a lookup across backends,
// zlib inflating in small steps, a delta-base cache shared under a lock, and a fresh allocation
// and copy for every result. A history scan reads every blob once, in pack order, and that path
// was most of its time. This reader does the same work directly:
//   - the pack indexes (.idx version 2) and the packs are mapped once (PackStore, shared);
//   - an object is inflated in one call with libdeflate, into a buffer of the size its header
//     states (a stream that does not give exactly that size is refused as corrupt);
//   - deltas (OFS_DELTA and REF_DELTA) are applied with their bounds checked, and every object
//     resolved on the way is kept in a per-thread cache of recent results (PackReader), since
//     git writes a delta after its base and the readers go in pack order;
//   - nothing is hashed again (as with libgit2 without strict verification; git does it only in fsck).
// What it cannot read (a loose object, an index of another version, a damaged entry) it reports,
// and the caller reads that object through libgit2 instead: the results are the same either way.
#include <git2.h>

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct libdeflate_decompressor;

namespace agent::checkout {

/// The packs of a repository (and of its alternates), mapped read-only. Immutable once built, so
/// one store serves every reading thread.
class PackStore {
 public:
  /// Maps `git_dir`/objects/pack/*.pack with their .idx (and the alternates' packs). A pack whose
  /// index or header it cannot read is left out (its objects are then "missing" here).
  explicit PackStore(const std::filesystem::path& git_dir);
  ~PackStore();
  /// The store of `git_dir`, shared with every other user of it alive now (the walk, the pack
  /// order and the readers map each pack and index once between them), else a new one.
  static std::shared_ptr<const PackStore> open(const std::filesystem::path& git_dir);
  PackStore(const PackStore&) = delete;
  PackStore& operator=(const PackStore&) = delete;

  struct Where {
    std::uint32_t pack = 0;
    std::uint64_t offset = 0;
  };
  /// Where `id` lies, or nothing when no mapped pack holds it.
  std::optional<Where> find(const git_oid& id) const;
  std::size_t packs() const { return packs_.size(); }

 private:
  friend class PackReader;
  struct Pack;
  std::vector<std::unique_ptr<Pack>> packs_;
};

/// Reads objects from a PackStore. One per thread.
class PackReader {
  struct Buffer;
  using BufferPtr = std::shared_ptr<const Buffer>;

 public:
  /// The objects resolved (delta bases), the most recently used kept up to a size. Thread-safe:
  /// the readers of one scan share one, so a base one of them resolved serves the others.
  class Cache {
   public:
    explicit Cache(std::size_t limit_bytes) : limit_(limit_bytes) {}

   private:
    friend class PackReader;
    BufferPtr find(std::uint64_t key);
    void add(std::uint64_t key, BufferPtr buffer);
    std::mutex mutex_;
    std::size_t limit_;
    std::size_t bytes_ = 0;
    std::list<std::pair<std::uint64_t, BufferPtr>> lru_;  // most recent first
    std::unordered_map<std::uint64_t, std::list<std::pair<std::uint64_t, BufferPtr>>::iterator> index_;
  };

  /// `cache_bytes`: the most its own cache of resolved objects (delta bases) holds.
  explicit PackReader(const PackStore& store, std::size_t cache_bytes = std::size_t{48} << 20);
  /// A reader using a cache shared with other readers.
  PackReader(const PackStore& store, std::shared_ptr<Cache> cache);
  ~PackReader();
  PackReader(const PackReader&) = delete;
  PackReader& operator=(const PackReader&) = delete;

  enum class Status {
    ok,
    missing,    ///< in no mapped pack (a loose object, or a REF_DELTA base elsewhere)
    too_large,  ///< its size is above the limit: not inflated
    corrupt,    ///< the pack entry cannot be read as stored (error says why)
  };
  struct Object {
    Status status = Status::missing;
    git_object_t type = GIT_OBJECT_INVALID;
    std::uint64_t size = 0;  ///< also set for too_large
    std::string_view data;   ///< valid until the next read(), or as long as `owner` is kept
    std::shared_ptr<const void> owner;
    std::string error;
  };
  /// Reads `id`. An object larger than `max_size` bytes is reported as too_large without being
  /// inflated (for a delta, only the delta itself is inflated to learn the size).
  Object read(const git_oid& id, std::uint64_t max_size = UINT64_MAX);

 private:
  struct Buffer {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
  };
  Object read_at(PackStore::Where where, std::uint64_t max_size);
  BufferPtr cached(std::uint64_t key);
  void remember(std::uint64_t key, BufferPtr buffer);
  bool inflate(const PackStore::Pack& pack, std::uint64_t at, char* out, std::size_t size, std::string& error);

  const PackStore& store_;
  libdeflate_decompressor* inflater_ = nullptr;
  std::shared_ptr<Cache> cache_;
  BufferPtr current_;            // what the last read() returned
  std::vector<char> delta_;      // the delta being applied
};

}  // namespace agent::checkout
