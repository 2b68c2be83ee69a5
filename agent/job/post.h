#pragma once
// Posting a job's results back: the merge request's threads and summary note, and the optional
// results endpoint (JIT_RESULTS_URL). Failures are collected in JobContext::publish_errors.
#include <string>

#include "agent/findings/finding.h"
#include "agent/job/context.h"
#include "agent/publish/merge_request.h"

namespace agent::job {

/// Threads and summary note on the event's merge request; `diff` is its final diff.
void publish_merge_request(JobContext& job, const findings::ScanResult& result, const publish::DiffIndex& diff);

/// The JSON report to the results endpoint, when JIT_RESULTS_URL is set.
void publish_results(JobContext& job, const std::string& json_report);

}  // namespace agent::job
