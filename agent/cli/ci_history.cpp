#include "agent/cli/ci_history.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"
#include "agent/cli/history_scan.h"
#include "agent/cli/settings.h"
#include "agent/config/folders.h"
#include "agent/controls/secrets/rule.h"
#include "agent/job/combine.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"
#include "agent/util/glob.h"

namespace agent::cli {
namespace fs = std::filesystem;

bool wants_history(const event::Event& ev, const config::Config& cfg, const util::Environment& env) {
  if (!cfg.history) return false;
  if (env.get_or("CI_PIPELINE_SOURCE", "") == "schedule") return true;
  return ev.kind() == event::Kind::push && ev.is_default_branch_push();
}

HistoryState HistoryState::load(const fs::path& dir, const std::string& project_key) {
  HistoryState state;
  if (dir.empty()) return state;
  state.file_ = dir / (checkout::sanitize_cache_key(project_key) + ".json");
  std::error_code ec;
  if (!fs::exists(state.file_, ec)) return state;
  try {
    auto doc = nlohmann::json::parse(util::read_file(state.file_));
    for (const auto& [ref, sha] : doc.at("heads").items()) state.heads_[ref] = sha.get<std::string>();
  } catch (const std::exception& e) {
    spdlog::warn("history state {} is unreadable ({}): the history is scanned in full", state.file_.string(), e.what());
    state.heads_.clear();
  }
  return state;
}

std::optional<std::string> HistoryState::last_head(const std::string& ref) const {
  auto it = heads_.find(ref);
  if (it == heads_.end()) return std::nullopt;
  return it->second;
}

void HistoryState::record(const std::string& ref, const std::string& sha) {
  heads_[ref] = sha;
  if (file_.empty()) return;
  nlohmann::json doc = {{"version", 1}, {"heads", heads_}};
  try {
    fs::create_directories(file_.parent_path());
    util::write_file_atomic(file_, doc.dump(2) + "\n");
  } catch (const std::exception& e) {
    spdlog::warn("cannot write the history state {} ({}): the next run scans this history again",
                 file_.string(), e.what());
  }
}

namespace {

/// The configured folders, their excludes and the central/repository excludes, decided per tree
/// entry: a folder on the way to a configured folder is walked, everything else outside is pruned.
bool keep_in(const CiScanInput& in, std::string_view path, bool is_dir) {
  for (const auto& g : in.cfg.exclude)
    if (util::glob_match(g, path, is_dir)) return false;
  if (!in.folders.configured()) return true;
  if (const config::Folder* f = config::folder_for(in.folders, path)) return !config::excluded_in(*f, path);
  if (!is_dir) return false;
  const std::string prefix = std::string(path) + "/";
  return std::any_of(in.folders.folders.begin(), in.folders.folders.end(), [&](const config::Folder& f) {
    std::string p = f.path;
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    return p.rfind(prefix, 0) == 0;
  });
}

}  // namespace

findings::ScanResult scan_ci_history(const CiScanInput& in, const std::string& since) {
  controls::secrets::Engine engine(controls::secrets::load_rules({rules_dir(in.env)}), secrets_cache_dir(in.env));
  engine.set_decode_depth(in.decode_depth);
  engine.set_exact_values(in.exact_values);
  HistoryScanRequest request;
  request.repository = in.fetched.git_dir.string();
  request.range.include.push_back(in.fetched.head_sha);
  if (!since.empty()) {
    git_oid id;
    git_commit* c = nullptr;
    if (git_oid_fromstr(&id, since.c_str()) == 0 && git_commit_lookup(&c, in.repo, &id) == 0) {
      git_commit_free(c);
      request.range.exclude.push_back(since);
    } else {
      spdlog::warn("history: the last scanned head {} is no longer in the repository (history rewritten?): "
                   "scanning the whole history", since.substr(0, 12));
    }
  }
  request.jobs = std::max(1u, std::thread::hardware_concurrency());
  request.keep_path = [&in](std::string_view path, bool is_dir) { return keep_in(in, path, is_dir); };
  request.verdict_cache = verdict_cache_dir(in.env);
  request.progress = true;
  request.progress_tty = false;  // a CI log: one line every 10 s
  return scan_history(engine, request);
}

void add_history(findings::ScanResult& into, findings::ScanResult&& history) {
  std::set<std::string> from_history;
  for (const auto& f : history.findings) from_history.insert(f.fingerprint);
  std::erase_if(into.findings, [&](const findings::Finding& f) {
    return f.control == "secrets" && from_history.count(f.fingerprint) > 0;
  });
  std::move(history.findings.begin(), history.findings.end(), std::back_inserter(into.findings));
  findings::sort_findings(into.findings);
  job::add_stats(into.stats, history.stats);
  for (auto& w : history.warnings) into.warnings.push_back(std::move(w));
}

}  // namespace agent::cli
