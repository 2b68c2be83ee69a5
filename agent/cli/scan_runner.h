#pragma once
// Runs the configured controls over a local folder: shared by `scan` and the CI command.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/checkout/worktree.h"
#include "agent/controls/dependencies/dependencies_control.h"
#include "agent/findings/finding.h"
#include "agent/report/dependency_reports.h"
#include "agent/util/environment.h"

namespace agent::cli {

/// The built-in controls, in the order they run.
inline const std::vector<std::string> kBuiltinControls = {"secrets", "dependencies"};

struct ScanRequest {
  std::filesystem::path root = ".";
  checkout::ListOptions list;
  unsigned jobs = 1;
  std::uint64_t max_file_size = 10ull << 20;
  std::vector<std::filesystem::path> rule_paths;  ///< empty: the built-in packs
  std::vector<std::string> controls;              ///< empty: every built-in control
  std::string db_dir;                             ///< empty: the default OSV database folder
  std::string config_file;                        ///< organisation-level jit config merged under ROOT/.jit/jit-config.yml
  bool use_cache = true;                          ///< compiled rule database cache
  int decode_depth = 1;                           ///< levels of base64/hex/percent decoding (0: none)
};

struct ScanOutcome {
  findings::ScanResult result;
  std::vector<std::string> failed_controls;  ///< "name: message" of controls that threw
  std::vector<report::SbomLockfile> sboms;   ///< every lockfile the dependency control parsed
};

/// Lists files, runs the controls, sorts findings. Bad input (rules, config, control names)
/// throws util::UsageError before any file is read; a control failing at runtime is recorded in
/// `failed_controls` so the other controls' findings are still reported.
ScanOutcome run_controls(const ScanRequest& request, const util::Environment& env);

/// The SBOM view of a lockfile the dependency control parsed.
report::SbomLockfile to_sbom(const controls::dependencies::ScannedLockfile& scanned);

/// Writes one CycloneDX 1.5 SBOM per lockfile into `dir`, named `prefix` + the lockfile path with
/// '/' as "__" + ".cdx.json" (e.g. "gl-sbom-services__web__package-lock.json.cdx.json").
void write_sboms(const std::filesystem::path& dir, const std::vector<report::SbomLockfile>& sboms,
                 const findings::ScanResult& result, std::string_view prefix);

/// "none" -> nullopt (never fail); a severity name -> that severity. Throws UsageError otherwise.
std::optional<findings::Severity> parse_fail_on(const std::string& text);

/// --min-confidence: "high", "medium" or "low". Throws UsageError otherwise.
findings::Confidence parse_min_confidence(const std::string& text);

/// 1 when a finding is at or above `fail_on` (unknown severity counts as medium), else 0.
int exit_code_for(const findings::ScanResult& result, std::optional<findings::Severity> fail_on);

}  // namespace agent::cli
