// `jit-agent ci`: the pipeline job. Event -> skip? -> status running -> fetch -> configuration ->
// scan what the event adds -> reports on disk -> MR threads, summary note, results endpoint ->
// final status -> exit code by policy. Reports are written before anything is posted. The steps
// after the scan are agent/job/'s (shared with `merge`). As a shard (--shard I/N, N > 1) it scans
// its share and writes the partial results instead (agent/job/partial.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "agent/checkout/diff.h"
#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"
#include "agent/checkout/partial.h"
#include "agent/cli/ci.h"
#include "agent/cli/ci_history.h"
#include "agent/cli/ci_note.h"
#include "agent/cli/ci_scan.h"
#include "agent/cli/ci_variables.h"
#include "agent/cli/commands.h"
#include "agent/cli/doctor.h"
#include "agent/cli/settings.h"
#include "agent/config/config.h"
#include "agent/config/folders.h"
#include "agent/config/ignores.h"
#include "agent/event/load.h"
#include "agent/gitlab/client.h"
#include "agent/job/context.h"
#include "agent/job/finish.h"
#include "agent/job/partial.h"
#include "agent/job/settings.h"
#include "agent/job/status.h"
#include "agent/job/token_check.h"
#include "agent/publish/dry_run.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace {
namespace fs = std::filesystem;

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

/// Line `line` (1-based) of `path` in `commit`, "" when unreadable (the check then assumes this instance).
std::string line_of_blob(git_repository* repo, const std::string& commit, const std::string& path, int line) {
  if (!repo || path.empty() || line <= 0) return "";
  try {
    auto text = checkout::read_file(repo, commit, path);
    return text ? job::line_at(*text, line) : std::string();
  } catch (const util::Error&) {
    return "";
  }
}

/// What a shard tells merge about the event it saw.
job::EventIdentity identity_of(const event::Event& ev, const std::string& head_sha) {
  job::EventIdentity id;
  id.kind = std::string(event::to_string(ev.kind()));
  id.project_id = ev.project().id;
  id.project_path = ev.project().path;
  id.head_sha = head_sha;
  if (const auto& mr = ev.merge_request()) id.merge_request_iid = mr->iid;
  return id;
}

/// A shard's partial for an event it did not scan (skipped, or left to merge): merge then does
/// the same, once.
int shard_without_scan(job::Shard shard, const event::Event& ev, job::PartialStatus status, const std::string& reason,
                       const fs::path& out_dir) {
  job::Partial partial;
  partial.shard = shard;
  partial.status = status;
  partial.reason = reason;
  partial.event = identity_of(ev, ev.head_sha());
  auto file = job::write_partial(out_dir, partial);
  spdlog::info("shard {}/{}: {} ({}) written to {}", shard.index, shard.total, job::to_string(status), reason,
               file.string());
  return 0;
}

}  // namespace

int run_ci(const CiOptions& opts, const GlobalOptions& global) {
  const util::Environment& env = global.env;
  const job::Shard shard = job::shard_from(opts.shard, env);
  const event::Event loaded = event::load_event(env);
  spdlog::info("event: {}", loaded.describe());
  if (shard.sharded())
    spdlog::info("shard {}/{}: this job scans its share and writes {} for jit-agent merge; it posts no results",
                 shard.index, shard.total, job::partial_file_name(shard));

  job::CentralSettings central = job::load_central_settings(opts.config, opts.min_confidence, env);
  config::Config cfg = std::move(central.cfg);
  config::Ignores ignores = std::move(central.ignores);
  std::vector<config::VexDocument> vex = std::move(central.vex);
  // A bad central `folders:` fails now, before anything else.
  const config::FoldersConfig central_folders = config::merge_folders(cfg.folders);
  const fs::path out_dir =
      !opts.output_dir.empty() ? fs::path(opts.output_dir) : fs::path(env.get_or("CI_PROJECT_DIR", "."));

  if (!loaded.needs_scan()) {
    spdlog::info("skipping: {}", loaded.skip_reason());
    if (shard.sharded()) return shard_without_scan(shard, loaded, job::PartialStatus::skipped, loaded.skip_reason(), out_dir);
    return 0;
  }
  if (config::project_excluded(cfg, loaded.project().path)) {
    spdlog::info("skipping: project {} is excluded by {}", loaded.project().path,
                 central.file ? central.file->string() : "jit.yml");
    if (shard.sharded())
      return shard_without_scan(shard, loaded, job::PartialStatus::skipped,
                                "project " + loaded.project().path + " is excluded", out_dir);
    return 0;
  }
  std::optional<event::Event> converted;
  if (loaded.kind() == event::Kind::note) {
    // A thread command changes ignores.yml once: merge handles it (and scans the MR again) alone.
    if (shard.sharded())
      return shard_without_scan(shard, loaded, job::PartialStatus::deferred,
                                "a thread command, handled by jit-agent merge", out_dir);
    // A thread command: commit the ignore (or its undo), then scan the MR again so its threads,
    // summary and commit status reflect it at once.
    const std::string target = job::project_api_id(loaded);
    std::unique_ptr<gitlab::Client> note_client = job::make_client(env);
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
  // The cheap doctor checks (token expiry and scopes, the variable's masking): warnings only,
  // bounded, and only in a job that talks to GitLab anyway. Shards leave it to shard 1.
  if (shard.index <= 1) log_ci_preflight(env);

  job::JobContext job{ev, env, std::move(cfg), {}, job::project_api_id(ev), ev.head_sha(), nullptr, {},
                      std::move(ignores)};
  std::unique_ptr<gitlab::Client> client = job::make_client(env);
  publish::DryRunApi dry(client.get());
  job.api = opts.dry_run ? static_cast<gitlab::Api*>(&dry) : client.get();
  job.vex = std::move(vex);

  // Shards: only shard 1 says "running"; the verdict is merge's. A shard that cannot fetch,
  // configure or scan still says "failed": merge will not run, and the gate must not stay "running".
  if (shard.index == 1) job::post_status(job, "running", "jit-agent: scanning", false);
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
    job::post_status(job, "failed", "jit-agent: could not fetch the code (see the job log)", false);
    throw;
  }
  job.head_sha = fetched.head_sha;
  auto repo = checkout::open_repository(fetched.git_dir.string());
  // A GitLab token's line tells which instance it belongs to (`https://oauth2:glpat-…@host`).
  job.token_lines = [&repo, &job](const findings::Finding& f) {
    return line_of_blob(repo.get(), f.commit.empty() ? job.head_sha : f.commit, f.path, f.line);
  };
  std::optional<std::string> repo_config;
  try {
    repo_config = checkout::read_file(repo.get(), job.head_sha, ".jit/jit-config.yml");
    if (repo_config) config::apply_layer(job.cfg, *repo_config, ".jit/jit-config.yml", config::Layer::repository);
    job.folders = config::merge_folders(job.cfg.folders);
  } catch (const util::UsageError&) {
    job::post_status(job, "failed", "jit-agent: invalid configuration (see the job log)", false);
    throw;
  }
  const CiMode mode = ci_mode_for(ev, job.cfg, fetched);
  // `history: true`: the whole history of the head is read (shard 1 scans it for a sharded job).
  const bool history = shard.index == 1 && wants_history(ev, job.cfg, env);
  try {
    if (history && (fetched.shallow || fetched.partial)) {
      spdlog::info("history: fetching the whole history of {}", ev.head_ref().empty() ? job.head_sha : ev.head_ref());
      request.full_history = true;
      if (fetched.partial) {
        fetch_from_scratch(request, fetched, repo);
      } else {
        request.folders.clear();
        fetched = checkout::fetch(request);
        repo = checkout::open_repository(fetched.git_dir.string());
      }
    }
    if (fetched.partial) complete_partial_mirror(request, fetched, repo, mode, job.folders);
  } catch (const util::Error&) {
    job::post_status(job, "failed", "jit-agent: could not fetch the code (see the job log)", false);
    throw;
  }
  spdlog::info("git cache {}: {}, {} mirror, received {} object{} ({} bytes)", fetched.git_dir.string(),
               checkout::to_string(fetched.cache), fetched.partial ? "partial" : "complete", fetched.received_objects,
               fetched.received_objects == 1 ? "" : "s", fetched.received_bytes);

  std::vector<report::SbomLockfile> sboms;
  CiScanInput scan{env, job.cfg, job.folders, fetched, repo.get(), mode, &sboms};
  scan.decode_depth = opts.decode_depth;
  scan.shard = shard;
  std::vector<std::string> variable_warnings;
  if (job.cfg.secrets) scan.exact_values = load_variable_values(client.get(), ev, job.project, env, variable_warnings);
  findings::ScanResult result;
  std::optional<HistoryState> history_state;
  const std::string history_ref = ev.push() ? ev.push()->ref : ev.head_ref();
  try {
    result = run_ci_scan(scan);
    for (auto& w : variable_warnings) {
      spdlog::warn("{}", w);
      result.warnings.push_back(std::move(w));
    }
    if (history) {
      history_state = HistoryState::load(history_state_dir(env), job.project);
      const std::string since = history_state->last_head(history_ref).value_or("");
      spdlog::info("history: scanning {} of {}", since.empty() ? "the whole history" : "the commits since " + since.substr(0, 12),
                   history_ref.empty() ? job.head_sha.substr(0, 12) : history_ref);
      findings::ScanResult found = scan_ci_history(scan, since);
      spdlog::info("history: {} commit{}, {} blob{} read, {} answered by the verdict cache, {} finding{}",
                   found.stats.commits_scanned, found.stats.commits_scanned == 1 ? "" : "s",
                   found.stats.files_scanned + found.stats.skipped_binary,
                   found.stats.files_scanned + found.stats.skipped_binary == 1 ? "" : "s", found.stats.blobs_cached,
                   found.findings.size(), found.findings.size() == 1 ? "" : "s");
      add_history(result, std::move(found));
    }
  } catch (const util::Error&) {
    job::post_status(job, "failed", "jit-agent: scan failed (see the job log)", false);
    throw;
  }
  // The next history scan starts after this head, once this one's results are safely out.
  auto remember_history = [&](int code) {
    if (history_state && !opts.dry_run && (code == 0 || code == static_cast<int>(util::ExitCode::findings)))
      history_state->record(history_ref, job.head_sha);
    return code;
  };
  if (shard.sharded()) {
    job::Partial partial;
    partial.shard = shard;
    partial.event = identity_of(ev, job.head_sha);
    partial.mode = std::string(to_string(mode));
    partial.repo_config = repo_config;
    if (ev.kind() == event::Kind::merge_request && ev.merge_request()) partial.diff = ci_diff_index(scan);
    partial.sboms = std::move(sboms);
    // Partials never hold a found token, so `merge` cannot ask about them: each shard asks about
    // its own (before ignores, which merge applies: an ignored token may cost one request).
    job::check_tokens(job::token_check_settings_for_ci(env, ev.kind() == event::Kind::merge_request && ev.merge_request()),
                      result, job.token_lines);
    spdlog::info("shard {}/{} ({}, {}): {} finding{} in {} file{}, {} warning{}", shard.index, shard.total,
                 to_string(mode), job.head_sha.substr(0, 12), result.findings.size(),
                 result.findings.size() == 1 ? "" : "s", result.stats.files_scanned,
                 result.stats.files_scanned == 1 ? "" : "s", result.warnings.size(), result.warnings.size() == 1 ? "" : "s");
    partial.result = std::move(result);
    try {
      auto file = job::write_partial(out_dir, partial);
      spdlog::info("partial results written to {}", file.string());
    } catch (const util::Error&) {
      job::post_status(job, "failed", "jit-agent: could not write the partial results (see the job log)", false);
      throw;
    }
    return remember_history(0);
  }
  job::settle_findings(job, result);
  spdlog::info("scan ({}, {}): {} finding{} in {} file{}", to_string(scan.mode), job.head_sha.substr(0, 12),
               result.findings.size(), result.findings.size() == 1 ? "" : "s", result.stats.files_scanned,
               result.stats.files_scanned == 1 ? "" : "s");
  return remember_history(
      job::write_and_publish(job, result, sboms, [&scan] { return ci_diff_index(scan); }, out_dir, opts.dry_run));
}

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
  sub->add_option("--shard", opts->shard,
                  "Scan only shard I of N (I/N, 1-based; default: CI_NODE_INDEX/CI_NODE_TOTAL of parallel: N) and "
                  "write jit-partial-I-of-N.json for 'jit-agent merge' instead of reports; posts nothing");
  sub->callback([opts, &global, &action] { action = [opts, &global] { return run_ci(*opts, global); }; });
}

}  // namespace agent::cli
