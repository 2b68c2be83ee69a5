// `jit-agent merge DIR...`: the last job of a sharded scan (`jit-agent ci --shard I/N` in a
// `parallel: N` job). Reads every shard's jit-partial-I-of-N.json in the folders (GitLab puts the
// artifacts of `needs:` jobs into the job's folder: `merge .`), refuses unless all N are there and
// agree, combines them, and then does what `ci` does after its scan: ignores, reports, MR threads
// and summary, results endpoint, final status, exit code; as if one job had scanned everything.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "agent/cli/ci.h"
#include "agent/cli/commands.h"
#include "agent/config/config.h"
#include "agent/event/load.h"
#include "agent/job/combine.h"
#include "agent/job/context.h"
#include "agent/job/finish.h"
#include "agent/job/partial.h"
#include "agent/job/settings.h"
#include "agent/publish/dry_run.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace {
namespace fs = std::filesystem;

struct MergeOptions {
  CiOptions ci;                   ///< --config, --output-dir, --dry-run, --min-confidence as for ci
  std::vector<std::string> dirs;  ///< folders holding the partials
};

[[noreturn]] void refuse(const std::string& message) {
  throw util::Error(job::kExitShards, message + "; nothing written or posted");
}

std::vector<job::LoadedPartial> load_partials(const std::vector<std::string>& dirs) {
  std::vector<fs::path> folders(dirs.begin(), dirs.end());
  if (folders.empty()) folders.emplace_back(".");
  std::vector<job::LoadedPartial> out;
  std::vector<fs::path> files;
  try {
    files = job::find_partials(folders);
  } catch (const util::Error& e) {
    refuse(e.what());
  }
  for (const auto& file : files) {
    std::string text;
    try {
      text = util::read_file(file);
    } catch (const util::Error& e) {
      refuse(e.what());
    }
    try {
      out.push_back({file.string(), job::parse_partial(text, file.string())});
    } catch (const util::Error& e) {
      refuse(e.what());
    }
  }
  return out;
}

/// The partials must be of the event this pipeline was started for.
void check_event(const job::EventIdentity& seen, const event::Event& ev, const std::string& origin) {
  const std::int64_t iid = ev.merge_request() ? ev.merge_request()->iid : 0;
  if (seen.kind != event::to_string(ev.kind()) || seen.project_path != ev.project().path ||
      seen.project_id != ev.project().id || seen.merge_request_iid != iid)
    refuse(origin + " is of a " + seen.kind + " event of " + seen.project_path + " but this pipeline's event is " +
           ev.describe());
}

/// The order one job runs the controls in (built-in ones, then jit.yml's tools) and meets the
/// folders in: the configured order for the full tree, by name for the changed folders of a diff.
job::ControlOrder control_order(const config::Config& cfg, const config::FoldersConfig& folders, const std::string& mode) {
  job::ControlOrder order;
  order.controls = {"secrets", "dependencies"};
  for (const auto& t : cfg.tools) order.controls.push_back(t.name);
  for (const auto& f : folders.folders) {
    std::string p = f.path;
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    while (!p.empty() && p.back() == '/') p.pop_back();
    order.folders.push_back(p);
  }
  if (mode != "full tree") std::sort(order.folders.begin(), order.folders.end());
  return order;
}

int run_merge(const MergeOptions& opts, const GlobalOptions& global) {
  const util::Environment& env = global.env;
  std::vector<job::LoadedPartial> partials = load_partials(opts.dirs);
  job::check_complete(partials);
  const job::Partial& first = partials.front().partial;
  const int total = first.shard.total;
  const event::Event ev = event::load_event(env);
  spdlog::info("event: {}", ev.describe());
  check_event(first.event, ev, partials.front().origin);
  spdlog::info("merge: {} partial result{} of {} shard{}, {}", partials.size(), partials.size() == 1 ? "" : "s", total,
               total == 1 ? "" : "s", job::to_string(first.status));

  switch (first.status) {
    case job::PartialStatus::skipped:
      spdlog::info("skipping: {}", first.reason);
      return 0;
    case job::PartialStatus::deferred: {
      // A thread command: handled here, once, by the unsharded job (it commits, replies, scans again).
      spdlog::info("{}: running the job unsharded", first.reason);
      CiOptions ci = opts.ci;
      ci.shard = "1/1";
      return run_ci(ci, global);
    }
    case job::PartialStatus::scanned: break;
  }

  job::CentralSettings central = job::load_central_settings(opts.ci.config, opts.ci.min_confidence, env);
  job::JobContext job{ev, env, std::move(central.cfg), {}, job::project_api_id(ev), first.event.head_sha, nullptr, {},
                      std::move(central.ignores)};
  job.vex = std::move(central.vex);
  if (first.repo_config)  // the head's .jit/jit-config.yml, as the shards applied it
    config::apply_layer(job.cfg, *first.repo_config, ".jit/jit-config.yml", config::Layer::repository);
  job.folders = config::merge_folders(job.cfg.folders);
  const std::string mode = first.mode;
  job::Combined combined = job::combine(std::move(partials), control_order(job.cfg, job.folders, mode));

  std::unique_ptr<gitlab::Client> client = job::make_client(env);
  publish::DryRunApi dry(client.get());
  job.api = opts.ci.dry_run ? static_cast<gitlab::Api*>(&dry) : client.get();

  findings::ScanResult& result = combined.result;
  job::settle_findings(job, result);
  spdlog::info("scan ({}, {}, {} shards): {} finding{} in {} file{}", mode, job.head_sha.substr(0, 12), total,
               result.findings.size(), result.findings.size() == 1 ? "" : "s", result.stats.files_scanned,
               result.stats.files_scanned == 1 ? "" : "s");
  const fs::path out_dir =
      !opts.ci.output_dir.empty() ? fs::path(opts.ci.output_dir) : fs::path(env.get_or("CI_PROJECT_DIR", "."));
  const publish::DiffIndex diff = combined.diff.value_or(publish::DiffIndex{});
  return job::write_and_publish(job, result, combined.sboms, [&diff] { return diff; }, out_dir, opts.ci.dry_run);
}

}  // namespace

void add_merge(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<MergeOptions>();
  auto* sub = root.add_subcommand(
      "merge", "Combine the partial results of a sharded scan (ci --shard I/N) and post them once, as ci would");
  sub->add_option("dirs", opts->dirs, "Folders holding jit-partial-*.json (default: the current folder)");
  sub->add_option("--output-dir", opts->ci.output_dir, "Folder for the reports (default: CI_PROJECT_DIR)");
  sub->add_option("--config", opts->ci.config,
                  "Central configuration file (default: jit.yml in CI_PROJECT_DIR if present)");
  sub->add_flag("--dry-run", opts->ci.dry_run, "Read from GitLab but post nothing; log what would be posted");
  sub->add_option("--min-confidence", opts->ci.min_confidence,
                  "Report only findings at or above: high, medium, low (default: min_confidence of jit.yml, else low)");
  sub->add_option("--decode-depth", opts->ci.decode_depth,
                  "For a thread command's scan, which merge runs itself: as ci --decode-depth")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  sub->callback([opts, &global, &action] { action = [opts, &global] { return run_merge(*opts, global); }; });
}

}  // namespace agent::cli
