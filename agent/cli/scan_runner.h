#pragma once
// Runs the configured controls over a local folder: shared by `scan` and the CI command.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/checkout/worktree.h"
#include "agent/config/config.h"
#include "agent/controls/dependencies/dependencies_control.h"
#include "agent/controls/secrets/engine.h"
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
  /// Controls to run, built-in or external (a preset or one named in the configuration); a preset
  /// named here is required (its tool must be installed). Empty: the configuration's plan (the
  /// enabled built-in controls, the presets whose tool and language are present, every control
  /// jit.yml defines).
  std::vector<std::string> controls;
  /// `--control-set NAME.KEY=VALUE`: jit.yml keys for external controls given on the command line
  /// (VALUE is YAML: `mytool.args=["-o", "${REPORT_FILE}"]`), applied over the configuration.
  std::vector<std::string> control_settings;
  std::string db_dir;                             ///< empty: the default OSV database folder
  std::string config_file;                        ///< central jit config (jit.yml) merged under ROOT/.jit/jit-config.yml
  bool use_cache = true;                          ///< compiled rule database cache
  int decode_depth = 1;                           ///< levels of base64/hex/percent decoding (0: none)
};

struct ScanOutcome {
  findings::ScanResult result;
  std::vector<report::SbomLockfile> sboms;   ///< every lockfile the dependency control parsed
};

/// The configuration a local scan runs: defaults < --config FILE (central) <
/// ROOT/.jit/jit-config.yml, then --control-set. Throws util::UsageError on invalid input.
config::Config scan_config(const ScanRequest& request);

/// The secrets engine of `request`: its rule paths (else the built-in packs), the compiled-rule
/// cache unless disabled, its decode depth. Throws util::UsageError on a bad rule.
controls::secrets::Engine make_secrets_engine(const ScanRequest& request, const util::Environment& env);

/// Lists files, runs the controls, sorts findings. Bad input (rules, config, control names)
/// throws util::UsageError before any file is read; a control failing at runtime (a built-in one
/// throwing, an external tool missing, crashing, timing out or writing garbage) is recorded in
/// `result.errored_controls` so the other controls' findings are still reported.
ScanOutcome run_controls(const ScanRequest& request, const util::Environment& env);

/// The SBOM view of a lockfile the dependency control parsed.
report::SbomLockfile to_sbom(const controls::dependencies::ScannedLockfile& scanned);

/// "none" -> nullopt (never fail); a severity name -> that severity. Throws UsageError otherwise.
std::optional<findings::Severity> parse_fail_on(const std::string& text);

/// --min-confidence: "high", "medium" or "low". Throws UsageError otherwise.
findings::Confidence parse_min_confidence(const std::string& text);

/// Applies `--control-set NAME.KEY=VALUE` settings to `cfg` as a central layer named
/// "--control-set". Throws util::UsageError on a malformed setting or an invalid value.
void apply_control_settings(config::Config& cfg, const std::vector<std::string>& settings);

/// 5 (ExitCode::control) when a control errored (its findings are missing); else 1 when a finding
/// is at or above `fail_on` (unknown severity counts as medium); else 0.
int exit_code_for(const findings::ScanResult& result, std::optional<findings::Severity> fail_on);

}  // namespace agent::cli
