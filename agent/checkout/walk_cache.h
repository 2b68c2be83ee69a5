#pragma once
// A history walk's result kept on disk under a key that names everything it depends on (the
// commits the refs resolve to, the pruning, the rules' path classes), so scanning the same
// history again needs no walk. Checksummed: a damaged or foreign file is ignored, never trusted.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/checkout/history.h"

namespace agent::checkout {

struct SavedWalk {
  std::vector<git_oid> commits;          ///< HistoryWalk::commits(), oldest first
  std::vector<WalkedBlob> blobs;         ///< what run() returned
  std::vector<std::string> class_paths;  ///< a path of each path class
  std::vector<std::string> class_keys;   ///< each class's key
};

/// The walk saved under `key` in `dir`, if a sound file is there.
std::optional<SavedWalk> load_walk(const std::filesystem::path& dir, const std::string& key);

/// Saves `walk` under `key` (atomically), keeping the 4 most recent walk files of `dir`. A write
/// error is logged, never thrown: the cache only saves time.
void save_walk(const std::filesystem::path& dir, const std::string& key, const SavedWalk& walk);

}  // namespace agent::checkout
