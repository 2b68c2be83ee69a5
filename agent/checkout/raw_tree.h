#pragma once
// Trees as stored, for the history walk: the entries of a tree object in their stored order,
// pointing into the object's bytes, read straight from the packs (PackReader) with libgit2 for
// what they do not hold. A history walk reads millions of trees once each; libgit2's git_tree
// costs an object-database lookup, zlib inflating, an allocation per tree and a copy of every
// name, which was most of the walk's time.
#include <git2.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/checkout/git.h"
#include "agent/checkout/oid_set.h"
#include "agent/checkout/pack_reader.h"

namespace agent::checkout {

static_assert(sizeof(git_oid) == 20, "SHA-1 object ids: tree entries point into the tree's bytes");

class RawTree {
 public:
  struct Entry {
    std::string_view name;
    const git_oid* id = nullptr;
    std::uint32_t mode = 0;  ///< as stored
    std::uint32_t start = 0; ///< where the entry begins in the tree's bytes

    bool is_tree() const { return (mode & 0170000u) == 0040000u; }
    /// As git_tree_entry_type: a submodule (gitlink) is a commit, a folder a tree, else a blob.
    git_object_t type() const;
    /// As git_tree_entry_filemode: the stored mode normalized to one of git's five modes.
    git_filemode_t filemode() const;
  };

  /// Parses the tree `id` from its bytes (kept alive by `owner`). Throws nothing: on malformed
  /// data returns null and sets `error`. `like`, when given, is a tree of similar content (the
  /// same folder in the next commit): the entries in the bytes both begin with, and in those they
  /// both end with, are taken from it instead of parsed, and shared_with() tells a diff to skip them.
  static std::unique_ptr<RawTree> parse(const git_oid& id, std::shared_ptr<const void> owner, std::string_view data,
                                        std::string& error, const RawTree* like = nullptr);

  const git_oid& id() const { return id_; }
  const std::vector<Entry>& entries() const { return entries_; }
  /// When this tree was parsed like `other`: how many of its first and last entries are the
  /// same (mode, name, id) as `other`'s first and last ones. {0, 0} otherwise.
  std::pair<std::size_t, std::size_t> shared_with(const RawTree& other) const {
    if (!has_like_ || !git_oid_equal(&like_, &other.id_)) return {0, 0};
    return {same_prefix_, same_suffix_};
  }
  /// git's tree order (as git_tree_entry_cmp): names by bytes, a folder's as if it ended in '/'.
  static int compare(const Entry& a, const Entry& b);

 private:
  git_oid id_{};
  std::shared_ptr<const void> owner_;
  std::string_view data_;
  std::vector<Entry> entries_;
  bool has_like_ = false;
  git_oid like_{};
  std::size_t same_prefix_ = 0, same_suffix_ = 0;
};
using RawTreePtr = std::unique_ptr<RawTree>;

/// Reads trees for one thread: from the packs directly, else through libgit2 (loose objects).
class TreeSource {
 public:
  TreeSource(git_repository* repo, std::size_t cache_bytes);
  /// The tree `id`, or null when it cannot be read or is not a tree (error() says why); `like`
  /// as for RawTree::parse.
  RawTreePtr tree(const git_oid& id, const RawTree* like = nullptr);
  /// The tree and first parent (none for a root commit, or a shallow clone's boundary commit, as
  /// libgit2 gives them) of the commit `id`; false when it cannot be read (error() says why).
  bool commit(const git_oid& id, git_oid& tree, std::optional<git_oid>& first_parent);
  const std::string& error() const { return error_; }

 private:
  /// The object `id` as stored: from the packs, else through libgit2.
  bool read(const git_oid& id, git_object_t want, std::shared_ptr<const void>& owner, std::string_view& data);

  git_repository* repo_;
  bool grafted_ = false;  // info/grafts: commits as libgit2 reads them
  OidSet shallow_;        // a shallow clone's boundary commits: no parents
  std::shared_ptr<const PackStore> store_;
  PackReader reader_;
  OdbPtr odb_;
  std::string error_;
};

}  // namespace agent::checkout
