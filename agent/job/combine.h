#pragma once
// `jit-agent merge`: the shards' partial results checked for completeness and combined into the
// result one unsharded job would have produced.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/job/partial.h"

namespace agent::job {

/// A partial and the file it was read from (named in errors).
struct LoadedPartial {
  std::string origin;
  Partial partial;
};

/// Throws util::Error (kExitShards) unless `partials` are exactly shards 1..N of one N,
/// each once, all of the same event (project, kind, merge request, head sha), status, mode and
/// repository configuration. The message names what is missing or differs.
void check_complete(const std::vector<LoadedPartial>& partials);

/// What merge writes and posts.
struct Combined {
  findings::ScanResult result;
  std::vector<report::SbomLockfile> sboms;
  std::optional<publish::DiffIndex> diff;
};

/// The order one unsharded job lists controls and their issues in: `controls` as they run
/// (built-in ones, then jit.yml's tools), `folders` as the external controls met them.
/// Names not listed come after, in first-seen order.
struct ControlOrder {
  std::vector<std::string> controls;
  std::vector<std::string> folders;  ///< normalised ("svc/api")
};

/// Adds every counter of `s` to `to`.
void add_stats(findings::ScanStats& to, const findings::ScanStats& s);

/// Combines checked partials (in any order): findings concatenated in shard order, a fingerprint
/// another shard already reported dropped, sorted; ignored likewise; stats summed; warnings
/// unioned in first-seen order; controls and their errored and skipped entries unioned and put in
/// `order` (an issue of a control: its folders' in folder order, then the whole scan's); a
/// control skipped for the whole scan by one shard but run by another counts as run; SBOMs by
/// lockfile path; diffs unioned.
Combined combine(std::vector<LoadedPartial> partials, const ControlOrder& order = {});

}  // namespace agent::job
