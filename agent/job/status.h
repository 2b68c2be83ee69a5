#pragma once
// The commit status a CI job sets on the scanned commit ("Jit Security": running, then the verdict).
#include <string>

#include "agent/job/context.h"

namespace agent::job {

/// Posts a status; a failure is a publish error only for the final one (`final_status`).
void post_status(JobContext& job, const std::string& state, const std::string& description, bool final_status);

}  // namespace agent::job
