#pragma once
// Where objects lie in the repository's pack files, read from the pack indexes (.idx version 2).
// Reading blobs in pack order is what makes a history scan fast: git writes a delta right after
// (or near) its base, so the readers' delta-base cache then resolves chains from memory instead of
// inflating them again for every blob, and the disk is read forwards.
#include <git2.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "agent/checkout/pack_reader.h"

namespace agent::checkout {

class PackOrder {
 public:
  /// Loads the indexes of `git_dir`/objects/pack (and of its alternates' packs). An index it cannot
  /// read is skipped (its objects then sort last, as loose objects do): order only affects speed.
  explicit PackOrder(const std::filesystem::path& git_dir) : store_(PackStore::open(git_dir)) {}
  /// A sort key: (pack number << 40) | offset in the pack; objects in no pack sort last.
  std::uint64_t key(const git_oid& id) const {
    const auto where = store_->find(id);
    return where ? (std::uint64_t{where->pack} << 40) | (where->offset & ((std::uint64_t{1} << 40) - 1)) : ~std::uint64_t{0};
  }
  std::size_t packs() const { return store_->packs(); }

 private:
  std::shared_ptr<const PackStore> store_;
};

}  // namespace agent::checkout
