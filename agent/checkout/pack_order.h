#pragma once
// Where objects lie in the repository's pack files, read from the pack indexes (.idx version 2).
// Reading blobs in pack order is what makes a history scan fast: git writes a delta right after
// (or near) its base, so libgit2's delta-base cache then resolves chains from memory instead of
// inflating them again for every blob, and the disk is read forwards.
#include <git2.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace agent::checkout {

class PackOrder {
 public:
  /// Loads the indexes of `git_dir`/objects/pack (and of its alternates' packs). An index it cannot
  /// read is skipped (its objects then sort last, as loose objects do): order only affects speed.
  explicit PackOrder(const std::filesystem::path& git_dir);
  /// A sort key: (pack number << 40) | offset in the pack; objects in no pack sort last.
  std::uint64_t key(const git_oid& id) const;
  std::size_t packs() const { return packs_.size(); }

 private:
  struct Index {
    std::vector<unsigned char> data;  // the whole .idx file
    std::uint32_t count = 0;
  };
  std::vector<Index> packs_;
};

}  // namespace agent::checkout
