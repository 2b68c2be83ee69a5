#pragma once
// The "dependencies" control: lockfiles -> packages -> OSV matches -> findings, per monorepo folder.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/folders.h"
#include "agent/controls/control.h"
#include "agent/controls/dependencies/package.h"

namespace agent::controls::dependencies {

/// A lockfile the last run parsed, with the folder (project) it belongs to: the inventory for SBOMs.
struct ScannedLockfile {
  ParsedLockfile parsed;
  std::string folder;  ///< "/service-a"; "/" for the root
};

class DependenciesControl : public Control {
 public:
  /// `db_dir`: the OSV database folder (see cli::osv_db_dir); `folders`: the merged monorepo
  /// configuration (empty: every lockfile outside node_modules/, vendor/ and .git/ is scanned, each
  /// grouped under its own folder).
  DependenciesControl(std::filesystem::path db_dir, config::FoldersConfig folders);

  std::string_view name() const override { return "dependencies"; }
  /// Parses the lockfiles among `input.files` (a bad one becomes a warning naming file:line:col,
  /// the others are still scanned) and reports each vulnerable package once per advisory group.
  /// Without a database: one warning, no findings.
  void run(const ScanInput& input, findings::ScanResult& out) override;

  /// The lockfiles parsed by the last run(), sorted by path.
  const std::vector<ScannedLockfile>& lockfiles() const { return lockfiles_; }

 private:
  std::filesystem::path db_dir_;
  config::FoldersConfig folders_;
  std::vector<ScannedLockfile> lockfiles_;
};

/// Which lockfiles of `files` to scan and the folder of each: lockfile names only, nothing under
/// node_modules/, vendor/ or .git/, inside a configured folder and not excluded by it.
std::vector<std::pair<const FileEntry*, std::string>> select_lockfiles(const std::vector<FileEntry>& files,
                                                                      const config::FoldersConfig& folders);

/// Stable fingerprint of a dependency finding: SHA-256 of ecosystem, package, version, advisory
/// id and lockfile path.
std::string dependency_fingerprint(std::string_view ecosystem, std::string_view package, std::string_view version,
                                   std::string_view advisory_id, std::string_view lockfile);

}  // namespace agent::controls::dependencies
