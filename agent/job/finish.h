#pragma once
// The end of a CI job once its scan result is known, the same for `ci` and for `merge` of a
// sharded scan: ignores and min_confidence applied once, reports written (before anything is
// posted), merge request and results endpoint, the final commit status, the exit code.
#include <filesystem>
#include <functional>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/job/context.h"
#include "agent/publish/merge_request.h"
#include "agent/report/dependency_reports.h"

namespace agent::job {

/// Sets `result.root` to the project, applies ignores.yml and min_confidence, asks the instance
/// about the GitLab tokens found (JIT_VALIDATE_TOKENS), logs the warnings.
void settle_findings(JobContext& job, findings::ScanResult& result);

/// Writes the reports and SBOMs into `out_dir` (a failure: status "failed", then rethrown), posts
/// to the MR (its final diff from `diff_index`, called only then) and the results endpoint
/// (unless `dry_run`), then the final status. Returns the exit code: 4 when posting failed, 5
/// when a control errored, 1 for findings at or above fail_on, else 0.
int write_and_publish(JobContext& job, const findings::ScanResult& result,
                      const std::vector<report::SbomLockfile>& sboms,
                      const std::function<publish::DiffIndex()>& diff_index, const std::filesystem::path& out_dir,
                      bool dry_run);

}  // namespace agent::job
