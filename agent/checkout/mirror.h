#pragma once
// The persistent bare mirror under JIT_CACHE_DIR: opened under a file lock, checked before it is
// trusted (format marker, remote URL, every ref resolving to a readable commit, pack checksums,
// loose objects, shallow list), and rebuilt from scratch when any check fails. Internal to checkout/.
#include <filesystem>
#include <string>
#include <vector>

#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"

namespace agent::checkout {

/// An exclusive flock on a file, released on destruction.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

struct Mirror {
  std::filesystem::path dir;
  RepositoryPtr repo;
  CacheState state = CacheState::cold;
  std::string rebuild_reason;
};

/// Why the mirror at `dir` must not be trusted for `url` ("" = it passed every check).
std::string check_mirror(const std::filesystem::path& dir, const std::string& url);

/// Opens the mirror at `dir` for `url`: reuses it when check_mirror passes, else deletes and
/// re-initialises it (state rebuilt, with the reason), or creates it (state cold).
Mirror open_mirror(const std::filesystem::path& dir, const std::string& url);

/// Deletes and re-initialises the mirror (after a failure while using it), keeping `reason`.
void rebuild_mirror(Mirror& mirror, const std::string& url, const std::string& reason);

/// Drops refs beyond `max_refs` (oldest commits first), never those in `keep`: every ref tip is a
/// "have" in the next fetch, and libgit2 sends at most 19 in a shallow fetch (see shallow.h).
void prune_refs(git_repository* repo, const std::vector<std::string>& keep, std::size_t max_refs);

/// Each fetch adds a pack; past `max_packs` packs, rewrites what the refs reach into one pack
/// and deletes the others (what `git gc` would do; libgit2 has no gc). Returns true if it did.
/// A partial mirror's new pack is marked as a promisor pack (see partial.h).
bool compact_packs(git_repository* repo, const std::filesystem::path& dir, std::size_t max_packs, bool partial);

/// Mirror settings kept in its config: the depth that reached the merge base last time.
int remembered_depth(git_repository* repo);
void remember_depth(git_repository* repo, int depth);

}  // namespace agent::checkout
