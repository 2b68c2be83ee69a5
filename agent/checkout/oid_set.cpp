#include "agent/checkout/oid_set.h"

#include <algorithm>
#include <cstring>

namespace agent::checkout {
namespace {

bool is_zero(const unsigned char* key, std::size_t n) {
  return std::all_of(key, key + n, [](unsigned char c) { return c == 0; });
}

std::uint64_t hash_of(const unsigned char* key) {
  std::uint64_t h;
  std::memcpy(&h, key, sizeof h);  // an object id is already uniformly distributed
  return h;
}

}  // namespace

std::size_t OidSet::find(const unsigned char* key) const {
  const std::size_t mask = capacity_ - 1;
  for (std::size_t i = hash_of(key) & mask;; i = (i + 1) & mask) {
    const unsigned char* slot = &slots_[i * kKey];
    if (is_zero(slot, kKey) || std::memcmp(slot, key, kKey) == 0) return i;
  }
}

void OidSet::grow() {
  std::vector<unsigned char> old = std::move(slots_);
  const std::size_t old_capacity = capacity_;
  capacity_ = capacity_ ? capacity_ * 2 : 1024;
  slots_.assign(capacity_ * kKey, 0);
  for (std::size_t i = 0; i < old_capacity; ++i) {
    const unsigned char* key = &old[i * kKey];
    if (!is_zero(key, kKey)) std::memcpy(&slots_[find(key) * kKey], key, kKey);
  }
}

bool OidSet::insert(const git_oid& id) {
  if (is_zero(id.id, kKey)) {
    const bool added = !has_zero_;
    has_zero_ = true;
    return added;
  }
  if ((size_ + 1) * 10 > capacity_ * 7) grow();  // load factor <= 0.7
  unsigned char* slot = &slots_[find(id.id) * kKey];
  if (!is_zero(slot, kKey)) return false;
  std::memcpy(slot, id.id, kKey);
  ++size_;
  return true;
}

bool OidSet::contains(const git_oid& id) const {
  if (is_zero(id.id, kKey)) return has_zero_;
  if (capacity_ == 0) return false;
  return !is_zero(&slots_[find(id.id) * kKey], kKey);
}

}  // namespace agent::checkout

namespace agent::checkout {

void OidMap::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  size_ = 0;
  for (const auto& s : old)
    if (s.used) set(s.id, Value{s.commit, s.path_class});
}

bool OidMap::set(const git_oid& id, Value value) {
  if ((size_ + 1) * 10 > slots_.size() * 7) grow();
  const std::size_t mask = slots_.size() - 1;
  std::uint64_t h;
  std::memcpy(&h, id.id, sizeof h);
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (!s.used) {
      s = Slot{id, value.commit, value.path_class, true};
      ++size_;
      return true;
    }
    if (git_oid_equal(&s.id, &id)) {
      s.commit = value.commit;
      s.path_class = value.path_class;
      return false;
    }
  }
}

}  // namespace agent::checkout
