#pragma once
// Secrets in a repository's history: every unique blob of the commits in range read once (in
// parallel, streamed from one walk of the commit graph), scanned with the secrets engine, each
// finding attributed to the commit that introduced the blob. A verdict cache remembers the blobs
// found clean with the same rules, so a later scan reads only what is new.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/checkout/history.h"
#include "agent/controls/secrets/engine.h"
#include "agent/findings/finding.h"

namespace agent::cli {

struct HistoryScanRequest {
  std::string repository;                ///< a checkout (its .git is used) or a bare repository
  checkout::HistoryRange range;          ///< empty: every ref
  unsigned jobs = 1;
  std::uint64_t max_file_size = 10ull << 20;
  std::vector<std::string> excludes;     ///< globs; matching folders are pruned before reading
  /// Keeps a tree entry (path, is_dir) in addition to `excludes` (monorepo folders in ci).
  std::function<bool(std::string_view, bool)> keep_path;
  std::filesystem::path verdict_cache;   ///< folder of the verdict cache; empty: none
  /// Folder of saved walks (the same history scanned again is not walked again); empty: none.
  /// Not used with `keep_path`, which a key cannot name.
  std::filesystem::path walk_cache;
  /// Progress: a refreshed line on a terminal, else (false) one log line every 10 s.
  bool progress_tty = false;
  bool progress = true;                  ///< false: no progress at all (tests, quiet)
};

/// Runs the secrets engine over the history `request` names. Findings carry `commit` and
/// `provenance`; `stats.files_scanned` counts blobs read, `stats.blobs_cached` those the cache
/// answered, `stats.commits_scanned` the commits walked. Throws util::UsageError for an unknown
/// revision, util::RuntimeError when the repository cannot be read (a missing blob included).
findings::ScanResult scan_history(const controls::secrets::Engine& engine, const HistoryScanRequest& request);

}  // namespace agent::cli
