#pragma once
// What the agent says on a merge request: one inline thread per new finding on an added line,
// threads of findings that are gone resolved, and one summary note edited in place. Everything
// already there is read back first, so a re-run posts nothing new.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/findings/dependency_groups.h"
#include "agent/findings/finding.h"
#include "agent/gitlab/api.h"

namespace agent::publish {

/// One file of the MR's final diff (merge base .. head): the lines a position may point at.
struct ChangedFile {
  std::string old_path;            ///< differs from the key when the file was renamed
  std::set<int> added;             ///< 1-based line numbers in the head version
};

/// Changed files by new path.
using DiffIndex = std::map<std::string, ChangedFile>;

struct MergeRequestTarget {
  std::string project;             ///< id or path of the project that holds the MR
  std::int64_t iid = 0;
  std::string head_sha;            ///< the scanned commit (for replies; positions use versions)
};

struct MergeRequestOptions {
  bool summary_note = true;
  bool threads = true;
  std::optional<findings::Severity> fail_on = findings::Severity::high;
  std::string pipeline_url;        ///< linked from the summary
  std::size_t max_new_threads = 30;  ///< per run; the rest are listed in the summary (note rate limits)
  /// Findings on added lines below this confidence get no thread; the summary lists them.
  findings::Confidence thread_min_confidence = findings::Confidence::medium;
};

/// What happened, for the log and the exit code.
struct MergeRequestOutcome {
  int threads_created = 0;
  int threads_existing = 0;        ///< findings that already had a thread
  int threads_resolved = 0;
  int threads_reopened = 0;
  int threads_updated = 0;         ///< package threads whose advisories changed, edited in place
  std::string summary = "disabled";  ///< created | updated | unchanged | disabled | failed
  std::vector<const findings::Finding*> outside_diff;
  std::vector<const findings::Finding*> not_inline;
  std::vector<const findings::Finding*> low_confidence;  ///< on added lines, below thread_min_confidence
  std::vector<std::string> errors; ///< one line per request that finally failed
  /// POST/PUT requests sent (0 on a re-run with nothing new).
  int writes = 0;
};

/// Publishes `result` on the MR. `controls` (normally result.controls) limits which existing
/// threads may be resolved: a control that did not run cannot say its finding is gone.
/// Never throws for API failures: they are collected in `errors`.
MergeRequestOutcome publish_merge_request(gitlab::Api& api, const MergeRequestTarget& target,
                                          const findings::ScanResult& result, const DiffIndex& diff,
                                          const MergeRequestOptions& options);
/// The outcome points into `result`: a temporary would leave it dangling (found by ASan in a test).
MergeRequestOutcome publish_merge_request(gitlab::Api& api, const MergeRequestTarget& target,
                                          const findings::ScanResult&& result, const DiffIndex& diff,
                                          const MergeRequestOptions& options) = delete;

}  // namespace agent::publish
