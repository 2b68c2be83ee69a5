#pragma once
// `history: true` in ci: scheduled pipelines and default-branch pushes also scan the git history
// of the scanned branch for secrets. The first run walks all of it; the head it scanned is kept
// per (project, ref) in JIT_CACHE_DIR/history/, so later runs walk only the commits added since.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "agent/cli/ci_scan.h"
#include "agent/config/config.h"
#include "agent/event/event.h"
#include "agent/findings/finding.h"
#include "agent/util/environment.h"

namespace agent::cli {

/// True when `history: true` and the job is a scheduled pipeline (CI_PIPELINE_SOURCE=schedule)
/// or a push to the default branch.
bool wants_history(const event::Event& ev, const config::Config& cfg, const util::Environment& env);

/// The last head whose history was scanned, per ref, for one project.
class HistoryState {
 public:
  /// Reads `dir`/<project key>.json; a missing file is an empty state, an unreadable or corrupt
  /// one too (with a warning: the history is then scanned in full again, nothing is lost).
  static HistoryState load(const std::filesystem::path& dir, const std::string& project_key);
  /// The head scanned last for `ref`, if any.
  std::optional<std::string> last_head(const std::string& ref) const;
  /// Remembers `sha` as scanned for `ref` and writes the file atomically (no-op without a folder).
  void record(const std::string& ref, const std::string& sha);

 private:
  std::filesystem::path file_;
  std::map<std::string, std::string> heads_;
};

/// Secrets in the history of the fetched head: the commits not reachable from `since` (every
/// commit when empty, or when `since` is no longer in the repository: a force push), within the
/// configured folders and excludes, through the verdict cache of JIT_CACHE_DIR.
findings::ScanResult scan_ci_history(const CiScanInput& in, const std::string& since);

/// Adds `history`'s findings to `into` (a finding whose fingerprint the tree scan already has is
/// kept once: the history's, which knows the commit that introduced it) and its counters.
void add_history(findings::ScanResult& into, findings::ScanResult&& history);

}  // namespace agent::cli
