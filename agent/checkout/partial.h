#pragma once
// A partial mirror holds every commit and tree but only the blobs that are read: the selected
// folders, the top-level files and .jit/ of the scanned commit, and both sides of every file
// the MR changes. These helpers say which blobs that is and check that they are there.
// Internal to checkout/.
#include <git2.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/checkout/diff.h"

namespace agent::checkout {

/// What a partial mirror materialises of a commit: `folders` (empty = everything), plus files at
/// the top level and under .jit/ (the repository's own configuration).
class Materialized {
 public:
  explicit Materialized(const std::vector<std::string>& folders) : folders_(folders) {}
  bool all() const { return folders_.all(); }
  bool contains(std::string_view path) const;
  /// True when a folder at `path` may hold materialised files (to prune tree walks).
  bool may_contain_below(std::string_view dir) const;

 private:
  FolderFilter folders_;
};

/// Blobs to have locally: the files of `head` in `what`, and both sides of every change in
/// merge_base..head (each commit, and the whole range) when `merge_base` is set. Only those the
/// object database lacks are returned, without duplicates.
std::vector<git_oid> missing_blobs(git_repository* repo, const std::string& head, const std::string& merge_base,
                                   const Materialized& what);

/// "" when every tree of `sha` is readable and every blob in `what` is present; else the problem.
std::string check_commit_objects(git_repository* repo, const std::string& sha, const Materialized& what);

/// Files and folders a full walk of `sha`'s tree would visit, a subtree that appears at several
/// paths counted at each (a repeated-subtree "tree bomb" of a few hundred objects expands to
/// billions), counted in one pass over the distinct trees; stops past `limit` (returns more than
/// it). Trees the mirror lacks count as empty.
std::uint64_t expanded_tree_size(git_repository* repo, const std::string& sha, std::uint64_t limit);

/// The pack files (".pack") in the mirror, by name.
std::vector<std::string> list_packs(const std::filesystem::path& git_dir);
/// Marks packs that are not in `before` as promisor packs (an empty ".promisor" next to them), as
/// git does for filtered fetches: `git fsck` then accepts the blobs they leave out.
void mark_promisor_packs(const std::filesystem::path& git_dir, const std::vector<std::string>& before);

/// Whether the mirror was filled with filtered (blob-less) fetches; kept in its config.
bool is_partial(git_repository* repo);
void mark_partial(git_repository* repo);

}  // namespace agent::checkout
