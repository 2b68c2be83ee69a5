#pragma once
// The blobs of a repository's history, each once: one walk of the commit graph, oldest commit
// first, reading only trees; a tree or blob id met before is skipped, so a blob is attributed to
// the first commit (in topological order) whose tree holds it, at the path it had there. Worker
// threads then read the blobs, each with its own repository handle.
#include <git2.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/checkout/oid_set.h"

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

/// One blob to read: its id, its path in `commit` (repository-relative), the commit's index in
/// HistoryWalk::commits().
struct HistoryBlob {
  git_oid id;
  std::string path;
  std::uint32_t commit = 0;
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

  /// Walks every commit, oldest first, calling `on_blob` once per blob id not seen before (and not
  /// in an excluded commit's tree). Stops early when `on_blob` returns false.
  void run(const std::function<bool(HistoryBlob&&)>& on_blob);

  /// The commits walked, oldest first (valid after run()).
  const std::vector<git_oid>& commits() const { return commits_; }
  /// Author, date and summary of commit `index` (looked up on demand).
  CommitSummary describe(std::uint32_t index) const;
  HistoryCounters& counters() { return counters_; }

 private:
  bool walk_tree(const git_tree* tree, std::string& prefix, std::uint32_t commit,
                 const std::function<bool(HistoryBlob&&)>* on_blob, bool& complete);

  git_repository* repo_;
  HistoryRange range_;
  std::function<bool(std::string_view path, bool is_dir)> keep_path_;
  std::vector<git_oid> commits_;
  OidSet seen_;
  HistoryCounters counters_;
  bool stop_ = false;
};

/// Reads `blob` ids handed out by a producer on `jobs` threads, each with its own handle on the
/// repository at `git_dir`. `consume(worker, blob, data)` gets the content of every blob no larger
/// than `max_size`; `skipped(worker, blob, size)` is told of the larger ones (their content is
/// never inflated). `produce(push)` runs on the calling thread and pushes blobs; the queue between
/// them is bounded, so memory does not grow with the repository. The first exception of any
/// thread stops everything and is rethrown.
void read_blobs(const std::string& git_dir, unsigned jobs, std::uint64_t max_size,
                const std::function<void(const std::function<bool(HistoryBlob&&)>& push)>& produce,
                const std::function<void(unsigned worker, const HistoryBlob& blob, std::string_view data)>& consume,
                const std::function<void(unsigned worker, const HistoryBlob& blob, std::uint64_t size)>& skipped);

}  // namespace agent::checkout
