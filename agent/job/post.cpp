#include "agent/job/post.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "agent/publish/results.h"
#include "agent/util/error.h"

namespace agent::job {

void publish_merge_request(JobContext& job, const findings::ScanResult& result, const publish::DiffIndex& diff) {
  const auto& mr = *job.ev.merge_request();
  publish::MergeRequestOptions options;
  options.summary_note = job.cfg.summary_note;
  options.threads = job.cfg.threads;
  options.fail_on = job.cfg.fail_on;
  options.thread_min_confidence = job.cfg.thread_min_confidence;
  options.pipeline_url = job.env.get_or("CI_PIPELINE_URL", "");
  auto out = publish::publish_merge_request(*job.api, {job.project, mr.iid, job.head_sha}, result, diff, options);
  spdlog::info("merge request !{}: {} thread{} opened, {} already there ({} updated), {} resolved, {} reopened; "
               "summary note {}",
               mr.iid, out.threads_created, out.threads_created == 1 ? "" : "s", out.threads_existing,
               out.threads_updated, out.threads_resolved, out.threads_reopened, out.summary);
  for (auto& e : out.errors) job.publish_errors.push_back(std::move(e));
}

void publish_results(JobContext& job, const std::string& json_report) {
  auto endpoint = publish::results_endpoint_from_env(job.env);
  if (!endpoint) return;
  try {
    gitlab::CurlTransport transport(gitlab::transport_from_env(job.env));
    publish::post_results(transport, gitlab::retry_from_env(job.env),
                          [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }, *endpoint, json_report);
    spdlog::info("results endpoint: report sent to {}", gitlab::url_for_display(endpoint->url));
  } catch (const util::RuntimeError& e) {
    spdlog::warn("{}", e.what());
    job.publish_errors.push_back(e.what());
  }
}

}  // namespace agent::job
