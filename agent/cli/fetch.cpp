// `jit-agent fetch`: a hidden developer command that runs the CI checkout on its own (fetch into
// the mirror cache, sparse checkout, MR diff) and prints what happened as JSON. Tests and
// bench/fetch.sh drive it; `jit-agent ci` uses the same checkout functions.
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

#include "agent/checkout/diff.h"
#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"
#include "agent/checkout/sparse.h"
#include "agent/cli/commands.h"
#include "agent/cli/settings.h"
#include "agent/event/load.h"
#include "agent/util/error.h"

namespace agent::cli {
namespace {

struct FetchOptions {
  std::string url;
  std::string ref;
  std::string sha;
  std::string base_ref;
  std::string base_sha;
  std::string dest;
  std::vector<std::string> folders;
  std::vector<std::string> materialize;
  std::string cache_dir;
  std::string cache_key;
  int depth = 0;
  int max_deepen = 4;
  bool from_event = false;
  bool show_diff = false;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

nlohmann::json diff_json(const checkout::FetchResult& r, const checkout::FolderFilter& filter) {
  checkout::RepositoryPtr repo = checkout::open_repository(r.git_dir.string());
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : checkout::diff_files(repo.get(), r.merge_base, r.head_sha, filter)) {
    nlohmann::json ranges = nlohmann::json::array();
    for (const auto& range : f.added) ranges.push_back({range.start, range.count});
    files.push_back({{"path", f.new_path}, {"old_path", f.old_path}, {"status", std::string(1, f.status)},
                     {"binary", f.binary}, {"added", ranges}});
  }
  nlohmann::json commits = nlohmann::json::array();
  for (const auto& t : checkout::added_lines_per_commit(repo.get(), r.merge_base, r.head_sha, filter))
    commits.push_back({{"commit", t.commit}, {"path", t.path}, {"lines", t.lines}, {"text", t.text}});
  return {{"files", files}, {"added_per_commit", commits}};
}

int run_fetch(const FetchOptions& o, const GlobalOptions& g) {
  checkout::FetchRequest req;
  if (o.from_event) {
    req = fetch_request_for(event::load_event(g.env), g.env);
  } else {
    if (o.url.empty()) throw util::UsageError("fetch: --url is required (or --from-event)");
    req.remote = remote_from_env(o.url, g.env);
    req.head_ref = o.ref;
    req.head_sha = o.sha;
    req.base_ref = o.base_ref;
    req.base_sha = o.base_sha;
    // The project path of the URL names the mirror, as the project path does in CI.
    std::string key = o.url.substr(o.url.find("://") == std::string::npos ? 0 : o.url.find("://") + 3);
    key = key.substr(key.find('/') == std::string::npos ? 0 : key.find('/') + 1);
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".git") == 0) key.resize(key.size() - 4);
    req.cache_key = key;
    std::string cache = g.env.get_or("JIT_CACHE_DIR", "");
    if (!cache.empty()) req.cache_dir = cache;
  }
  if (!o.cache_dir.empty()) req.cache_dir = o.cache_dir;
  if (!o.cache_key.empty()) req.cache_key = o.cache_key;
  if (req.cache_dir.empty() && !o.dest.empty()) req.scratch_dir = std::filesystem::path(o.dest).parent_path();
  req.folders = o.folders;  // sparse: blobs of these folders only, when the server can filter
  req.depth = o.depth;
  req.max_deepen_rounds = o.max_deepen;

  auto start = std::chrono::steady_clock::now();
  checkout::FetchResult r = checkout::fetch(req);
  double fetch_seconds = seconds_since(start);
  nlohmann::json out = {{"git_dir", r.git_dir.string()},     {"head_sha", r.head_sha},
                        {"base_sha", r.base_sha},            {"merge_base", r.merge_base},
                        {"cache", checkout::to_string(r.cache)}, {"rebuild_reason", r.rebuild_reason},
                        {"depth", r.depth},                  {"deepen_rounds", r.deepen_rounds},
                        {"unshallowed", r.unshallowed},      {"shallow", r.shallow},
                        {"partial", r.partial},
                        {"received_objects", r.received_objects}, {"received_bytes", r.received_bytes},
                        {"credential_requests", r.credential_requests}, {"fetch_seconds", fetch_seconds}};
  if (!o.materialize.empty()) {
    // What `ci` does once the repository's own configuration has named more folders.
    checkout::materialize(req, r, o.materialize);
    out["materialized"] = o.materialize;
  }
  if (!o.dest.empty()) {
    auto t = std::chrono::steady_clock::now();
    std::vector<std::string> folders = o.folders;
    folders.insert(folders.end(), o.materialize.begin(), o.materialize.end());
    out["files_written"] = checkout::checkout_folders(r.git_dir, r.head_sha, o.dest, folders);
    out["checkout_seconds"] = seconds_since(t);
  }
  if (o.show_diff && !r.merge_base.empty()) out["diff"] = diff_json(r, checkout::FolderFilter(o.folders));
  out["total_seconds"] = seconds_since(start);
  std::cout << out.dump(2) << std::endl;
  return 0;
}

}  // namespace

void add_fetch(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<FetchOptions>();
  auto* sub = root.add_subcommand("fetch", "Fetch and sparse-checkout a project like `ci` does (developer tool)");
  sub->group("");  // hidden from --help: a tool for tests and benchmarks
  sub->add_option("--url", opts->url, "HTTPS clone URL (token from JIT_CHECKOUT_TOKEN)");
  sub->add_option("--ref", opts->ref, "Ref to fetch, e.g. refs/merge-requests/1/head or refs/heads/main");
  sub->add_option("--sha", opts->sha, "Commit to scan (fetched by id when the ref has moved)");
  sub->add_option("--base-ref", opts->base_ref, "Branch to find the merge base with, e.g. refs/heads/main");
  sub->add_option("--base-sha", opts->base_sha, "Commit to find the merge base with");
  sub->add_option("--dest", opts->dest, "Folder to check the head out into (sparse with --folder)");
  sub->add_option("--folder", opts->folders, "Folder to check out (repeatable; default: everything)");
  sub->add_option("--materialize", opts->materialize, "After the fetch, also fetch the files of this folder (repeatable)");
  sub->add_option("--cache-dir", opts->cache_dir, "Mirror cache folder (default: JIT_CACHE_DIR)");
  sub->add_option("--cache-key", opts->cache_key, "Mirror name in the cache (default: the URL's project path)");
  sub->add_option("--depth", opts->depth, "First fetch depth (default: 1, or 20 with a base)");
  sub->add_option("--max-deepen", opts->max_deepen, "Deepening rounds before fetching all history")
      ->capture_default_str();
  sub->add_flag("--from-event", opts->from_event, "Fetch what the CI event names (TRIGGER_PAYLOAD, JIT_EVENT, CI_*)");
  sub->add_flag("--diff", opts->show_diff, "Print the merge-base..head diff and every commit's added lines");
  sub->callback([opts, &global, &action] { action = [opts, &global] { return run_fetch(*opts, global); }; });
}

}  // namespace agent::cli
