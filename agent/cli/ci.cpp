// `jit-agent ci`: the pipeline job. Event -> skip? -> status running -> fetch -> configuration ->
// scan what the event adds -> reports on disk -> MR threads, summary note, results endpoint ->
// final status -> exit code by policy. Reports are written before anything is posted.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>

#include "agent/checkout/diff.h"
#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"
#include "agent/checkout/partial.h"
#include "agent/cli/ci_note.h"
#include "agent/cli/ci_scan.h"
#include "agent/cli/scan_runner.h"
#include "agent/cli/commands.h"
#include "agent/cli/settings.h"
#include "agent/config/config.h"
#include "agent/config/folders.h"
#include "agent/config/ignores.h"
#include "agent/event/load.h"
#include "agent/gitlab/client.h"
#include "agent/publish/dry_run.h"
#include "agent/publish/merge_request.h"
#include "agent/publish/render.h"
#include "agent/publish/results.h"
#include "agent/publish/status.h"
#include "agent/report/report.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace {
namespace fs = std::filesystem;

struct CiOptions {
  std::string output_dir;
  std::string config;
  bool dry_run = false;
  std::string min_confidence;  ///< empty: min_confidence of jit.yml (default low)
  int decode_depth = 1;        ///< levels of base64/hex/percent decoding for secrets
};

/// Everything the job knows once the code is fetched.
struct Job {
  const event::Event& ev;
  const util::Environment& env;
  config::Config cfg;
  config::FoldersConfig folders;
  std::string project;     ///< API id of the project ("42" or "group/app")
  std::string head_sha;
  gitlab::Api* api = nullptr;
  std::vector<std::string> publish_errors;
  config::Ignores ignores;  ///< ignores.yml of the dedicated project (empty when it has none)
};

/// Posts a status; a failure is a publish error only for the final one (`final_status`).
void post_status(Job& job, const std::string& state, const std::string& description, bool final_status) {
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

/// Writes the reports into `dir` (before anything is posted) and returns the JSON report's text.
std::string write_reports(const fs::path& dir, const findings::ScanResult& result) {
  std::vector<std::pair<std::string, std::string>> reports = {
      {"gitlab", "gl-secret-detection-report.json"}, {"sarif", "jit-agent.sarif"}, {"json", "jit-agent.json"}};
  bool dependencies_ran =
      std::find(result.controls.begin(), result.controls.end(), "dependencies") != result.controls.end();
  if (dependencies_ran) reports.emplace_back("gitlab-dependency-scanning", "gl-dependency-scanning-report.json");
  // The SAST report whenever an external control ran or was attempted (an errored one included: the
  // report then says the scan failed instead of silently reporting nothing).
  bool tools_ran = std::any_of(result.controls.begin(), result.controls.end(), [](const std::string& c) {
    return c != "secrets" && c != "dependencies";
  }) || !result.errored_controls.empty();
  if (tools_ran) reports.emplace_back("gitlab-sast", "gl-sast-report.json");
  std::string json;
  std::string written;
  for (const auto& [format, name] : reports) {
    report::Writer writer = report::writer_for(format);
    if (!writer) {
      spdlog::warn("no {} report writer in this build: {} not written", format, name);
      continue;
    }
    std::ostringstream text;
    writer(text, result, report::Options{});
    util::write_file_atomic(dir / name, text.str());
    if (format == "json") json = text.str();
    written += (written.empty() ? "" : ", ") + name;
  }
  spdlog::info("reports: {} in {}", written, dir.string());
  return json;
}

/// The merge request: threads and summary note.
void publish_merge_request(Job& job, const CiScanInput& scan, const findings::ScanResult& result) {
  const auto& mr = *job.ev.merge_request();
  publish::MergeRequestOptions options;
  options.summary_note = job.cfg.summary_note;
  options.threads = job.cfg.threads;
  options.fail_on = job.cfg.fail_on;
  options.thread_min_confidence = job.cfg.thread_min_confidence;
  options.pipeline_url = job.env.get_or("CI_PIPELINE_URL", "");
  auto out = publish::publish_merge_request(*job.api, {job.project, mr.iid, job.head_sha}, result,
                                            ci_diff_index(scan), options);
  spdlog::info("merge request !{}: {} thread{} opened, {} already there, {} resolved, {} reopened; summary note {}",
               mr.iid, out.threads_created, out.threads_created == 1 ? "" : "s", out.threads_existing,
               out.threads_resolved, out.threads_reopened, out.summary);
  for (auto& e : out.errors) job.publish_errors.push_back(std::move(e));
}

/// The optional results endpoint (JIT_RESULTS_URL): the JSON report.
void publish_results(Job& job, const std::string& json_report) {
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

/// The cached mirror fetch() will use for `request`, as fetch.cpp names it ("" when the request
/// has no cache folder: then a scratch mirror is used and nothing is known about it).
fs::path cached_mirror(const checkout::FetchRequest& request) {
  if (request.cache_dir.empty()) return {};
  std::string key = request.cache_key.empty() ? request.remote.url : request.cache_key;
  return request.cache_dir / (checkout::sanitize_cache_key(key) + ".git");
}

/// True when the cache holds a complete (never filtered) mirror for `request`.
bool cached_mirror_is_complete(const checkout::FetchRequest& request) {
  fs::path dir = cached_mirror(request);
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir / "HEAD", ec)) return false;
  checkout::ensure_libgit2();
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) < 0) return false;  // fetch() will rebuild it
  checkout::RepositoryPtr repo(raw);
  return !checkout::is_partial(repo.get());
}

/// What a partial fetch for a full-tree scan asks for before the repository's configuration is
/// read: its .jit/ folder (top-level files come along) and the central folders. Empty (a
/// complete fetch) when no central folder is configured and the cache holds a complete mirror:
/// a previous job found no folders, and filtering would turn that mirror partial for nothing.
std::vector<std::string> sparse_fetch_folders(const config::FoldersConfig& central, const checkout::FetchRequest& request) {
  if (!central.configured() && cached_mirror_is_complete(request)) return {};
  std::vector<std::string> out{"/.jit"};
  for (const auto& f : central.folders) out.push_back(f.path);
  return out;
}

/// Throws the mirror away and fetches `request` completely into a new one.
void fetch_from_scratch(checkout::FetchRequest& request, checkout::FetchResult& fetched, checkout::RepositoryPtr& repo) {
  repo.reset();
  std::error_code ec;
  fs::remove_all(fetched.git_dir, ec);
  if (ec) throw util::RuntimeError("cannot remove the git cache " + fetched.git_dir.string() + ": " + ec.message());
  request.folders.clear();
  fetched = checkout::fetch(request);
  repo = checkout::open_repository(fetched.git_dir.string());
}

/// After a partial fetch (or a fetch into a mirror partial since an earlier job): fetches the
/// files the scan reads and checks they are all there. A full-tree scan without configured
/// folders reads everything: the mirror is fetched again completely, so it is exactly what it is
/// without a monorepo (fetching every file by id is ~3x slower). A mirror still lacking a file
/// the scan reads is never trusted: it is fetched again completely.
void complete_partial_mirror(checkout::FetchRequest& request, checkout::FetchResult& fetched,
                             checkout::RepositoryPtr& repo, CiMode mode, const config::FoldersConfig& folders) {
  if (mode == CiMode::full_tree && !folders.configured()) {
    spdlog::info("git cache {} is partial but no folders are configured: fetching the head completely",
                 fetched.git_dir.string());
    fetch_from_scratch(request, fetched, repo);
  } else {
    std::vector<std::string> wanted;  // empty: every file of the head (a diff scan of a partial mirror)
    if (mode == CiMode::full_tree)
      for (const auto& f : folders.folders) wanted.push_back(f.path);
    if (!wanted.empty())
      spdlog::info("git cache {} is partial: fetching the files of {} configured folder{}", fetched.git_dir.string(),
                   wanted.size(), wanted.size() == 1 ? "" : "s");
    checkout::materialize(request, fetched, wanted);
    repo = checkout::open_repository(fetched.git_dir.string());  // sees the packs materialize() added
    std::string missing = missing_scan_blobs(repo.get(), fetched, mode, folders);
    if (missing.empty()) return;
    spdlog::warn("git cache {} lacks {} after fetching by id: fetching again from scratch, completely",
                 fetched.git_dir.string(), missing);
    fetch_from_scratch(request, fetched, repo);
  }
  if (std::string still = missing_scan_blobs(repo.get(), fetched, mode, folders); !still.empty())
    throw util::RuntimeError("git cache " + fetched.git_dir.string() + ": " + still + " missing after a complete fetch");
}

/// The GitLab API client, or null when CI gives no API URL (then nothing is posted).
std::unique_ptr<gitlab::Client> make_client(const util::Environment& env) {
  auto options = gitlab::ClientOptions::from_env(env);
  if (options.api_url.empty()) {
    spdlog::warn("no GitLab API URL (CI_API_V4_URL or CI_SERVER_URL): nothing will be posted");
    return nullptr;
  }
  return std::make_unique<gitlab::Client>(options);
}

/// The dedicated project's ignores.yml as GitLab knows it (for the thread commands).
IgnoresLocation ignores_location(const util::Environment& env) {
  IgnoresLocation where;
  where.project = env.get_or("CI_PROJECT_ID", env.get_or("CI_PROJECT_PATH", ""));
  where.branch = env.get_or("CI_DEFAULT_BRANCH", "main");
  where.path = env.get_or("JIT_IGNORES_FILE", "ignores.yml");
  return where;
}

/// --dry-run for the repository endpoints: reads go to GitLab, commits are only logged.
class DryRunRepository : public gitlab::RepositoryApi {
 public:
  explicit DryRunRepository(gitlab::RepositoryApi* real) : real_(real) {}
  std::optional<gitlab::RepositoryFile> get_file(const std::string& project, const std::string& path,
                                                 const std::string& ref) override {
    return real_ ? real_->get_file(project, path, ref) : std::nullopt;
  }
  std::string create_commit(const std::string& project, const gitlab::CommitRequest& request) override {
    spdlog::info("dry run: would commit to project {} branch {}: {} ({} file{})", project, request.branch,
                 request.commit_message, request.actions.size(), request.actions.size() == 1 ? "" : "s");
    return "dry-run";
  }
  int member_access_level(const std::string& project, std::int64_t user_id) override {
    return real_ ? real_->member_access_level(project, user_id) : gitlab::access_level::developer;
  }

 private:
  gitlab::RepositoryApi* real_;
};

/// The MR scan that follows a handled command, so the commit status reflects the change at once.
std::optional<event::Event> rescan_event(const event::Event& note_event) {
  event::EventData d = note_event.data();
  if (!d.merge_request) return std::nullopt;
  d.kind = event::Kind::merge_request;
  d.note.reset();
  d.skip_reason.clear();
  d.merge_request->action.clear();  // not an update without commits: the code is scanned again
  event::Event mr(std::move(d));
  if (!mr.needs_scan() || mr.head_sha().empty()) return std::nullopt;
  return mr;
}

int run_ci(const CiOptions& opts, const GlobalOptions& global) {
  const util::Environment& env = global.env;
  const event::Event loaded = event::load_event(env);
  spdlog::info("event: {}", loaded.describe());

  std::optional<fs::path> central;
  if (!opts.config.empty()) central = opts.config;
  else if (auto dir = env.get_or("CI_PROJECT_DIR", ""); !dir.empty() && fs::exists(fs::path(dir) / "jit.yml"))
    central = fs::path(dir) / "jit.yml";
  config::Config cfg = config::load_config(central, std::nullopt);
  // ignores.yml beside jit.yml in the dedicated project ($JIT_IGNORES_FILE names another); validated
  // before anything is fetched or posted, like jit.yml.
  config::Ignores ignores;
  {
    fs::path dir = central ? central->parent_path() : fs::path(env.get_or("CI_PROJECT_DIR", "."));
    if (dir.empty()) dir = ".";
    const fs::path file = dir / env.get_or("JIT_IGNORES_FILE", "ignores.yml");
    if (fs::exists(file)) ignores = config::load_ignores(file);
    else if (!env.get_or("JIT_IGNORES_FILE", "").empty())
      throw util::UsageError(file.string() + ": no such ignores file (JIT_IGNORES_FILE)");
  }
  if (!opts.min_confidence.empty()) cfg.min_confidence = parse_min_confidence(opts.min_confidence);
  // A bad central `folders:` fails now, before anything else.
  const config::FoldersConfig central_folders = config::merge_folders(cfg.folders);

  if (!loaded.needs_scan()) {
    spdlog::info("skipping: {}", loaded.skip_reason());
    return 0;
  }
  if (config::project_excluded(cfg, loaded.project().path)) {
    spdlog::info("skipping: project {} is excluded by {}", loaded.project().path, central ? central->string() : "jit.yml");
    return 0;
  }
  std::optional<event::Event> converted;
  if (loaded.kind() == event::Kind::note) {
    // A thread command: commit the ignore (or its undo), then scan the MR again so its threads,
    // summary and commit status reflect it at once.
    const std::string target =
        loaded.project().id > 0 ? std::to_string(loaded.project().id) : loaded.project().path;
    std::unique_ptr<gitlab::Client> note_client = make_client(env);
    if (!note_client) throw util::UsageError("a thread command needs the GitLab API (CI_API_V4_URL or CI_SERVER_URL)");
    IgnoresLocation where = ignores_location(env);
    if (where.project.empty())
      throw util::UsageError("a thread command needs CI_PROJECT_ID: the dedicated project that holds " + where.path);
    publish::DryRunApi dry_api(note_client.get());
    DryRunRepository dry_repo(note_client.get());
    gitlab::Api& api = opts.dry_run ? static_cast<gitlab::Api&>(dry_api) : *note_client;
    gitlab::RepositoryApi& repo = opts.dry_run ? static_cast<gitlab::RepositoryApi&>(dry_repo) : *note_client;
    NoteOutcome outcome;
    try {
      outcome = handle_note_command(loaded, target, where, api, repo);
    } catch (const gitlab::ApiError& e) {
      spdlog::error("{} on !{} could not be applied: {}", event::to_string(loaded.note()->command),
                    loaded.merge_request()->iid, e.what());
      return static_cast<int>(util::ExitCode::publish);
    }
    if (outcome.kind != NoteOutcome::Kind::ignored && outcome.kind != NoteOutcome::Kind::unignored) return 0;
    ignores = config::parse_ignores(outcome.ignores_text, where.path + "@" + where.branch);
    converted = rescan_event(loaded);
    if (!converted) return 0;
    spdlog::info("scanning !{} again with the updated ignores", loaded.merge_request()->iid);
  }
  const event::Event& ev = converted ? *converted : loaded;

  Job job{ev, env, std::move(cfg), {}, ev.project().id > 0 ? std::to_string(ev.project().id) : ev.project().path,
          ev.head_sha(), nullptr, {}, std::move(ignores)};
  std::unique_ptr<gitlab::Client> client = make_client(env);
  publish::DryRunApi dry(client.get());
  job.api = opts.dry_run ? static_cast<gitlab::Api*>(&dry) : client.get();

  post_status(job, "running", "jit-agent: scanning", false);
  checkout::FetchRequest request;
  // A full-tree scan reads only the configured folders: fetch commits and trees, .jit/ and the
  // central folders' files first (when the server can filter), the repository's folders once
  // its .jit/jit-config.yml has named them. Diff scans read every changed file of every commit
  // of the MR: they fetch completely.
  checkout::FetchResult fetched;
  try {
    request = fetch_request_for(ev, env);
    if (full_tree_before_fetch(ev, job.cfg, request)) request.folders = sparse_fetch_folders(central_folders, request);
    fetched = checkout::fetch(request);
  } catch (const util::Error&) {
    post_status(job, "failed", "jit-agent: could not fetch the code (see the job log)", false);
    throw;
  }
  job.head_sha = fetched.head_sha;
  auto repo = checkout::open_repository(fetched.git_dir.string());
  try {
    if (auto text = checkout::read_file(repo.get(), job.head_sha, ".jit/jit-config.yml"))
      config::apply_layer(job.cfg, *text, ".jit/jit-config.yml", config::Layer::repository);
    job.folders = config::merge_folders(job.cfg.folders);
  } catch (const util::UsageError&) {
    post_status(job, "failed", "jit-agent: invalid configuration (see the job log)", false);
    throw;
  }
  const CiMode mode = ci_mode_for(ev, job.cfg, fetched);
  try {
    if (fetched.partial) complete_partial_mirror(request, fetched, repo, mode, job.folders);
  } catch (const util::Error&) {
    post_status(job, "failed", "jit-agent: could not fetch the code (see the job log)", false);
    throw;
  }
  spdlog::info("git cache {}: {}, {} mirror, received {} object{} ({} bytes)", fetched.git_dir.string(),
               checkout::to_string(fetched.cache), fetched.partial ? "partial" : "complete", fetched.received_objects,
               fetched.received_objects == 1 ? "" : "s", fetched.received_bytes);

  std::vector<report::SbomLockfile> sboms;
  CiScanInput scan{env, job.cfg, job.folders, fetched, repo.get(), mode, &sboms};
  scan.decode_depth = opts.decode_depth;
  findings::ScanResult result;
  try {
    result = run_ci_scan(scan);
  } catch (const util::Error&) {
    post_status(job, "failed", "jit-agent: scan failed (see the job log)", false);
    throw;
  }
  result.root = ev.project().path;
  if (!job.ignores.entries.empty())
    if (auto n = config::apply_ignores(job.ignores, result, ev.project().path, config::today_utc()))
      spdlog::info("{} finding{} ignored by {}", n, n == 1 ? "" : "s", job.ignores.file);
  if (auto dropped = findings::drop_below_confidence(result.findings, job.cfg.min_confidence))
    spdlog::info("{} finding{} below confidence {} not reported (min_confidence)", dropped, dropped == 1 ? "" : "s",
                 findings::to_string(job.cfg.min_confidence));
  for (const auto& w : result.warnings) spdlog::warn("{}", w);
  spdlog::info("scan ({}, {}): {} finding{} in {} file{}", to_string(scan.mode), job.head_sha.substr(0, 12),
               result.findings.size(), result.findings.size() == 1 ? "" : "s", result.stats.files_scanned,
               result.stats.files_scanned == 1 ? "" : "s");

  fs::path out_dir = !opts.output_dir.empty() ? fs::path(opts.output_dir) : fs::path(env.get_or("CI_PROJECT_DIR", "."));
  std::string json_report;
  try {
    json_report = write_reports(out_dir, result);
    write_sboms(out_dir, sboms, result, "gl-sbom-");
  } catch (const util::Error&) {
    post_status(job, "failed", "jit-agent: could not write the reports (see the job log)", false);
    throw;
  }

  if (job.api && ev.kind() == event::Kind::merge_request && ev.merge_request()) publish_merge_request(job, scan, result);
  if (!opts.dry_run) publish_results(job, json_report);

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

}  // namespace

void add_ci(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<CiOptions>();
  auto* sub = root.add_subcommand("ci", "Scan what the triggering GitLab event adds and post the results back");
  sub->add_option("--output-dir", opts->output_dir, "Folder for the reports (default: CI_PROJECT_DIR)");
  sub->add_option("--config", opts->config, "Central configuration file (default: jit.yml in CI_PROJECT_DIR if present)");
  sub->add_flag("--dry-run", opts->dry_run, "Read from GitLab but post nothing; log what would be posted");
  sub->add_option("--decode-depth", opts->decode_depth,
                  "Levels of base64/hex/percent-encoded text searched for secrets (0: none)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  sub->add_option("--min-confidence", opts->min_confidence,
                  "Report only findings at or above: high, medium, low (default: min_confidence of jit.yml, else low)");
  sub->callback([opts, &global, &action] { action = [opts, &global] { return run_ci(*opts, global); }; });
}

}  // namespace agent::cli
