#pragma once
// The CI configuration: the security team's central jit.yml (in the dedicated project) layered
// with a repository's .jit/jit-config.yml. defaults < central < repository. Every key is optional;
// with no file at all the agent runs on the documented defaults (docs/configuration.md).
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/tools.h"
#include "agent/findings/finding.h"

namespace agent::config {

/// What an MR scan reports: lines the MR adds, whole changed files, or the full tree.
enum class Scope { diff, files, full };

/// "diff" | "files" | "full".
std::string_view to_string(Scope scope);
/// Inverse of to_string; nullopt for anything else.
std::optional<Scope> parse_scope(std::string_view text);

/// Which file a layer came from (its keys differ: some are central-only).
enum class Layer { central, repository };

/// A `folders:` list as written in one file; validated and merged by config/folders.
struct FoldersSource {
  std::string file;
  YAML::Node node;
};

struct Config {
  bool secrets = true;                                    ///< controls.secrets.enabled
  bool dependencies = true;                               ///< controls.dependencies.enabled
  /// External controls (controls.NAME other than secrets/dependencies; central only): the
  /// presets as the default plan has them, changed or joined by what jit.yml says, in order.
  std::vector<ToolSpec> tools;
  Scope mr_scope = Scope::diff;                           ///< scope (merge requests only)
  std::optional<findings::Severity> fail_on = findings::Severity::high;  ///< nullopt: "none"
  findings::Confidence min_confidence = findings::Confidence::low;       ///< min_confidence (central only)
  bool status_enabled = true;                             ///< status.enabled
  std::string status_name = "jit-security";               ///< status.name
  bool summary_note = true;                               ///< merge_request.summary_note
  bool threads = true;                                    ///< merge_request.threads
  /// merge_request.thread_min_confidence: less sure findings are listed in the summary instead.
  findings::Confidence thread_min_confidence = findings::Confidence::medium;
  std::vector<std::string> exclude_projects;              ///< project path globs (central only)
  std::vector<std::string> exclude;                       ///< path globs never scanned (layers add up)
  /// history: scheduled pipelines and default-branch pushes also scan the git history for
  /// secrets (all of it the first time, then the commits new since the last history scan).
  bool history = false;
  std::vector<FoldersSource> folders;                     ///< central first, then repository
  std::vector<std::string> sources;                       ///< files applied, in order
  /// Where each value set by a file came from: key path ("fail_on", "status.name",
  /// "controls.secrets") -> "file:line:col" (the last layer that set it). Absent: the default.
  /// External controls carry theirs in ToolSpec::defined_at.
  std::map<std::string, std::string> origins;
};

/// The documented defaults (what an absent configuration means).
Config default_config();

/// Applies one YAML document to `config`. `file` names the source in errors, which read
/// "file:line:col: message" (unknown keys with a "did you mean", wrong types, bad values with the
/// expected ones, central-only keys in a repository file, YAML alias bombs). Every error found is
/// reported, one per line of the message. Throws util::UsageError; `config` is then unchanged.
void apply_layer(Config& config, std::string_view yaml_text, const std::string& file, Layer layer);

/// Defaults, then `central` and `repository` when given (a missing file given explicitly is an
/// error). Throws util::UsageError.
Config load_config(const std::optional<std::filesystem::path>& central,
                   const std::optional<std::filesystem::path>& repository);

/// True when `project_path` ("group/sub/app") matches one of `exclude_projects`
/// (`*` stays inside one path segment, `**` spans segments, a bare group matches all below it).
bool project_excluded(const Config& config, std::string_view project_path);

/// True when a finding of `severity` fails the job under `fail_on`.
bool fails(const Config& config, findings::Severity severity);

}  // namespace agent::config
