#include "agent/job/status.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "agent/publish/status.h"

namespace agent::job {

void post_status(JobContext& job, const std::string& state, const std::string& description, bool final_status) {
  if (!job.api || !job.cfg.status_enabled || job.head_sha.empty()) return;
  std::string ref;
  if (const auto& push = job.ev.push()) ref = push->short_ref();
  else if (const auto& mr = job.ev.merge_request(); mr && mr->source_project_id == job.ev.project().id)
    ref = mr->source_branch;  // a fork's branch does not exist in the target project
  auto status = publish::commit_status(state, job.cfg.status_name, description, job.env.get_or("CI_JOB_URL", ""), ref);
  try {
    job.api->set_commit_status(job.project, job.head_sha, status);
    spdlog::info("status {}: {} ({})", status.name, state, status.description);
  } catch (const gitlab::ApiError& e) {
    // The state is already set (a retried request that had landed, or a parallel job): fine.
    if (e.status() == 400 && std::string_view(e.what()).find("Cannot transition status") != std::string_view::npos) {
      spdlog::info("status {}: already {}", status.name, state);
      return;
    }
    spdlog::warn("setting the commit status: {}", e.what());
    if (final_status) job.publish_errors.push_back(std::string("commit status: ") + e.what());
  }
}

}  // namespace agent::job
