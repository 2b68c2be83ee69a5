#include "agent/job/combine.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "agent/publish/render.h"
#include "agent/util/error.h"

namespace agent::job {
namespace {

[[noreturn]] void refuse(const std::string& message) {
  throw util::Error(job::kExitShards, message + "; nothing written or posted");
}

std::string describe(const EventIdentity& e) {
  std::string out = e.kind + " of " + (e.project_path.empty() ? std::to_string(e.project_id) : e.project_path);
  if (e.merge_request_iid) out += " !" + std::to_string(e.merge_request_iid);
  return out + " at " + (e.head_sha.empty() ? "(no commit)" : e.head_sha.substr(0, 12));
}

template <typename T, typename Key>
void append_unique(std::vector<T>& to, const std::vector<T>& from, std::set<Key>& seen, Key (*key)(const T&)) {
  for (const auto& x : from)
    if (seen.insert(key(x)).second) to.push_back(x);
}

std::string same(const std::string& s) { return s; }
std::tuple<std::string, std::string, std::string> issue_key(const findings::ControlIssue& i) {
  return {i.control, i.folder, i.reason};
}

/// Findings of one shard whose fingerprint no earlier shard reported (duplicates inside one
/// shard stay, as the unsharded scan would have kept them).
void add_findings(std::vector<findings::Finding>& to, const std::vector<findings::Finding>& from,
                  std::set<std::string>& earlier) {
  std::vector<std::string> mine;
  for (const auto& f : from) {
    std::string fp = publish::fingerprint_of(f);
    if (earlier.count(fp)) continue;
    to.push_back(f);
    mine.push_back(std::move(fp));
  }
  earlier.insert(mine.begin(), mine.end());
}

/// Rank of `name` in `listed`, else after them all in first-seen order (`seen` grows).
std::size_t rank_of(const std::string& name, const std::vector<std::string>& listed, std::vector<std::string>& seen) {
  if (auto it = std::find(listed.begin(), listed.end(), name); it != listed.end()) return it - listed.begin();
  auto it = std::find(seen.begin(), seen.end(), name);
  if (it == seen.end()) it = seen.insert(seen.end(), name);
  return listed.size() + (it - seen.begin());
}

/// Puts `controls` and the issues in `order` (stable: equal keys keep shard order).
void put_in_order(findings::ScanResult& r, const ControlOrder& order) {
  std::vector<std::string> seen_controls, seen_folders;
  for (const auto& c : r.controls) rank_of(c, order.controls, seen_controls);
  auto control_rank = [&](const std::string& c) { return rank_of(c, order.controls, seen_controls); };
  std::stable_sort(r.controls.begin(), r.controls.end(),
                   [&](const std::string& a, const std::string& b) { return control_rank(a) < control_rank(b); });
  auto key = [&](const findings::ControlIssue& i) {
    // ExternalControl reports a folder's issues folder by folder, then the whole scan's.
    std::size_t folder = i.folder.empty() ? std::size_t(-1) : rank_of(i.folder, order.folders, seen_folders);
    return std::make_pair(control_rank(i.control), folder);
  };
  for (auto* issues : {&r.errored_controls, &r.skipped_controls})
    std::stable_sort(issues->begin(), issues->end(),
                     [&](const findings::ControlIssue& a, const findings::ControlIssue& b) { return key(a) < key(b); });
}

}  // namespace

void add_stats(findings::ScanStats& to, const findings::ScanStats& s) {
  to.files_scanned += s.files_scanned;
  to.bytes_scanned += s.bytes_scanned;
  to.skipped_binary += s.skipped_binary;
  to.skipped_too_large += s.skipped_too_large;
  to.skipped_excluded += s.skipped_excluded;
  to.skipped_symlinks += s.skipped_symlinks;
  to.unreadable += s.unreadable;
  to.suppressed += s.suppressed;
  to.commits_scanned += s.commits_scanned;
  to.blobs_cached += s.blobs_cached;
}


void check_complete(const std::vector<LoadedPartial>& partials) {
  if (partials.empty()) refuse("no partial results (jit-partial-*.json) found");
  const Partial& first = partials.front().partial;
  const int total = first.shard.total;
  std::map<int, std::string> seen;
  for (const auto& [origin, p] : partials) {
    if (p.shard.total != total)
      refuse(origin + " is shard " + std::to_string(p.shard.index) + "/" + std::to_string(p.shard.total) + " but " +
             partials.front().origin + " is of " + std::to_string(total) + " shards");
    if (auto [it, fresh] = seen.emplace(p.shard.index, origin); !fresh)
      refuse("shard " + std::to_string(p.shard.index) + "/" + std::to_string(total) + " twice: " + it->second +
             " and " + origin);
    if (p.event.head_sha != first.event.head_sha)
      refuse(origin + " scanned " + (p.event.head_sha.empty() ? "no commit" : p.event.head_sha) + " but " +
             partials.front().origin + " scanned " + (first.event.head_sha.empty() ? "no commit" : first.event.head_sha) +
             " (the branch moved between the shards' fetches: run the pipeline again)");
    if (!(p.event == first.event))
      refuse(origin + " is of " + describe(p.event) + " but " + partials.front().origin + " of " + describe(first.event));
    if (p.status != first.status || p.mode != first.mode || p.repo_config != first.repo_config)
      refuse(origin + " (" + std::string(to_string(p.status)) + (p.mode.empty() ? "" : ", " + p.mode) + ") disagrees with " +
             partials.front().origin + " (" + std::string(to_string(first.status)) +
             (first.mode.empty() ? "" : ", " + first.mode) + ") on what was scanned or how it was configured");
  }
  std::string missing;
  for (int i = 1; i <= total; ++i)
    if (!seen.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  if (!missing.empty())
    refuse("missing partial results of shard" + std::string(missing.find(',') == std::string::npos ? " " : "s ") +
           missing + " of " + std::to_string(total) + " (found " + std::to_string(partials.size()) +
           "): did every shard job succeed and are its artifacts in the folders given?");
}

Combined combine(std::vector<LoadedPartial> partials, const ControlOrder& order) {
  std::sort(partials.begin(), partials.end(),
            [](const LoadedPartial& a, const LoadedPartial& b) { return a.partial.shard.index < b.partial.shard.index; });
  Combined out;
  findings::ScanResult& r = out.result;
  std::set<std::string> fingerprints, ignored, warnings, controls, sbom_paths;
  std::set<std::tuple<std::string, std::string, std::string>> errored, skipped;
  std::vector<findings::ControlIssue> skipped_all;
  bool first = true;
  for (auto& [origin, p] : partials) {
    const findings::ScanResult& s = p.result;
    add_findings(r.findings, s.findings, fingerprints);
    add_findings(r.ignored, s.ignored, ignored);
    add_stats(r.stats, s.stats);
    append_unique(r.warnings, s.warnings, warnings, &same);
    append_unique(r.controls, s.controls, controls, &same);
    append_unique(r.errored_controls, s.errored_controls, errored, &issue_key);
    append_unique(skipped_all, s.skipped_controls, skipped, &issue_key);
    for (const auto& sbom : p.sboms)
      if (sbom_paths.insert(sbom.path).second) out.sboms.push_back(sbom);
    if (p.diff) {
      if (!out.diff) out.diff.emplace();
      for (const auto& [path, file] : *p.diff) {
        auto& to = (*out.diff)[path];
        to.old_path = file.old_path;
        to.added.insert(file.added.begin(), file.added.end());
      }
    }
    r.root = s.root;
    r.commit_sha = s.commit_sha;
    if (first || s.start_time < r.start_time) r.start_time = s.start_time;
    if (first || s.end_time > r.end_time) r.end_time = s.end_time;
    first = false;
  }
  // A control one shard skipped for lack of input (e.g. no Python file among its changes) while
  // another ran it: one job would have run it. Per-folder skips stay (folders are never split).
  for (auto& issue : skipped_all)
    if (!(issue.folder.empty() && controls.count(issue.control))) r.skipped_controls.push_back(std::move(issue));
  put_in_order(r, order);
  findings::sort_findings(r.findings);
  findings::sort_findings(r.ignored);
  return out;
}

}  // namespace agent::job
