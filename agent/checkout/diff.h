#pragma once
// What an MR adds, computed with libgit2 on the fetched mirror: the merge-base..head diff with
// added line numbers per file, and the added lines of every commit (so a secret added in one
// commit and removed in a later one is still seen), in a shape the secrets engine scans directly.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <git2.h>

namespace agent::checkout {

/// Lines [start, start + count) of the new version (1-based).
struct LineRange {
  int start = 0;
  int count = 0;
};

/// One changed file in a diff.
struct FileDiff {
  std::string old_path;
  std::string new_path;            ///< == old_path unless renamed; the path of the new version
  char status = 'M';               ///< A added, M modified, D deleted, R renamed, T type change
  bool binary = false;
  std::vector<LineRange> added;    ///< added lines in the new version, ascending
  /// True when `line` (1-based, new version) was added by this diff.
  bool adds_line(int line) const;
};

/// Added lines of one file in one commit: `text` holds only those lines, each ending in '\n',
/// and `lines[i]` is the 1-based line number, in `commit`'s version of `path`, of text line i+1.
/// So a finding at text line L (1-based) is at (path, lines[L-1]) in commit.
struct AddedText {
  std::string path;
  std::string commit;              ///< sha of the commit whose version the line numbers refer to
  std::string text;
  std::vector<int> lines;
  /// The line in the commit's version for 1-based `text_line`; 0 when out of range.
  int line_at(int text_line) const;
};

/// Repository-relative folder filter: "" or "/" = everything; "/svc-a" and "svc-a/" both mean
/// the folder svc-a and everything below it.
class FolderFilter {
 public:
  FolderFilter() = default;
  explicit FolderFilter(const std::vector<std::string>& folders);
  /// True when `path` ('/'-separated, repository-relative) is inside one of the folders.
  bool contains(std::string_view path) const;
  bool all() const { return prefixes_.empty(); }
  /// The folders without leading/trailing '/', e.g. {"svc-a", "libs/x"}; empty = everything.
  const std::vector<std::string>& folders() const { return prefixes_; }

 private:
  std::vector<std::string> prefixes_;
};

/// Limits that keep a huge MR from blowing up memory.
struct DiffLimits {
  std::uint64_t max_file_bytes = 10ull << 20;  ///< larger blobs are skipped (counted)
  std::size_t max_commits = 1000;              ///< commits beyond this (newest kept) are skipped
};

/// The merge base of two commits, or nullopt when they share no history (or it is not fetched).
std::optional<std::string> merge_base(git_repository* repo, std::string_view a, std::string_view b);

/// The files changed from `from` to `to` (commit shas; "" `from` = empty tree), with the lines
/// added per file, restricted to `filter`. Renames are detected.
std::vector<FileDiff> diff_files(git_repository* repo, std::string_view from, std::string_view to,
                                 const FolderFilter& filter = {});

/// The commits reachable from `head` and not from `base`, oldest first, merges excluded
/// (a merge commit's first-parent diff repeats the target branch's changes).
std::vector<std::string> commits_between(git_repository* repo, std::string_view base,
                                         std::string_view head, std::size_t max_commits = 1000);

/// The added lines of every non-merge commit in base..head, one AddedText per (commit, file),
/// oldest commit first; binary files and files over the size limit are left out.
std::vector<AddedText> added_lines_per_commit(git_repository* repo, std::string_view base,
                                              std::string_view head, const FolderFilter& filter = {},
                                              const DiffLimits& limits = {});

/// The added lines of the single diff from `from` to `to`, one AddedText per file, line
/// numbers in `to`'s version (commit = `to`).
std::vector<AddedText> added_lines(git_repository* repo, std::string_view from, std::string_view to,
                                   const FolderFilter& filter = {}, const DiffLimits& limits = {});

/// One file of a commit's tree.
struct TreeFile {
  std::string path;
  git_oid blob{};
  std::uint64_t size = 0;
  bool executable = false;
};

/// Every regular file of `commit`'s tree inside `filter` (symlinks and submodules skipped),
/// sorted by path, for `scope: full` scans of the mirror without a checkout.
std::vector<TreeFile> list_files(git_repository* repo, std::string_view commit,
                                 const FolderFilter& filter = {});

/// The content of `path` in `commit`; nullopt when the path is not a file there.
std::optional<std::string> read_file(git_repository* repo, std::string_view commit,
                                     std::string_view path);
/// The content of a blob by id.
std::string read_blob(git_repository* repo, const git_oid& blob);

}  // namespace agent::checkout
