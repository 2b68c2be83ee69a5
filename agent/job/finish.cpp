#include "agent/job/finish.h"

#include <spdlog/spdlog.h>

#include "agent/job/post.h"
#include "agent/job/reports.h"
#include "agent/job/status.h"
#include "agent/job/token_check.h"
#include "agent/publish/render.h"
#include "agent/util/error.h"

namespace agent::job {
namespace fs = std::filesystem;

void settle_findings(JobContext& job, findings::ScanResult& result) {
  result.root = job.ev.project().path;
  if (!job.ignores.entries.empty())
    if (auto n = config::apply_ignores(job.ignores, result, job.ev.project().path, config::today_utc()))
      spdlog::info("{} finding{} ignored by {}", n, n == 1 ? "" : "s", job.ignores.file);
  if (auto n = config::apply_vex(job.vex, result))
    spdlog::info("{} finding{} dismissed by VEX statements", n, n == 1 ? "" : "s");
  if (auto dropped = findings::drop_below_confidence(result.findings, job.cfg.min_confidence))
    spdlog::info("{} finding{} below confidence {} not reported (min_confidence)", dropped, dropped == 1 ? "" : "s",
                 findings::to_string(job.cfg.min_confidence));
  // Only findings that survived the ignores are asked about, once per job (after the shards merged).
  const bool mr = job.ev.kind() == event::Kind::merge_request && job.ev.merge_request();
  check_tokens(token_check_settings_for_ci(job.env, mr), result, job.token_lines);
  for (const auto& w : result.warnings) spdlog::warn("{}", w);
}

int write_and_publish(JobContext& job, const findings::ScanResult& result,
                      const std::vector<report::SbomLockfile>& sboms,
                      const std::function<publish::DiffIndex()>& diff_index, const fs::path& out_dir, bool dry_run) {
  std::string json_report;
  try {
    json_report = write_reports(out_dir, result);
    write_sboms(out_dir, sboms, result, "gl-sbom-");
  } catch (const util::Error&) {
    post_status(job, "failed", "jit-agent: could not write the reports (see the job log)", false);
    throw;
  }

  if (job.api && job.ev.kind() == event::Kind::merge_request && job.ev.merge_request())
    publish_merge_request(job, result, diff_index());
  if (!dry_run) publish_results(job, json_report);

  const std::size_t failing = publish::count_failing(result.findings, job.cfg.fail_on);
  for (const auto& e : result.errored_controls)
    spdlog::error("control {} did not complete{}: {}; its findings are missing from this scan", e.control,
                  e.folder.empty() ? "" : " in " + e.folder, e.reason);
  if (!result.errored_controls.empty()) {
    // An incomplete scan is never "success": the pipeline must not look clean when a tool failed.
    std::string names;
    for (const auto& e : result.errored_controls)
      if (names.find(e.control) == std::string::npos) names += (names.empty() ? "" : ", ") + e.control;
    post_status(job, "failed", "jit-agent: " + names + " did not complete (see the job log)", true);
  } else {
    post_status(job, failing ? "failed" : "success", publish::status_description(result.findings, job.cfg.fail_on),
                true);
  }
  if (!job.publish_errors.empty()) {
    spdlog::error("posting results failed ({} problem{}); the reports in {} are complete", job.publish_errors.size(),
                  job.publish_errors.size() == 1 ? "" : "s", out_dir.string());
    return static_cast<int>(util::ExitCode::publish);
  }
  if (!result.errored_controls.empty()) return static_cast<int>(util::ExitCode::control);
  return static_cast<int>(failing ? util::ExitCode::findings : util::ExitCode::ok);
}

}  // namespace agent::job
