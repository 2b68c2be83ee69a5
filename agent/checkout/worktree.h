#pragma once
// Lists the files of a local working tree for `scan`: what git tracks plus untracked files it does
// not ignore when PATH is inside a git checkout, every regular file otherwise. Never follows
// symlinks; exclusions are applied to names before anything is read (and prune whole folders).
#include <filesystem>
#include <string>
#include <vector>

#include "agent/util/file_entry.h"
#include "agent/util/scan_stats.h"

namespace agent::checkout {

struct ListOptions {
  std::vector<std::string> excludes;  ///< globs (util::glob_match) on paths relative to the root
  bool use_git = true;                ///< false: walk the folder even inside a git checkout
};

struct Listing {
  std::vector<util::FileEntry> files;      ///< sorted by path
  std::string head_sha;                    ///< HEAD of the enclosing checkout, if any
  bool from_git = false;                   ///< the list came from git's index and status
};

/// Lists the regular files under `root`; counts symlinks, excluded and vanished files in `stats`.
/// Throws util::UsageError when `root` does not exist or is not a folder.
Listing list_files(const std::filesystem::path& root, const ListOptions& options,
                   util::ScanStats& stats, std::vector<std::string>& warnings);

}  // namespace agent::checkout
