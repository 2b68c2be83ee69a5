#pragma once
// The blobs of a repository's history, each once: one walk of the commit graph, oldest commit
// first, reading only trees; a tree or blob id met before is skipped, so a blob is attributed to
// the first commit (in topological order) whose tree holds it, at the path it had there. Worker
// threads read the blobs while the walk goes on. Commits, trees and blobs come straight from the
// pack files (PackReader, RawTree), with libgit2 for loose objects and what the reader refuses.
#include <git2.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/checkout/git.h"
#include "agent/checkout/oid_set.h"
#include "agent/checkout/raw_tree.h"

namespace agent::checkout {

/// Which commits a history walk covers: those reachable from `include` (every ref and HEAD when
/// empty) and not from `exclude`. Blobs already in the trees of excluded commits are not new.
struct HistoryRange {
  std::vector<std::string> include;  ///< revisions (refs, shas); empty: all refs and HEAD
  std::vector<std::string> exclude;  ///< revisions whose history is already scanned
};

/// "A..B" -> include B, exclude A; "A...B" is refused; "B" alone -> include B. Throws
/// util::UsageError naming the text when malformed.
HistoryRange parse_range(std::string_view text);

/// A blob the walk found: its id, the oldest commit (index into HistoryWalk::commits()) that
/// introduced it, and the class its path there was given.
struct WalkedBlob {
  git_oid id;
  std::uint32_t commit = 0;
  std::uint16_t path_class = 0;
};

/// Who made a commit, for attribution.
struct CommitSummary {
  std::string sha;
  std::string author_name;
  std::string author_email;
  std::string date;     ///< author time, RFC 3339 UTC
  std::string summary;  ///< first line of the message, at most 200 bytes
};

/// Counters of a walk (read after it ends, or concurrently: they are atomics).
struct HistoryCounters {
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> trees{0};
  std::atomic<std::uint64_t> blobs{0};           ///< unique blobs handed out
  std::atomic<std::uint64_t> pruned{0};          ///< tree entries skipped by `keep_path`
  std::atomic<bool> walk_done{false};
};

class HistoryWalk {
 public:
  /// Resolves `range` in `repo` (every revision must exist: util::UsageError names the first that
  /// does not). `keep_path` decides, before anything under it is read, whether a path (a folder
  /// or a file, repository-relative) is walked; folders it refuses are pruned.
  HistoryWalk(git_repository* repo, const HistoryRange& range, std::function<bool(std::string_view path, bool is_dir)> keep_path);

  /// Walks the commits newest first, comparing each tree with its first parent's (as `git log`
  /// does, so each tree is read right after the one it is stored as a delta of): a blob that
  /// differs from the parent's at its path is introduced there. Returns every blob introduced in
  /// range and not in the excluded side's trees, once, with its oldest introduction; `classify`
  /// gives that path's class (it is called for every introduction). `first_seen`, when given, is
  /// called as the walk goes with each blob the first time it is introduced (its newest
  /// introduction: the returned list may give it an older commit and another class), so that
  /// blobs can be read while the walk goes on.
  std::vector<WalkedBlob> run(const std::function<std::uint16_t(std::string_view path)>& classify,
                              const std::function<void(const WalkedBlob&)>& first_seen = {});

  /// The commits the range resolves to now (sorted, every ref for an empty range), as text: two
  /// walks with the same key see the same history.
  std::string range_key() const;
  /// Takes the commits of an earlier run() of the same range_key() instead of walking again, so
  /// describe() and find_path() work on the blobs that run returned.
  void restore(std::vector<git_oid> commits);

  /// The commits walked, oldest first (valid after run()).
  const std::vector<git_oid>& commits() const { return commits_; }
  /// Author, date and summary of commit `index` (looked up on demand).
  CommitSummary describe(std::uint32_t index) const;
  /// The path at which commit `index` introduced `blob` (differs from its first parent's there;
  /// pruned as the walk prunes); "" when it holds no such path.
  std::string find_path(std::uint32_t index, const git_oid& blob) const;
  HistoryCounters& counters() { return counters_; }

 private:
  std::pair<std::vector<git_oid>, std::vector<git_oid>> resolved() const;
  void mark_tree(const RawTree& tree);
  /// Records the blobs of `tree` that differ from `parent`'s; true when no path below was pruned.
  bool diff_tree(const RawTree& tree, const RawTree* parent, std::string& prefix, std::uint32_t commit,
                 const std::function<std::uint16_t(std::string_view)>& classify,
                 const std::function<void(const WalkedBlob&)>& first_seen);
  git_tree* parent_tree(std::uint32_t index) const;
  /// The tree `id`: one the previous commit read as its parent's (walking newest first, the
  /// parent is the next commit), else read from the repository; null when it cannot be read.
  /// `like`: a tree of similar content, to parse it faster (RawTree::parse).
  RawTreePtr take_tree(const git_oid& id, const RawTree* like = nullptr);
  /// Keeps a tree read as a parent's for the next commit, which is that parent.
  void keep_tree(RawTreePtr tree);

  git_repository* repo_;
  HistoryRange range_;
  std::function<bool(std::string_view path, bool is_dir)> keep_path_;
  std::vector<git_oid> commits_;
  OidSet excluded_;     // blobs and trees of the excluded side
  OidMap introduced_;   // blob -> oldest introduction so far
  std::unique_ptr<TreeSource> trees_;  // during run()
  bool pack_backend_ = false;          // add_pack_backend() done on repo_
  std::vector<RawTreePtr> reuse_prev_, reuse_cur_;
  // (tree id, parent subtree id) pairs diffed whole in the current commit, and how many trees it
  // diffed: a tree that repeats one subtree at many paths is walked once per distinct pair.
  std::unordered_set<std::string> diffed_this_commit_;
  std::uint64_t trees_this_commit_ = 0;
  static constexpr std::uint64_t kMaxTreesPerCommit = std::uint64_t{1} << 22;
  HistoryCounters counters_;
};

/// What read_blobs() tells its callers, per blob (by its index in the caller's list).
struct BlobReader {
  /// The content of a blob no larger than the limit.
  std::function<void(unsigned worker, std::size_t index, std::string_view data)> consume;
  /// A blob over the limit: its size, read from the pack header; the content is never inflated.
  std::function<void(unsigned worker, std::size_t index, std::uint64_t size)> too_large;
  /// A blob the repository does not have (a partial clone) or cannot inflate: libgit2's message.
  std::function<void(unsigned worker, std::size_t index, const std::string& message)> unreadable;
};

/// Reads `count` blobs, `id_at(i)` for i in [0, count), in that order (sort them by PackOrder
/// first), in chunks shared out to `jobs` threads, each with its own handle on the repository at
/// `git_dir`. The first exception of any callback stops every thread and is rethrown.
void read_blobs(const std::string& git_dir, unsigned jobs, std::uint64_t max_size, std::size_t count,
                const std::function<const git_oid&(std::size_t)>& id_at, const BlobReader& reader);

/// The blobs of read_blob_stream(), in chunks: `take` fills `chunk` with the next (index, id)
/// pairs to read in order (sorted by PackOrder), blocking while none are ready yet, and returns
/// false once there are no more. It is called from every reading thread.
using BlobChunkSource = std::function<bool(std::vector<std::pair<std::size_t, git_oid>>& chunk)>;

/// read_blobs() over blobs listed while they are read (a history walk listing them as it goes):
/// `jobs` threads take chunks from `take` until it has no more. The first exception of any
/// callback stops every thread and is rethrown; `on_failure` is called then, before waiting for
/// the other threads, so that a `take` blocked for more blobs returns false.
void read_blob_stream(const std::string& git_dir, unsigned jobs, std::uint64_t max_size, const BlobChunkSource& take,
                      const BlobReader& reader, const std::function<void()>& on_failure = {});

}  // namespace agent::checkout
