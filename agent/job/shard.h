#pragma once
// Sharding a scan over GitLab `parallel: N` jobs: which shard this job is, and which files (or
// whole monorepo folders) it scans. The assignment is a pure function of the file list, so every
// shard of a pipeline computes the same split on its own, without talking to the others.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/control.h"
#include "agent/findings/finding.h"
#include "agent/util/environment.h"

namespace agent::job {

/// This job's place among the shards: index 1..total. {1, 1} is an ordinary, unsharded job.
struct Shard {
  int index = 1;
  int total = 1;
  bool sharded() const { return total > 1; }
  bool operator==(const Shard&) const = default;
};

/// "I/N" (1 <= I <= N). `source` names the flag or variable in the error. Throws util::UsageError.
Shard parse_shard(std::string_view text, std::string_view source);

/// The shard from `--shard` when given (`flag` non-empty), else from CI_NODE_INDEX/CI_NODE_TOTAL
/// (GitLab's `parallel:` variables; a job without `parallel:` has CI_NODE_TOTAL=1 and no index),
/// else {1, 1}. Throws util::UsageError.
Shard shard_from(const std::string& flag, const util::Environment& env);

/// Something assigned whole to one shard: a monorepo folder or a file, weighed by bytes.
struct ShardItem {
  std::string key;
  std::uint64_t size = 0;
};

/// The 1-based shard of each item (same order): largest first (ties by key), each to the least
/// loaded shard (ties to the lowest index), so loads differ by at most the largest item.
std::vector<int> assign_shards(const std::vector<ShardItem>& items, int total);

/// The monorepo folder (normalised: "svc/api", "" for the root) that holds `path`: the longest
/// of `folders` that is a prefix of it; nullopt when none does (or `folders` is empty).
std::optional<std::string> folder_of(std::string_view path, const std::vector<std::string>& folders);

/// Which shard scans what. Without folders every file is an item; with folders, every folder is
/// one (its size: its files') so per-folder controls see whole folders. A key no item named (a
/// file only an intermediate commit touched, a folder without files) goes to a shard by a stable
/// hash of the key, the same in every shard.
class ShardPlan {
 public:
  ShardPlan() = default;  ///< unsharded: everything is mine
  /// `files`: path and size of everything the scan may read; `folders`: normalised folders.
  ShardPlan(Shard me, const std::vector<ShardItem>& files, std::vector<std::string> folders);

  /// The key `path` is assigned by: its folder when folders are configured, else the path.
  std::string key_of(std::string_view path) const;
  int shard_of_key(const std::string& key) const;
  bool mine(std::string_view path) const { return !me_.sharded() || shard_of_key(key_of(path)) == me_.index; }
  bool mine_folder(const std::string& folder) const { return !me_.sharded() || shard_of_key(folder) == me_.index; }
  const Shard& shard() const { return me_; }
  const std::vector<std::string>& folders() const { return folders_; }

 private:
  Shard me_;
  std::vector<std::string> folders_;
  std::map<std::string, int> assigned_;
};

/// Narrows a full-tree scan's `input` (its files sorted, `input.folders` set) to this shard's
/// files. Returns the input for the external controls: this shard's folders and their files; the
/// whole input on shard 1 when no folders are configured (the root is one folder, run whole
/// once); nullopt when this shard runs no external control. The listing's counters and warnings
/// (already in `out`, the same in every shard) are kept by shard 1 only, so merged counts are
/// those of one job.
std::optional<controls::ScanInput> restrict_to_shard(Shard me, controls::ScanInput& input, findings::ScanResult& out);

}  // namespace agent::job
