#pragma once
// The scan part of `jit-agent ci`: what to scan for an event (the lines it adds, the files it
// changes, or the whole tree) read straight from the fetched mirror, and the controls run on it.
#include <git2.h>

#include <memory>
#include <string>

#include "agent/checkout/fetch.h"
#include "agent/config/config.h"
#include "agent/config/folders.h"
#include "agent/event/event.h"
#include "agent/findings/finding.h"
#include "agent/job/shard.h"
#include "agent/publish/merge_request.h"
#include "agent/report/dependency_reports.h"
#include "agent/util/environment.h"

namespace agent::controls::secrets {
class ExactValues;
}

namespace agent::cli {

/// What the scan covers.
enum class CiMode { added_lines, changed_files, full_tree };

/// "added lines" | "changed files" | "full tree".
std::string_view to_string(CiMode mode);

/// MR: by `scope` (full tree when there is no merge base); push to another branch than the
/// default one: added lines; default branch, tags, new branches: full tree.
CiMode ci_mode_for(const event::Event& ev, const config::Config& cfg, const checkout::FetchResult& fetched);

/// True when ci_mode_for() will say "full tree" whatever the fetch of `request` finds (default
/// branch, tag, new branch, no base, `scope: full`): only then may `jit-agent ci` fetch partially.
bool full_tree_before_fetch(const event::Event& ev, const config::Config& cfg, const checkout::FetchRequest& request);

/// "" when `repo` holds every blob a scan in `mode` reads: the head's files inside `folders` for
/// the full tree; else both sides of each change in merge_base..head and in each of its commits
/// (touching `folders`). Otherwise names the first missing file. Reads no blob.
std::string missing_scan_blobs(git_repository* repo, const checkout::FetchResult& fetched, CiMode mode,
                               const config::FoldersConfig& folders);

/// Everything the scan needs.
struct CiScanInput {
  const util::Environment& env;
  const config::Config& cfg;
  const config::FoldersConfig& folders;
  const checkout::FetchResult& fetched;
  git_repository* repo;
  CiMode mode;
  std::vector<report::SbomLockfile>* sboms = nullptr;  ///< receives the head's lockfile inventory
  int decode_depth = 1;                                ///< levels of base64/hex/percent decoding (secrets)
  job::Shard shard;                                    ///< scan only this shard's files or folders
  const job::ShardPlan* plan = nullptr;                ///< diff scans of a shard: set by run_ci_scan
  /// The CI/CD variable values to find (JIT_VARIABLE_SCAN); null: none. Every secrets scan of the
  /// job (added lines, changed files, full tree, history) looks for them.
  std::shared_ptr<const controls::secrets::ExactValues> exact_values;
};

/// Runs the enabled controls. Secrets: added lines of the final diff and of every commit (a
/// secret added then removed is still reported), whole changed files, or a sparse checkout of
/// the tree. Dependencies: the changed lockfiles (for added lines: only advisories the base did
/// not have), or the whole tree. `result.controls` lists the controls that ran. Throws
/// util::Error when a control cannot be set up (bad rules) or the mirror cannot be read. A shard
/// (`in.shard`) scans only its files or monorepo folders (job::ShardPlan); the diff index stays whole.
findings::ScanResult run_ci_scan(const CiScanInput& in);

/// The MR's final diff (merge base .. head) as positions GitLab accepts: added lines per file.
publish::DiffIndex ci_diff_index(const CiScanInput& in);

}  // namespace agent::cli
