#pragma once
// Working around libgit2 1.8's shallow negotiation over stateless HTTP: with a depth, the reply
// to each batch of 20 "have" lines starts with a shallow section that libgit2 does not expect
// after the first request, and the fetch fails ("incomplete pack header"). A fetch that sends
// fewer than 20 haves completes in one request. So, before a shallow fetch into a warm mirror,
// the visible history is cut (temporarily marked shallow) to at most 19 commits, newest and ref
// tips first; the server then at worst re-sends a few objects we have. After the fetch the
// shallow list is rebuilt from the facts: a commit stays shallow only while one of its parents
// is missing from the object database. Internal to checkout/.
#include <filesystem>
#include <string>
#include <vector>

#include <git2.h>

namespace agent::checkout {

/// Commits listed in `<git_dir>/shallow`.
std::vector<git_oid> read_shallow_file(const std::filesystem::path& git_dir);
/// Replaces `<git_dir>/shallow` atomically (a new inode, so libgit2 notices); removes it when empty.
void write_shallow_file(const std::filesystem::path& git_dir, const std::vector<git_oid>& commits);

/// Brackets one fetch: remembers the shallow list, optionally cuts the history visible from the
/// refs to at most `max_haves` commits, and afterwards rebuilds the list from the union of what
/// it was, what was cut and what libgit2 wrote (libgit2 1.8 may write only the server's new
/// boundaries and drop the old ones), keeping the commits that really lack a parent.
class ShallowMask {
 public:
  ShallowMask(git_repository* repo, const std::filesystem::path& git_dir, bool mask, std::size_t max_haves = 19);
  /// Puts the original list back if finish() was not called (the fetch failed).
  ~ShallowMask();
  ShallowMask(const ShallowMask&) = delete;
  ShallowMask& operator=(const ShallowMask&) = delete;

  /// After a successful fetch: keeps only commits that really lack a parent. Returns how many
  /// commits the mask had cut temporarily (0 = the history was short enough already).
  std::size_t finish();
  std::size_t masked() const { return masked_; }

 private:
  git_repository* repo_;
  std::filesystem::path git_dir_;
  std::vector<git_oid> original_;
  std::vector<git_oid> written_;   ///< the list as it was during the fetch (original + cut)
  std::size_t masked_ = 0;
  bool finished_ = false;
};

/// Rewrites the shallow list to hold exactly those of `candidates` (plus the listed ones) that
/// exist and miss a parent in the object database: what a correct shallow list is.
void normalise_shallow(git_repository* repo, const std::filesystem::path& git_dir,
                       const std::vector<git_oid>& candidates = {});

}  // namespace agent::checkout
