#pragma once
// A set of object ids in one flat table (open addressing): ~2.5x the ids' own size, where a
// node-based set would take ~4x more. Object ids are hash outputs, so their first bytes index it.
#include <git2.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace agent::checkout {

class OidSet {
 public:
  /// Adds `id`; true when it was not there yet.
  bool insert(const git_oid& id);
  /// True when `id` is in the set.
  bool contains(const git_oid& id) const;
  std::size_t size() const { return size_ + (has_zero_ ? 1 : 0); }
  /// Bytes the table holds (for memory figures).
  std::size_t memory() const { return slots_.size(); }

 private:
  static constexpr std::size_t kKey = sizeof(git_oid::id);
  std::size_t find(const unsigned char* key) const;  // slot holding `key`, or the empty slot to use
  void grow();

  std::vector<unsigned char> slots_;  // capacity * kKey bytes; an all-zero slot is empty
  std::size_t capacity_ = 0;          // a power of two
  std::size_t size_ = 0;
  bool has_zero_ = false;             // the all-zero id, which cannot be stored in a slot
};

}  // namespace agent::checkout

namespace agent::checkout {

/// Object id -> (commit index, path class), in one flat table like OidSet.
class OidMap {
 public:
  struct Value {
    std::uint32_t commit = 0;
    std::uint16_t path_class = 0;
  };
  /// Sets the value of `id` (inserting it when new); true when it was not there yet.
  bool set(const git_oid& id, Value value);
  /// Calls `f(id, value)` for every entry, in table order.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.used) f(s.id, Value{s.commit, s.path_class});
  }
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    git_oid id;
    std::uint32_t commit;
    std::uint16_t path_class;
    bool used;
  };
  void grow();
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace agent::checkout
